package dev.stratus.loadgen;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal RFC 6455 client for MQTT over WebSocket: opening handshake with subprotocol {@code
 * mqtt}, every write sent as one masked binary frame (a client must mask [RFC 6455 §5.3]), reads
 * delivering the payload of binary and continuation frames as one byte stream (MQTT packets may
 * span frames and frames may hold several packets [MQTT-6.0.0-2]). Pings are answered; a close
 * frame ends the stream; a text frame is a broker bug, since MQTT needs binary frames
 * [MQTT-6.0.0-1].
 */
final class WebSocketTransport implements Transport {
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final int OP_CONTINUATION = 0x0;
  private static final int OP_TEXT = 0x1;
  private static final int OP_BINARY = 0x2;
  private static final int OP_CLOSE = 0x8;
  private static final int OP_PING = 0x9;
  private static final int OP_PONG = 0xA;

  /** Room for a whole control frame (125 bytes of payload, RFC 6455 §5.5) and the HTTP response. */
  private static final int MIN_READ_BUFFER = 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** Bytes read from the socket but not consumed yet: frame headers, small payloads. */
  private final byte[] inBuffer;

  private int inPosition;
  private int inLimit;
  private long payloadLeft;
  private boolean closed;
  private byte[] outBuffer = new byte[0];

  private WebSocketTransport(Socket socket, int readBufferBytes) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.inBuffer = new byte[Math.max(MIN_READ_BUFFER, readBufferBytes)];
  }

  /** Performs the opening handshake on a connected socket [RFC 6455 §4.1]. */
  static WebSocketTransport handshake(Socket socket, BrokerUrl url, int readBufferBytes)
      throws IOException {
    WebSocketTransport ws = new WebSocketTransport(socket, readBufferBytes);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String key = Base64.getEncoder().encodeToString(nonce);
    String request =
        "GET "
            + url.path()
            + " HTTP/1.1\r\n"
            + "Host: "
            + url.host()
            + ":"
            + url.port()
            + "\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: "
            + key
            + "\r\n"
            + "Sec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
    ws.out.write(request.getBytes(StandardCharsets.US_ASCII));
    ws.readHandshakeResponse(expectedAccept(key));
    return ws;
  }

  private static String expectedAccept(String key) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  private void readHandshakeResponse(String expectedAccept) throws IOException {
    int end;
    while ((end = headerEnd()) < 0) {
      if (inLimit == inBuffer.length) {
        throw new IOException("WebSocket handshake response longer than " + inBuffer.length);
      }
      int n = in.read(inBuffer, inLimit, inBuffer.length - inLimit);
      if (n < 0) {
        throw new EOFException("connection closed during the WebSocket handshake");
      }
      inLimit += n;
    }
    String[] lines = new String(inBuffer, 0, end, StandardCharsets.ISO_8859_1).split("\r\n", -1);
    inPosition = end + 4;
    if (!lines[0].matches("HTTP/1\\.1 101( .*)?")) {
      throw new IOException("WebSocket upgrade refused: " + lines[0]);
    }
    String accept = null;
    String protocol = null;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      switch (name) {
        case "sec-websocket-accept" -> accept = value;
        case "sec-websocket-protocol" -> protocol = value;
        default -> {}
      }
    }
    if (!expectedAccept.equals(accept)) {
      throw new IOException("bad Sec-WebSocket-Accept in the handshake response: " + accept);
    }
    // The server must select the subprotocol the client offered [MQTT-6.0.0-4].
    if (!"mqtt".equals(protocol)) {
      throw new IOException("the broker did not select subprotocol mqtt (got " + protocol + ")");
    }
  }

  /** Index of the blank line ending the HTTP headers in the buffer, or -1. */
  private int headerEnd() {
    for (int i = 3; i < inLimit; i++) {
      if (inBuffer[i] == '\n'
          && inBuffer[i - 1] == '\r'
          && inBuffer[i - 2] == '\n'
          && inBuffer[i - 3] == '\r') {
        return i - 3;
      }
    }
    return -1;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    while (true) {
      if (payloadLeft > 0) {
        int wanted = (int) Math.min(length, payloadLeft);
        int n;
        if (inPosition < inLimit) {
          n = Math.min(wanted, inLimit - inPosition);
          System.arraycopy(inBuffer, inPosition, buffer, offset, n);
          inPosition += n;
        } else {
          // Large payloads go straight from the socket into the caller's buffer.
          n = in.read(buffer, offset, wanted);
          if (n < 0) {
            return -1;
          }
        }
        payloadLeft -= n;
        return n;
      }
      if (closed || !nextDataFrame()) {
        return -1;
      }
    }
  }

  /**
   * Reads frame headers until a data frame starts (its payload length is then in {@code
   * payloadLeft}), handling control frames on the way. False at a close frame or end of stream.
   */
  private boolean nextDataFrame() throws IOException {
    while (true) {
      if (!fill(2)) {
        return false;
      }
      int b0 = inBuffer[inPosition] & 0xFF;
      int b1 = inBuffer[inPosition + 1] & 0xFF;
      int opcode = b0 & 0x0F;
      if ((b1 & 0x80) != 0) {
        throw new IOException("the broker sent a masked frame [RFC 6455 §5.1]");
      }
      int lengthBytes =
          switch (b1 & 0x7F) {
            case 126 -> 2;
            case 127 -> 8;
            default -> 0;
          };
      if (!fill(2 + lengthBytes)) {
        return false;
      }
      long length = b1 & 0x7F;
      if (lengthBytes > 0) {
        length = 0;
        for (int i = 0; i < lengthBytes; i++) {
          length = (length << 8) | (inBuffer[inPosition + 2 + i] & 0xFF);
        }
      }
      inPosition += 2 + lengthBytes;
      switch (opcode) {
        case OP_BINARY, OP_CONTINUATION -> {
          if (length > 0) {
            payloadLeft = length;
            return true;
          }
        }
        case OP_TEXT -> throw new IOException("the broker sent a text frame [MQTT-6.0.0-1]");
        case OP_CLOSE -> {
          closed = true;
          try {
            sendFrame(OP_CLOSE, new byte[0], 0, 0);
          } catch (IOException e) {
            // The broker may already have closed the socket; the stream ends either way.
          }
          return false;
        }
        case OP_PING, OP_PONG -> {
          if (length > 125 || !fill((int) length)) {
            return false;
          }
          if (opcode == OP_PING) {
            sendFrame(OP_PONG, inBuffer, inPosition, (int) length);
          }
          inPosition += (int) length;
        }
        default -> throw new IOException("unknown WebSocket opcode " + opcode);
      }
    }
  }

  /** Makes at least {@code n} unread bytes available in the buffer; false at end of stream. */
  private boolean fill(int n) throws IOException {
    if (inLimit - inPosition >= n) {
      return true;
    }
    if (inPosition > 0) {
      System.arraycopy(inBuffer, inPosition, inBuffer, 0, inLimit - inPosition);
      inLimit -= inPosition;
      inPosition = 0;
    }
    while (inLimit < n) {
      int r = in.read(inBuffer, inLimit, inBuffer.length - inLimit);
      if (r < 0) {
        return false;
      }
      inLimit += r;
    }
    return true;
  }

  @Override
  public void write(byte[] buffer, int offset, int length) throws IOException {
    sendFrame(OP_BINARY, buffer, offset, length);
  }

  private synchronized void sendFrame(int opcode, byte[] payload, int offset, int length)
      throws IOException {
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    int total = header + 4 + length;
    if (outBuffer.length < total) {
      outBuffer = new byte[Math.max(total, 2 * outBuffer.length)];
    }
    byte[] frame = outBuffer;
    frame[0] = (byte) (0x80 | opcode); // FIN: every write is a whole message
    if (header == 2) {
      frame[1] = (byte) (0x80 | length);
    } else if (header == 4) {
      frame[1] = (byte) (0x80 | 126);
      frame[2] = (byte) (length >>> 8);
      frame[3] = (byte) length;
    } else {
      frame[1] = (byte) (0x80 | 127);
      for (int i = 0; i < 8; i++) {
        frame[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
      }
    }
    int mask = ThreadLocalRandom.current().nextInt();
    byte m0 = (byte) (mask >>> 24);
    byte m1 = (byte) (mask >>> 16);
    byte m2 = (byte) (mask >>> 8);
    byte m3 = (byte) mask;
    frame[header] = m0;
    frame[header + 1] = m1;
    frame[header + 2] = m2;
    frame[header + 3] = m3;
    int p = header + 4;
    int i = 0;
    for (; i + 3 < length; i += 4) {
      frame[p + i] = (byte) (payload[offset + i] ^ m0);
      frame[p + i + 1] = (byte) (payload[offset + i + 1] ^ m1);
      frame[p + i + 2] = (byte) (payload[offset + i + 2] ^ m2);
      frame[p + i + 3] = (byte) (payload[offset + i + 3] ^ m3);
    }
    for (; i < length; i++) {
      byte m =
          switch (i & 3) {
            case 0 -> m0;
            case 1 -> m1;
            case 2 -> m2;
            default -> m3;
          };
      frame[p + i] = (byte) (payload[offset + i] ^ m);
    }
    out.write(frame, 0, total);
  }

  @Override
  public void readTimeoutMillis(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
