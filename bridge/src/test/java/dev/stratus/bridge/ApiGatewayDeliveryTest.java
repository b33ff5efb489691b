package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.Publish;
import dev.stratus.codec.SubAck;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * Delivery from the bridge to connections API Gateway holds: the engine's connection record names
 * the edge {@code apigw:<callback URL>}, and the bridge posts the text profile there with the AWS
 * SDK's Management API client. API Gateway is played by a small HTTP server speaking the Management
 * API's {@code POST|DELETE /{stage}/@connections/{id}} (410 with {@code GoneException}, 429 with
 * {@code LimitExceededException} on demand); the API Gateway side of a connection is driven into
 * the engine as the Lambda handlers would drive it, and the publisher is a real MQTT client over
 * TCP.
 */
class ApiGatewayDeliveryTest {
  private static final String STAGE = "/local";

  private FakeManagementApi api;
  private final Stores stores = Stores.inMemory();
  private Bridge bridge;
  private Broker broker;
  private SdkHttpClient http;
  private RemoteOutbound remote;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    api = new FakeManagementApi();
    bridge = new Bridge(BridgeConfig.loopbackDefaults());
    broker =
        new Broker(
            BrokerConfig.development(),
            stores,
            bridge,
            InstantSource.system(),
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL);
    http = UrlConnectionHttpClient.create();
    // As BridgeMain wires it with --store dynamodb, on the in-memory stores (same contract).
    remote =
        new RemoteOutbound(
            new TaskDirectory(null, stores.connections(), Map.of(), InstantSource.system()),
            route -> TaskDirectory.client(route, http, Map.of()),
            broker::connectionLost,
            RemoteOutbound.DEFAULT_CAPACITY);
    bridge.routeElsewhere(remote);
    bridge.start(broker);
  }

  @AfterEach
  void stop() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
    bridge.close();
    remote.close();
    http.close();
    api.close();
  }

  private Mqtt5BlockingClient tcpClient(String id) {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(bridge.port(Protocol.TCP))
            .useMqttVersion5()
            .buildBlocking();
    c.connect();
    clients.add(c);
    return c;
  }

  /**
   * An API Gateway connection as the Lambda edge records it: opened with the {@code apigw:} edge,
   * then its CONNECT and a SUBSCRIBE; returns once its CONNACK and SUBACK were posted.
   */
  private ConnectionId apiGatewayClient(String connectionId, byte[] connect, String filter)
      throws Exception {
    ConnectionId id = new ConnectionId(connectionId);
    MqttVersion version = (connect[8] & 0xFF) == 5 ? MqttVersion.V5 : MqttVersion.V3_1_1;
    api.versions.put(connectionId, version);
    broker.connectionOpened(
        new ConnectionInfo(id, "apigw:" + api.url(), "198.51.100.7:40000", null));
    broker.packetReceived(id, PacketDecoder.decode(ByteBuffer.wrap(connect), null));
    assertInstanceOf(ConnAck.class, api.nextPacket(connectionId, version));
    broker.packetReceived(
        id, PacketDecoder.decode(ByteBuffer.wrap(subscribe(filter, version)), version));
    assertInstanceOf(SubAck.class, api.nextPacket(connectionId, version));
    return id;
  }

  /** SUBSCRIBE packet id 1 to one filter at QoS 1, for a 3.1.1 or a v5 client. */
  private static byte[] subscribe(String filter, MqttVersion version) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(0);
    body.write(1); // packet id 1
    if (version == MqttVersion.V5) {
      body.write(0); // property length
    }
    Wire.writeString(body, filter);
    body.write(1); // maximum QoS 1
    return Wire.packet(0x82, body.toByteArray());
  }

  @Test
  void publishesOnTheBridgeReachAnApiGatewayConnectionInOrderAsBase64Text() throws Exception {
    String connection = "L0SM9cOFvHcCIhw=";
    apiGatewayClient(connection, Wire.connect(4, "browser"), "sensors/#");
    Mqtt5BlockingClient publisher = tcpClient("publisher");
    int n = 100; // 50 of them QoS 1: within a 3.1.1 client's in-flight window of 100
    for (int i = 0; i < n; i++) {
      publisher
          .publishWith()
          .topic("sensors/t")
          .qos(i % 2 == 0 ? MqttQos.AT_MOST_ONCE : MqttQos.AT_LEAST_ONCE)
          .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
    int lastPacketId = 0;
    for (int i = 0; i < n; i++) {
      Publish p = assertInstanceOf(Publish.class, api.nextPacket(connection, MqttVersion.V3_1_1));
      assertEquals("m" + i, new String(p.payload().toArray(), StandardCharsets.UTF_8));
      assertEquals("sensors/t", p.topic().value());
      if (p.packetId() != 0) {
        assertTrue(p.packetId() > lastPacketId, "packet ids increase");
        lastPacketId = p.packetId();
      }
    }
    for (String text : api.texts(connection)) {
      assertTrue(text.length() <= RemoteOutbound.MAX_TEXT_CHARS, "fits one API Gateway message");
      assertTrue(text.matches("[A-Za-z0-9+/]+=*"), "base64 text: " + text);
    }
    assertEquals(0, remote.stats().failed());
  }

  @Test
  void aGoneConnectionIsCleanedUpAndItsWillFires() throws Exception {
    String connection = "Zm9vYmFyMQ=";
    ConnectionId id =
        apiGatewayClient(
            connection,
            Wire.connect5WithWill("walker", true, 60, 0, "wills/walker", "lost", 0),
            "chat/#");
    Mqtt5BlockingClient watcher = tcpClient("watcher");
    watcher.subscribeWith().topicFilter("wills/#").qos(MqttQos.AT_LEAST_ONCE).send();
    try (Mqtt5BlockingClient.Mqtt5Publishes wills =
        watcher.publishes(MqttGlobalPublishFilter.ALL)) {
      api.gone.add(connection); // the browser went away without $disconnect reaching anyone
      tcpClient("talker").publishWith().topic("chat/room").payload(new byte[] {1}).send();

      Optional<Mqtt5Publish> will = wills.receive(20, TimeUnit.SECONDS);
      assertTrue(will.isPresent(), "the will of the gone connection is published");
      assertEquals("wills/walker", will.get().getTopic().toString());
      assertEquals("lost", new String(will.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
    }
    assertNull(stores.connections().get(id), "the record is removed");
    assertNull(stores.connections().connectionOf("walker"), "the client id is free");
    assertTrue(remote.stats().gone() >= 1);
  }

  @Test
  void throttlingIsRetriedUntilThePostGoesThrough() throws Exception {
    String connection = "VGhyb3R0bGVk";
    apiGatewayClient(connection, Wire.connect(4, "patient"), "load/#");
    api.throttle.put(connection, new AtomicInteger(3)); // the next three posts get 429
    Mqtt5BlockingClient publisher = tcpClient("loader");
    publisher.publishWith().topic("load/a").payload("first".getBytes()).send();
    publisher.publishWith().topic("load/a").payload("second".getBytes()).send();

    Publish first = assertInstanceOf(Publish.class, api.nextPacket(connection, MqttVersion.V3_1_1));
    Publish second =
        assertInstanceOf(Publish.class, api.nextPacket(connection, MqttVersion.V3_1_1));
    assertEquals("first", new String(first.payload().toArray(), StandardCharsets.UTF_8));
    assertEquals("second", new String(second.payload().toArray(), StandardCharsets.UTF_8));
    assertEquals(3, api.throttled.get(), "three 429 answers were given");
    assertEquals(3, remote.stats().retried());
    assertEquals(0, remote.stats().failed());
  }

  @Test
  void aPacketTooLargeForAnApiGatewayMessageIsCountedAndTheNextOneStillArrives() throws Exception {
    String connection = "QmlnZ2llcw==";
    apiGatewayClient(connection, Wire.connect(4, "small"), "big/#");
    Mqtt5BlockingClient publisher = tcpClient("bulky");
    publisher.publishWith().topic("big/x").payload(new byte[100_000]).send(); // QoS 0
    publisher.publishWith().topic("big/x").payload("after".getBytes()).send();
    Publish p = assertInstanceOf(Publish.class, api.nextPacket(connection, MqttVersion.V3_1_1));
    assertEquals("after", new String(p.payload().toArray(), StandardCharsets.UTF_8));
    assertEquals(1, remote.stats().oversize());
  }

  @Test
  void aTakeoverFromTheBridgeDeletesTheApiGatewayConnection() throws Exception {
    String connection = "T2xkT25lPQ==";
    apiGatewayClient(connection, Wire.connect(4, "roamer"), "x/#");
    tcpClient("roamer"); // the same client id on the bridge: the older connection must end
    assertEquals(connection, api.deleted.poll(20, TimeUnit.SECONDS));
  }

  @Test
  void theEdgeIsReadFromTheConnectionRecordAndAwsEndpointsHonourTheOverride() {
    TaskDirectory plain = new TaskDirectory(null, stores.connections(), Map.of(), null);
    assertEquals(
        URI.create("https://abc.execute-api.eu-west-1.amazonaws.com/prod"),
        plain.callbackUrl("apigw:https://abc.execute-api.eu-west-1.amazonaws.com/prod"));
    assertNull(plain.callbackUrl("apigw:unknown"));
    assertNull(plain.callbackUrl("bridge-0123456789ab/tcp"));
    TaskDirectory overridden =
        new TaskDirectory(
            null,
            stores.connections(),
            Map.of(
                "AWS_ENDPOINT_URL", "http://127.0.0.1:8000",
                "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:4566/emu/"),
            null);
    assertEquals(
        URI.create("http://127.0.0.1:4566/emu/prod"),
        overridden.callbackUrl("apigw:https://abc.execute-api.eu-west-1.amazonaws.com/prod"));
    assertEquals(
        URI.create("http://127.0.0.1:3001/local"),
        overridden.callbackUrl("apigw:http://127.0.0.1:3001/local"),
        "the local emulator's URL is where its connections are");
    assertEquals(
        "eu-west-1",
        TaskDirectory.regionOf(
                URI.create("https://abc.execute-api.eu-west-1.amazonaws.com/prod"), Map.of())
            .id());
  }

  /** The Management API of one stage, as API Gateway answers it. */
  static final class FakeManagementApi implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, BlockingQueue<Packet>> packets = new ConcurrentHashMap<>();
    private final Map<String, List<String>> texts = new ConcurrentHashMap<>();
    final Set<String> gone = ConcurrentHashMap.newKeySet();
    final Map<String, AtomicInteger> throttle = new ConcurrentHashMap<>();
    final AtomicInteger throttled = new AtomicInteger();
    final BlockingQueue<String> deleted = new LinkedBlockingQueue<>();
    final Map<String, MqttVersion> versions = new ConcurrentHashMap<>();

    FakeManagementApi() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(STAGE + "/@connections/", this::handle);
      server.start();
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + STAGE);
    }

    List<String> texts(String connection) {
      return List.copyOf(texts.getOrDefault(connection, List.of()));
    }

    /** The next packet posted to a connection, in the order posted. */
    Packet nextPacket(String connection, MqttVersion version) throws InterruptedException {
      assertEquals(version, versions.get(connection));
      Packet p = queue(connection).poll(20, TimeUnit.SECONDS);
      assertNotNull(p, "a packet was posted to " + connection);
      return p;
    }

    private BlockingQueue<Packet> queue(String connection) {
      return packets.computeIfAbsent(connection, c -> new LinkedBlockingQueue<>());
    }

    private void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        String path = exchange.getRequestURI().getPath(); // decoded: ids may hold '='
        String id = path.substring((STAGE + "/@connections/").length());
        byte[] body = exchange.getRequestBody().readAllBytes();
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null || !authorization.startsWith("AWS4-HMAC-SHA256 ")) {
          reply(exchange, 403, "AccessDeniedException");
          return;
        }
        if (gone.contains(id)) {
          reply(exchange, 410, "GoneException");
          return;
        }
        switch (exchange.getRequestMethod()) {
          case "POST" -> {
            AtomicInteger left = throttle.get(id);
            if (left != null && left.getAndDecrement() > 0) {
              throttled.incrementAndGet();
              reply(exchange, 429, "LimitExceededException");
              return;
            }
            String text = new String(body, StandardCharsets.UTF_8);
            texts
                .computeIfAbsent(id, c -> new java.util.concurrent.CopyOnWriteArrayList<>())
                .add(text);
            split(id, Base64.getDecoder().decode(text));
            exchange.sendResponseHeaders(200, -1);
          }
          case "DELETE" -> {
            deleted.add(id);
            exchange.sendResponseHeaders(204, -1);
          }
          default -> reply(exchange, 405, "MethodNotAllowed");
        }
      } catch (RuntimeException e) {
        e.printStackTrace();
        throw e;
      }
    }

    /** The posted bytes must be whole packets; each is decoded and queued for the test. */
    private void split(String id, byte[] bytes) {
      Framer framer = new Framer(1 << 20);
      ByteBuffer in = ByteBuffer.wrap(bytes);
      try {
        while (in.hasRemaining()) {
          FrameResult r = framer.next(in);
          if (!(r instanceof FrameResult.Frame f)) {
            throw new IllegalStateException("a message ends inside a packet");
          }
          queue(id).add(PacketDecoder.decode(f.packet(), versions.get(id)));
        }
      } catch (dev.stratus.codec.MqttDecodeException e) {
        throw new IllegalStateException(e);
      }
    }

    private static void reply(HttpExchange exchange, int status, String errorType)
        throws IOException {
      byte[] body = ("{\"message\":\"" + errorType + "\"}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("x-amzn-ErrorType", errorType);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
