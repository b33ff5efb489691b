package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.core.ConnectionId;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.ApiGatewayManagementApiException;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GetConnectionResponse;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GoneException;

/** The internal endpoint, driven by the real AWS SDK Management API client. */
class InternalEndpointTest {
  private LiveBroker live;
  private InternalEndpoint endpoint;
  private SdkHttpClient http;
  private ApiGatewayManagementApiClient api;
  private Socket socket;
  private InputStream in;
  private ConnectionId id;

  @BeforeEach
  void start() throws Exception {
    live = new LiveBroker(null);
    endpoint = InternalEndpoint.start(live.bridge, "127.0.0.1", 0);
    http = UrlConnectionHttpClient.create();
    api = TaskDirectory.internalClient(endpoint.url(), http);
    socket = new Socket("127.0.0.1", live.tcp());
    socket.setSoTimeout(10_000);
    in = socket.getInputStream();
    socket.getOutputStream().write(Wire.connect(4, "held"));
    assertArrayEquals(Wire.connAck311(), Wire.readPacket(in));
    id = live.stores.connections().connectionOf("held");
    assertNotNull(id);
  }

  @AfterEach
  void stop() throws Exception {
    socket.close();
    api.close();
    http.close();
    endpoint.close();
    live.close();
  }

  @Test
  void theUrlIsTheBoundLoopbackAddress() throws Exception {
    assertEquals("http://127.0.0.1:" + endpoint.address().getPort(), endpoint.url().toString());
  }

  @Test
  void postDeliversTheBodysPacketsInOrder() throws Exception {
    byte[] publish =
        Wire.publish(0, 0, "pushed/here", "hello".getBytes(StandardCharsets.UTF_8), false);
    byte[] pingResp = {(byte) 0xD0, 0x00};
    api.postToConnection(
        b ->
            b.connectionId(id.value())
                .data(SdkBytes.fromByteArray(Wire.concat(publish, pingResp))));
    assertArrayEquals(publish, Wire.readPacket(in));
    assertArrayEquals(pingResp, Wire.readPacket(in));
  }

  @Test
  void getDescribesTheConnectionAsApiGatewayDoes() {
    GetConnectionResponse r = api.getConnection(b -> b.connectionId(id.value()));
    assertEquals("127.0.0.1", r.identity().sourceIp());
    assertNotNull(r.connectedAt());
    assertFalse(r.lastActiveAt().isBefore(r.connectedAt()), "active after it connected");
  }

  @Test
  void deleteClosesTheConnection() throws Exception {
    api.deleteConnection(b -> b.connectionId(id.value()));
    assertNull(Wire.readPacket(in), "the socket is closed");
    assertThrows(GoneException.class, () -> api.getConnection(b -> b.connectionId(id.value())));
  }

  @Test
  void unknownConnectionsAreGone() {
    String unknown = "bridge-test-ffff";
    assertThrows(
        GoneException.class,
        () ->
            api.postToConnection(
                b ->
                    b.connectionId(unknown)
                        .data(SdkBytes.fromByteArray(new byte[] {(byte) 0xD0, 0}))));
    assertThrows(GoneException.class, () -> api.getConnection(b -> b.connectionId(unknown)));
    assertThrows(GoneException.class, () -> api.deleteConnection(b -> b.connectionId(unknown)));
  }

  @Test
  void aBodyThatIsNotWholePacketsIsRefused() throws Exception {
    ApiGatewayManagementApiException e =
        assertThrows(
            ApiGatewayManagementApiException.class,
            () ->
                api.postToConnection(
                    b ->
                        b.connectionId(id.value())
                            .data(SdkBytes.fromByteArray(new byte[] {0x30, 0x05, 0x00}))));
    assertEquals(400, e.statusCode());
    // nothing of it reached the client: the next thing it reads is what is posted next
    byte[] pingResp = {(byte) 0xD0, 0x00};
    api.postToConnection(b -> b.connectionId(id.value()).data(SdkBytes.fromByteArray(pingResp)));
    assertArrayEquals(pingResp, Wire.readPacket(in));
  }

  @Test
  void splitCutsAtFixedHeaders() {
    byte[] big = Wire.packet(0x30, new byte[200]); // a two-byte Remaining Length
    List<byte[]> parts = InternalEndpoint.split(Wire.concat(big, new byte[] {(byte) 0xC0, 0x00}));
    assertEquals(2, parts.size());
    assertArrayEquals(big, parts.get(0));
    assertNull(InternalEndpoint.split(new byte[0]));
    assertNull(InternalEndpoint.split(new byte[] {0x30}));
    assertNull(
        InternalEndpoint.split(
            new byte[] {0x30, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01}));
    assertTrue(InternalEndpoint.split(new byte[] {(byte) 0xD0, 0x00}).size() == 1);
  }
}
