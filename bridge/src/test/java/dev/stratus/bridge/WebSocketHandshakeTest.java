package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WebSocketHandshakeTest {
  static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

  static String request(String path, String extraHeaders) {
    return "GET "
        + path
        + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: keep-alive, Upgrade\r\n"
        + "Sec-WebSocket-Key: "
        + KEY
        + "\r\n"
        + extraHeaders
        + "\r\n";
  }

  static WebSocketHandshake.Outcome read(String text) throws IOException {
    return WebSocketHandshake.read(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void acceptKeyMatchesTheRfcExample() {
    // RFC 6455 §1.3 gives this key and this answer.
    assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.acceptKey(KEY));
  }

  @Test
  void acceptsMqttSubprotocolAndKeepsPipelinedBytes() throws IOException {
    var outcome =
        read(
            request(
                    "/mqtt?x=1",
                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqttv3.1, mqtt\r\n")
                + "\u0082");
    var accepted = assertInstanceOf(WebSocketHandshake.Accepted.class, outcome);
    assertEquals("mqtt", accepted.subprotocol()); // [MQTT-6.0.0-4]
    String response = new String(accepted.response(), StandardCharsets.ISO_8859_1);
    assertTrue(response.startsWith("HTTP/1.1 101 "), response);
    assertTrue(response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assertTrue(response.contains("Sec-WebSocket-Protocol: mqtt\r\n"));
    assertArrayEquals(new byte[] {(byte) 0x82}, accepted.leftover());
  }

  @Test
  void acceptsMqtt31Subprotocol() throws IOException {
    var outcome =
        read(request("/mqtt", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqttv3.1\r\n"));
    assertEquals(
        "mqttv3.1", assertInstanceOf(WebSocketHandshake.Accepted.class, outcome).subprotocol());
  }

  @Test
  void refusesBadRequestsWithTheRightStatus() throws IOException {
    String v13mqtt = "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n";
    assertStatus(404, request("/other", v13mqtt));
    assertStatus(400, request("/mqtt", "Sec-WebSocket-Version: 13\r\n")); // no subprotocol
    assertStatus(
        400, request("/mqtt", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n"));
    assertStatus(
        426, request("/mqtt", "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Protocol: mqtt\r\n"));
    assertStatus(426, "GET /mqtt HTTP/1.1\r\nHost: x\r\n" + v13mqtt + "\r\n"); // no Upgrade
    assertStatus(405, request("/mqtt", v13mqtt).replaceFirst("GET", "POST"));
    assertStatus(400, request("/mqtt", v13mqtt).replace(KEY, "c2hvcnQ=")); // 5-byte key
    assertStatus(400, "hello\r\n\r\n");
    assertStatus(200, "GET /health HTTP/1.1\r\n\r\n");
    assertStatus(431, "GET /mqtt HTTP/1.1\r\nX: " + "a".repeat(9000) + "\r\n\r\n");
  }

  @Test
  void peerClosingMidRequestIsNotAnOutcome() throws IOException {
    assertNull(read("GET /mqtt HTTP/1.1\r\n"));
  }

  private static void assertStatus(int status, String request) throws IOException {
    var refused = assertInstanceOf(WebSocketHandshake.Refused.class, read(request));
    assertEquals(status, refused.status());
    assertTrue(
        new String(refused.response(), StandardCharsets.ISO_8859_1)
            .startsWith("HTTP/1.1 " + status + " "));
  }
}
