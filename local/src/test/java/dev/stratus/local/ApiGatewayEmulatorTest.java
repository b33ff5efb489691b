package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GetConnectionResponse;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GoneException;

/** The emulator alone, with recording handlers: event JSON, Management API, limits, timeouts. */
class ApiGatewayEmulatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
  private ApiGatewayEmulator emulator;

  /** A handler that records the event and answers {@code status} (with the subprotocol). */
  private RequestStreamHandler recording(int status) {
    return (in, out, ctx) -> {
      JsonNode event = JSON.readTree(in);
      events.add(event);
      String protocol = event.path("headers").path("Sec-WebSocket-Protocol").asText(null);
      var r = JSON.createObjectNode().put("statusCode", status);
      if (protocol != null) {
        r.putObject("headers").put("Sec-WebSocket-Protocol", protocol.split(",")[0].strip());
      }
      out.write(JSON.writeValueAsBytes(r));
    };
  }

  private ApiGatewayEmulator start(ApiGatewayEmulator.Settings settings, int connectStatus)
      throws Exception {
    emulator =
        ApiGatewayEmulator.start(
            "127.0.0.1",
            0,
            settings,
            () ->
                new ApiGatewayEmulator.Container(
                    recording(connectStatus), recording(200), recording(200)));
    return emulator;
  }

  @AfterEach
  void stop() {
    if (emulator != null) {
      emulator.close();
    }
  }

  /** A raw JDK WebSocket that records text messages and the close code. */
  static final class Peer implements WebSocket.Listener {
    final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final StringBuilder partial = new StringBuilder();
    WebSocket ws;

    static Peer open(URI uri) {
      Peer p = new Peer();
      p.ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .subprotocols("mqtt-base64.stratus.dev")
              .buildAsync(URI.create(uri + "?token=abc&x=1"), p)
              .join();
      return p;
    }

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      w.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
      closed.complete(code);
      return null;
    }

    @Override
    public void onError(WebSocket w, Throwable e) {
      closed.complete(1006);
    }

    int closeCode() throws Exception {
      return closed.get(20, TimeUnit.SECONDS);
    }
  }

  private JsonNode nextEvent(String routeKey) throws InterruptedException {
    while (true) {
      JsonNode e = events.poll(20, TimeUnit.SECONDS);
      if (e == null) {
        throw new AssertionError("no " + routeKey + " event");
      }
      if (e.path("requestContext").path("routeKey").asText().equals(routeKey)) {
        return e;
      }
    }
  }

  private ApiGatewayManagementApiClient sdk() {
    return LocalStack.managementClient(
        emulator.callbackUrl(), UrlConnectionHttpClient.builder().build());
  }

  @Test
  void eventsHaveApiGatewaysShapeAndTheSdkManagesConnections() throws Exception {
    start(ApiGatewayEmulator.Settings.defaults(), 200);
    Peer peer = Peer.open(emulator.url());
    assertEquals("mqtt-base64.stratus.dev", peer.ws.getSubprotocol());
    JsonNode connect = nextEvent("$connect");
    JsonNode ctx = connect.path("requestContext");
    String id = ctx.path("connectionId").asText();
    assertTrue(id.matches("[A-Za-z0-9+/]{15}="), id);
    assertEquals("CONNECT", ctx.path("eventType").asText());
    assertEquals("local", ctx.path("stage").asText());
    assertEquals("127.0.0.1", ctx.path("identity").path("sourceIp").asText());
    assertTrue(ctx.path("connectedAt").isNumber() && ctx.path("requestTimeEpoch").isNumber());
    assertTrue(ctx.hasNonNull("requestId") && ctx.hasNonNull("apiId"));
    assertTrue(ctx.hasNonNull("domainName"));
    assertEquals("abc", connect.path("queryStringParameters").path("token").asText());
    assertEquals(
        "mqtt-base64.stratus.dev",
        connect.path("multiValueHeaders").path("Sec-WebSocket-Protocol").get(0).asText());

    peer.ws.sendText("aGVsbG8=", true).join();
    JsonNode message = nextEvent("$default");
    assertEquals("MESSAGE", message.path("requestContext").path("eventType").asText());
    assertEquals(id, message.path("requestContext").path("connectionId").asText());
    assertTrue(message.path("requestContext").hasNonNull("messageId"));
    assertEquals("aGVsbG8=", message.path("body").asText());
    assertEquals(false, message.path("isBase64Encoded").asBoolean(true));

    try (ApiGatewayManagementApiClient api = sdk()) {
      api.postToConnection(b -> b.connectionId(id).data(SdkBytes.fromUtf8String("to you")));
      assertEquals("to you", peer.texts.poll(20, TimeUnit.SECONDS));
      GetConnectionResponse info = api.getConnection(b -> b.connectionId(id));
      assertEquals("127.0.0.1", info.identity().sourceIp());
      assertTrue(info.connectedAt() != null && info.lastActiveAt() != null);
      api.deleteConnection(b -> b.connectionId(id));
      assertTrue(peer.closeCode() > 0);
      JsonNode disconnect = nextEvent("$disconnect");
      assertEquals("DISCONNECT", disconnect.path("requestContext").path("eventType").asText());
      assertTrue(disconnect.path("requestContext").has("disconnectStatusCode"));
      assertTrue(disconnect.path("requestContext").has("disconnectReason"));
      assertThrows(
          GoneException.class,
          () -> api.postToConnection(b -> b.connectionId(id).data(SdkBytes.fromUtf8String("x"))));
      assertThrows(GoneException.class, () -> api.getConnection(b -> b.connectionId(id)));
    }
  }

  @Test
  void theClientsCloseCodeReachesDisconnect() throws Exception {
    start(ApiGatewayEmulator.Settings.defaults(), 200);
    Peer peer = Peer.open(emulator.url());
    nextEvent("$connect");
    peer.ws.sendClose(4000, "bye").join();
    JsonNode d = nextEvent("$disconnect").path("requestContext");
    assertEquals(4000, d.path("disconnectStatusCode").asInt());
    assertEquals("bye", d.path("disconnectReason").asText());
  }

  @Test
  void aBinaryFrameClosesWith1003() throws Exception {
    start(ApiGatewayEmulator.Settings.defaults(), 200);
    Peer peer = Peer.open(emulator.url());
    peer.ws.sendBinary(ByteBuffer.wrap(new byte[] {0x10, 0}), true).join();
    assertEquals(1003, peer.closeCode());
    assertEquals(
        1003, nextEvent("$disconnect").path("requestContext").path("disconnectStatusCode").asInt());
  }

  @Test
  void aFrameOver32KbClosesWith1009() throws Exception {
    start(ApiGatewayEmulator.Settings.defaults(), 200);
    // a raw socket: the JDK client splits large messages into smaller frames
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", emulator.port())) {
      s.setSoTimeout(20_000);
      var out = s.getOutputStream();
      out.write(
          ("GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection:"
                  + " Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt-base64.stratus.dev\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      var in = new java.io.DataInputStream(s.getInputStream());
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) in.readUnsignedByte());
      }
      assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
      int len = ApiGatewayEmulator.MAX_FRAME_BYTES + 1;
      out.write(new byte[] {(byte) 0x81, (byte) (0x80 | 126), (byte) (len >>> 8), (byte) len});
      out.write(new byte[] {1, 2, 3, 4});
      // the payload is not needed: the length alone is over the limit
      out.flush();
      assertEquals(0x88, in.readUnsignedByte(), "a close frame");
      in.readUnsignedByte();
      assertEquals(1009, in.readUnsignedShort());
    }
  }

  @Test
  void aMessageOver128KbInSmallFramesClosesWith1009() throws Exception {
    start(ApiGatewayEmulator.Settings.defaults(), 200);
    Peer peer = Peer.open(emulator.url());
    String chunk = "b".repeat(30_000);
    for (int i = 0; i < 4; i++) {
      peer.ws.sendText(chunk, false).join(); // 120,000 bytes: still allowed
    }
    peer.ws.sendText(chunk, true).join(); // 150,000 > 131,072
    assertEquals(1009, peer.closeCode());
    // every $default event seen carries a whole message: none was delivered here
    for (JsonNode e : events) {
      assertTrue(!e.path("requestContext").path("routeKey").asText().equals("$default"));
    }
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    start(
        ApiGatewayEmulator.Settings.defaults()
            .withTimeouts(Duration.ofMillis(300), Duration.ofHours(2)),
        200);
    Peer peer = Peer.open(emulator.url());
    assertEquals(1001, peer.closeCode());
    assertEquals(
        1001, nextEvent("$disconnect").path("requestContext").path("disconnectStatusCode").asInt());
  }

  @Test
  void aNon2xxConnectRefusesTheUpgradeWithThatStatus() throws Exception {
    start(ApiGatewayEmulator.Settings.defaults(), 401);
    CompletionException e =
        assertThrows(CompletionException.class, () -> Peer.open(emulator.url()));
    assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
    assertEquals(401, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
    assertEquals(0, emulator.connectionCount());
  }

  @Test
  void unknownConnectionsAreGone() throws Exception {
    start(ApiGatewayEmulator.Settings.defaults(), 200);
    try (ApiGatewayManagementApiClient api = sdk()) {
      assertThrows(
          GoneException.class,
          () ->
              api.postToConnection(
                  b ->
                      b.connectionId("AAAAAAAAAAAAAAA=")
                          .data(SdkBytes.fromString("x", StandardCharsets.UTF_8))));
      assertThrows(GoneException.class, () -> api.deleteConnection(b -> b.connectionId("nope")));
    }
  }
}
