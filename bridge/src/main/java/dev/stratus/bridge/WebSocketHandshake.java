package dev.stratus.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The server side of the RFC 6455 opening handshake for MQTT over WebSocket: {@code GET /mqtt} with
 * {@code Upgrade: websocket}, version 13, a 16-byte key, and the {@code mqtt} subprotocol
 * [MQTT-6.0.0-3] (or {@code mqttv3.1}, which MQTT 3.1 clients offer). The server returns {@code
 * mqtt} whenever the client offers it [MQTT-6.0.0-4].
 *
 * <p>{@code GET /health} answers 200 so a load balancer can check the listener.
 */
final class WebSocketHandshake {
  /** RFC 6455 §1.3: the GUID appended to the client's key. */
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** Request line plus headers; browsers send well under 2 KB. */
  static final int MAX_REQUEST_BYTES = 8192;

  static final String PATH = "/mqtt";

  private WebSocketHandshake() {}

  /** What the handshake decided. */
  sealed interface Outcome {}

  /**
   * Upgrade accepted: write {@code response}, then frames begin. {@code leftover} holds bytes the
   * client sent after the request (frames it pipelined), to be decoded first.
   */
  record Accepted(String subprotocol, byte[] response, byte[] leftover) implements Outcome {}

  /** Refused or not an upgrade: write {@code response} and close. */
  record Refused(int status, String reason, byte[] response) implements Outcome {}

  /** Reads the request from {@code in} (blocking) and decides; null if the peer closed first. */
  static Outcome read(InputStream in) throws IOException {
    byte[] buffer = new byte[1024];
    int length = 0;
    while (true) {
      Outcome outcome = parse(buffer, length);
      if (outcome != null) {
        return outcome;
      }
      if (length == buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.min(buffer.length * 2, MAX_REQUEST_BYTES));
      }
      int n = in.read(buffer, length, buffer.length - length);
      if (n < 0) {
        return null;
      }
      length += n;
    }
  }

  /**
   * Decides on the first {@code length} bytes received, or returns null when the request is not
   * complete yet (no blank line) and may still grow: the non-blocking listeners call this after
   * every read. A request that reaches {@link #MAX_REQUEST_BYTES} without ending is refused (431).
   */
  static Outcome parse(byte[] buffer, int length) {
    int headerEnd = indexOfBlankLine(buffer, length);
    if (headerEnd < 0) {
      return length >= MAX_REQUEST_BYTES ? refuse(431, "Request Header Fields Too Large") : null;
    }
    String head = new String(buffer, 0, headerEnd, StandardCharsets.ISO_8859_1);
    byte[] leftover = Arrays.copyOfRange(buffer, headerEnd + 4, length);
    return decide(head, leftover);
  }

  static Outcome decide(String head, byte[] leftover) {
    String[] lines = head.split("\r\n");
    String[] requestLine = lines[0].split(" ");
    if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
      return refuse(400, "Bad Request");
    }
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        return refuse(400, "Bad Request");
      }
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      // Repeated headers are joined with commas, as HTTP allows for list-valued headers.
      headers.merge(name, value, (a, b) -> a + ", " + b);
    }
    String target = requestLine[1];
    int query = target.indexOf('?');
    String path = query >= 0 ? target.substring(0, query) : target;
    if (!requestLine[0].equals("GET")) {
      return refuse(405, "Method Not Allowed");
    }
    if (path.equals("/health")) {
      return new Refused(200, "OK", response(200, "OK", "Content-Length: 3\r\n", "ok\n"));
    }
    if (!path.equals(PATH)) {
      return refuse(404, "Not Found");
    }
    if (!containsToken(headers.get("upgrade"), "websocket")
        || !containsToken(headers.get("connection"), "upgrade")) {
      return refuse(426, "Upgrade Required");
    }
    if (!"13".equals(headers.get("sec-websocket-version"))) {
      return new Refused(
          426,
          "Upgrade Required",
          response(426, "Upgrade Required", "Sec-WebSocket-Version: 13\r\n", ""));
    }
    String key = headers.get("sec-websocket-key");
    if (key == null || !isValidKey(key)) {
      return refuse(400, "Bad Request");
    }
    String subprotocol = chooseSubprotocol(headers.get("sec-websocket-protocol"));
    if (subprotocol == null) {
      return refuse(400, "Bad Request");
    }
    String accepted =
        "HTTP/1.1 101 Switching Protocols\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: "
            + acceptKey(key)
            + "\r\n"
            + "Sec-WebSocket-Protocol: "
            + subprotocol
            + "\r\n\r\n";
    return new Accepted(subprotocol, accepted.getBytes(StandardCharsets.ISO_8859_1), leftover);
  }

  /** {@code mqtt} if offered [MQTT-6.0.0-4], else {@code mqttv3.1}, else null. */
  static String chooseSubprotocol(String offered) {
    if (containsToken(offered, "mqtt")) {
      return "mqtt";
    }
    if (containsToken(offered, "mqttv3.1")) {
      return "mqttv3.1";
    }
    return null;
  }

  /** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)). */
  static String acceptKey(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      byte[] digest = sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.ISO_8859_1));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  private static boolean isValidKey(String key) {
    try {
      return Base64.getDecoder().decode(key).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean containsToken(String list, String token) {
    if (list == null) {
      return false;
    }
    for (String part : list.split(",")) {
      if (part.trim().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  private static Refused refuse(int status, String reason) {
    return new Refused(status, reason, response(status, reason, "", ""));
  }

  private static byte[] response(int status, String reason, String extraHeaders, String body) {
    String text =
        "HTTP/1.1 "
            + status
            + " "
            + reason
            + "\r\n"
            + extraHeaders
            + (body.isEmpty() ? "Content-Length: 0\r\n" : "")
            + "Connection: close\r\n\r\n"
            + body;
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static int indexOfBlankLine(byte[] b, int length) {
    for (int i = 0; i + 3 < length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
