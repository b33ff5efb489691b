package dev.stratus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.PingResp;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.UnsubAck;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Every fixture in {@code events/} through the real handler classes, on DynamoDB Local, with a
 * loopback server standing in for the Management API.
 */
class HandlersTest {
  private static final Path EVENTS = Path.of("..", "events");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The connection id every fixture carries. */
  private static final String A = "Lw1bZf6LIAMCJ0g=";

  private static final String B = "Mx2cAg7MJBNDK1h=";

  private final FakeManagementApi api = new FakeManagementApi();
  private DynamoDbClient dynamo;
  private String prefix;
  private Stores stores;
  private WebSocketEdge edge;
  private RequestStreamHandler connect;
  private RequestStreamHandler message;
  private RequestStreamHandler disconnect;

  @BeforeEach
  void setUp() {
    dynamo = LocalDynamo.client();
    prefix = LocalDynamo.newPrefix(dynamo);
    stores = DynamoDbStores.create(dynamo, prefix);
    var http = UrlConnectionHttpClient.create();
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> client(url, http),
            url -> client(url, http),
            new BridgeTasks(dynamo, prefix),
            InstantSource.system());
    edge =
        new WebSocketEdge(
            BrokerConfig.development(),
            stores,
            outbound,
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL,
            api.endpoint("dev"));
    connect = new ConnectHandler(edge);
    message = new DefaultHandler(edge);
    disconnect = new DisconnectHandler(edge);
  }

  private static ApiGatewayManagementApiClient client(
      URI url, software.amazon.awssdk.http.SdkHttpClient http) {
    return ApiGatewayManagementApiClient.builder()
        .endpointOverride(url)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("t", "t")))
        .httpClient(http)
        .build();
  }

  @AfterEach
  void tearDown() {
    api.close();
    dynamo.close();
  }

  @Test
  void everyFixtureIsAnApiGatewayWebSocketEventTheHandlersRead() throws IOException {
    List<Path> fixtures;
    try (Stream<Path> s = Files.list(EVENTS)) {
      fixtures = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertEquals(17, fixtures.size(), fixtures.toString());
    for (Path p : fixtures) {
      String name = p.getFileName().toString();
      if (name.startsWith("scheduled-")) {
        continue; // the sweeper's EventBridge event: SweeperTest and OrderingTest load it
      }
      WebSocketEvent e = WebSocketEvent.read(Files.newInputStream(p));
      String route =
          name.startsWith("default-")
              ? "$default"
              : name.startsWith("connect") ? "$connect" : "$disconnect";
      assertEquals(route, e.routeKey(), name);
      assertEquals(A, e.connectionId(), name);
      if (route.equals("$default")) {
        assertNotNull(e.body(), name);
      }
    }
  }

  @Test
  void aConnectionWithoutTheProfilesSubprotocolIsRefusedAtTheHandshake() throws IOException {
    JsonNode r = invoke(connect, fixture("connect-mqtt-only.json", A));
    assertEquals(400, r.get("statusCode").asInt());
    assertTrue(r.get("body").asText().contains(TextProfile.SUBPROTOCOL));
    assertNull(stores.connections().get(new ConnectionId(A)), "no connection recorded");
  }

  @Test
  void theProfilesSubprotocolIsNegotiatedAmongOthers() throws IOException {
    ObjectNode e = fixture("connect.json", A);
    ((ObjectNode) e.get("headers"))
        .put("Sec-WebSocket-Protocol", "mqtt, " + TextProfile.SUBPROTOCOL);
    JsonNode r = invoke(connect, e);
    assertEquals(200, r.get("statusCode").asInt());
    assertEquals(TextProfile.SUBPROTOCOL, r.get("headers").get("Sec-WebSocket-Protocol").asText());
    assertNotNull(stores.connections().get(new ConnectionId(A)));
  }

  /** One client, every fixture in protocol order: it subscribes to what it publishes. */
  @Test
  void theFixturesInOrderGetTheirAnswersPosted() throws IOException {
    open(A);
    ConnAck connAck = assertInstanceOf(ConnAck.class, single(send(A, "default-connect.json")));
    assertEquals(ReasonCode.SUCCESS, connAck.reasonCode());
    assertEquals(
        (long) TextProfile.MAX_PACKET_SIZE,
        connAck.properties().maximumPacketSize(),
        "the profile's limit is announced [MQTT-3.2.2-15]");

    SubAck subAck = assertInstanceOf(SubAck.class, single(send(A, "default-subscribe.json")));
    assertEquals(List.of(ReasonCode.GRANTED_QOS_2), subAck.reasonCodes());

    Publish p0 = assertInstanceOf(Publish.class, single(send(A, "default-publish-qos0.json")));
    assertEquals(QoS.AT_MOST_ONCE, p0.qos());
    assertEquals("21.5", new String(p0.payload().toArray(), StandardCharsets.UTF_8));

    List<Packet> q1 = send(A, "default-publish-qos1.json");
    assertEquals(10, find(q1, PubAck.class).packetId());
    Publish d1 = find(q1, Publish.class);
    assertEquals(QoS.AT_LEAST_ONCE, d1.qos());
    assertEquals(1, d1.packetId(), "the fixture's PUBACK acknowledges packet id 1");
    assertEquals(List.of(), send(A, "default-puback.json"));

    List<Packet> q2 = send(A, "default-publish-qos2.json");
    q2.addAll(send(A, "default-pubrel.json"));
    assertEquals(11, find(q2, PubRec.class).packetId());
    assertEquals(11, find(q2, PubComp.class).packetId());
    Publish d2 = find(q2, Publish.class);
    assertEquals(QoS.EXACTLY_ONCE, d2.qos());
    assertEquals(2, d2.packetId(), "the fixtures' PUBREC and PUBCOMP name packet id 2");
    assertEquals(
        2, assertInstanceOf(PubRel.class, single(send(A, "default-pubrec.json"))).packetId());
    assertEquals(List.of(), send(A, "default-pubcomp.json"));

    UnsubAck unsubAck =
        assertInstanceOf(UnsubAck.class, single(send(A, "default-unsubscribe.json")));
    assertEquals(3, unsubAck.packetId());
    assertInstanceOf(PingResp.class, single(send(A, "default-pingreq.json")));

    assertEquals(List.of(), send(A, "default-disconnect.json"));
    assertTrue(api.deleted(A), "DISCONNECT closes the connection [MQTT-3.14.4-1]");
    assertNull(stores.connections().get(new ConnectionId(A)));
    assertEquals(200, invoke(disconnect, fixture("disconnect.json", A)).get("statusCode").asInt());
  }

  @Test
  void aPublishReachesASubscriberOnAnotherConnectionAndQosFlowsBothWays() throws IOException {
    open(A);
    send(A, "default-connect.json");
    send(A, "default-subscribe.json");
    open(B);
    send(B, connectBody("client-b"));

    assertEquals(List.of(), send(B, "default-publish-qos0.json"));
    Publish p0 = assertInstanceOf(Publish.class, single(received(A)));
    assertEquals("sensors/temp", p0.topic().value());

    assertEquals(
        10,
        assertInstanceOf(PubAck.class, single(send(B, "default-publish-qos1.json"))).packetId());
    assertEquals(QoS.AT_LEAST_ONCE, assertInstanceOf(Publish.class, single(received(A))).qos());
    send(A, "default-puback.json");

    List<Packet> toB = send(B, "default-publish-qos2.json");
    toB.addAll(send(B, "default-pubrel.json"));
    assertEquals(11, find(toB, PubRec.class).packetId());
    assertEquals(11, find(toB, PubComp.class).packetId());
    assertEquals(QoS.EXACTLY_ONCE, assertInstanceOf(Publish.class, single(received(A))).qos());
  }

  @Test
  void aDisconnectWithACloseCodePublishesTheWill() throws IOException {
    open(A);
    send(A, "default-connect.json");
    send(A, "default-subscribe.json");
    open(B);
    send(B, connectBody("client-b", "sensors/will"));

    JsonNode r = invoke(disconnect, fixture("disconnect.json", B));
    assertEquals(200, r.get("statusCode").asInt());
    assertNull(stores.connections().get(new ConnectionId(B)));
    Publish will = assertInstanceOf(Publish.class, single(received(A)));
    assertEquals(
        "sensors/will", will.topic().value(), "an abnormal loss publishes the will [MQTT-3.1.2-8]");
  }

  @Test
  void aMalformedMessageClosesWithMalformedPacket() throws IOException {
    open(A);
    send(A, "default-connect.json");
    Disconnect d = assertInstanceOf(Disconnect.class, single(send(A, "default-malformed.json")));
    assertEquals(ReasonCode.MALFORMED_PACKET, d.reasonCode());
    assertTrue(api.deleted(A));
    assertNull(stores.connections().get(new ConnectionId(A)));
  }

  @Test
  void aMessageEndingInsideAPacketClosesWithMalformedPacket() throws IOException {
    open(A);
    send(A, "default-connect.json");
    byte[] publish =
        TextProfile.decode(fixture("default-publish-qos1.json", A).get("body").asText());
    byte[] half = java.util.Arrays.copyOf(publish, publish.length / 2);
    Disconnect d = assertInstanceOf(Disconnect.class, single(send(A, TextProfile.encode(half))));
    assertEquals(ReasonCode.MALFORMED_PACKET, d.reasonCode());
    assertTrue(api.deleted(A));
  }

  @Test
  void aPacketAboveTheProfilesMaximumClosesWithPacketTooLarge() throws IOException {
    open(A);
    send(A, "default-connect.json");
    byte[] fits = publishOfSize(TextProfile.MAX_PACKET_SIZE);
    assertEquals(TextProfile.MAX_PACKET_SIZE, fits.length);
    assertEquals(List.of(), send(A, TextProfile.encode(fits)), "the largest packet is accepted");
    assertFalse(api.deleted(A));

    byte[] tooLarge = publishOfSize(TextProfile.MAX_PACKET_SIZE + 1);
    Disconnect d =
        assertInstanceOf(Disconnect.class, single(send(A, TextProfile.encode(tooLarge))));
    assertEquals(ReasonCode.PACKET_TOO_LARGE, d.reasonCode());
    assertTrue(api.deleted(A));
  }

  /** A v5 QoS 0 PUBLISH of exactly {@code size} bytes on the wire. */
  private static byte[] publishOfSize(int size) {
    // fixed header 1 + 3 (remaining length 16,384..2,097,151), topic 2 + 1, properties 1
    byte[] payload = new byte[size - 1 - 3 - 3 - 1];
    byte[] p =
        PacketEncoder.encode(
            new Publish(
                dev.stratus.codec.TopicName.of("x"),
                QoS.AT_MOST_ONCE,
                false,
                false,
                0,
                Bytes.wrap(payload),
                Properties.NONE),
            MqttVersion.V5);
    assertEquals(size, p.length);
    return p;
  }

  @Test
  void aMessageThatIsNotBase64ClosesWithMalformedPacket() throws IOException {
    open(A);
    send(A, "default-connect.json");
    Disconnect d = assertInstanceOf(Disconnect.class, single(send(A, "not base64!")));
    assertEquals(ReasonCode.MALFORMED_PACKET, d.reasonCode());
  }

  @Test
  void severalPacketsInOneMessageAreHandledInOrder() throws IOException {
    open(A);
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.writeBytes(body("default-connect.json"));
    both.writeBytes(body("default-subscribe.json"));
    both.writeBytes(body("default-pingreq.json"));
    List<Packet> answers = send(A, TextProfile.encode(both.toByteArray()));
    assertEquals(3, answers.size(), answers.toString());
    assertInstanceOf(ConnAck.class, answers.get(0));
    assertInstanceOf(SubAck.class, answers.get(1));
    assertInstanceOf(PingResp.class, answers.get(2));
  }

  @Test
  void aSubscriberThatIsGoneIsForgotten() throws IOException {
    open(A);
    send(A, "default-connect.json");
    send(A, "default-subscribe.json");
    open(B);
    send(B, connectBody("client-b"));
    api.take(A);
    api.take(B);
    // A's socket went away without a $disconnect: the Management API answers 410 for it
    api.gone(A);
    send(B, "default-publish-qos0.json");
    assertNull(stores.connections().get(new ConnectionId(A)), "410 Gone forgets the connection");
  }

  @Test
  void aSubscriberOnABridgeTaskGetsRawPacketsAtItsInternalEndpoint() throws IOException {
    String task = "bridge-0123456789ab";
    String onBridge = task + "-1";
    new BridgeTasks(dynamo, prefix)
        .register(task, api.endpoint("internal"), Instant.now(), Duration.ofMinutes(1));
    api.live(onBridge);
    // the bridge task's own engine would do this; here the shared stores and one engine suffice
    ConnectionId id = new ConnectionId(onBridge);
    edge.broker().connectionOpened(new ConnectionInfo(id, task + "/tcp", "127.0.0.1", null));
    edge.broker()
        .packetReceived(
            id,
            new Connect(
                MqttVersion.V3_1_1, "on-bridge", true, 60, null, null, null, Properties.NONE));
    edge.broker().packetReceived(id, decodeOne(body("default-subscribe.json"), MqttVersion.V5));

    open(A);
    send(A, "default-connect.json");
    send(A, "default-publish-qos0.json");

    List<byte[]> raw = api.take(onBridge);
    // no base64 towards a bridge: its endpoint takes whole packets back to back
    List<Packet> got = decodeAll(raw.get(raw.size() - 1), MqttVersion.V3_1_1);
    Publish p = assertInstanceOf(Publish.class, got.get(got.size() - 1));
    assertEquals("sensors/temp", p.topic().value());
  }

  @Test
  void theCallbackUrlIsTheStagesDomainAndStage() throws IOException {
    WebSocketEdge noOverride =
        new WebSocketEdge(
            BrokerConfig.development(),
            stores,
            new ManagementApiOutbound(
                url -> null, url -> null, new BridgeTasks(dynamo, prefix), InstantSource.system()),
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL,
            null);
    WebSocketEvent e =
        WebSocketEvent.read(Files.newInputStream(EVENTS.resolve("default-pingreq.json")));
    assertEquals(
        URI.create("https://abcdef1234.execute-api.us-east-1.amazonaws.com/dev"),
        noOverride.callbackUrl(e));
  }

  @Test
  void theDisconnectCloseCodeIsReadFromTheRawEvent() throws IOException {
    WebSocketEvent e = WebSocketEvent.read(Files.newInputStream(EVENTS.resolve("disconnect.json")));
    assertEquals(1001, e.disconnectStatusCode());
    assertEquals("Going away", e.disconnectReason());
  }

  // ---------------------------------------------------------------------------------------------

  private void open(String id) throws IOException {
    api.live(id);
    assertEquals(200, invoke(connect, fixture("connect.json", id)).get("statusCode").asInt());
  }

  /**
   * Sends a fixture's message (or, when not a fixture name, that base64 text) and returns the
   * answers.
   */
  private List<Packet> send(String id, String fixtureOrText) throws IOException {
    ObjectNode e = fixture("default-pingreq.json", id);
    if (fixtureOrText.endsWith(".json")) {
      e = fixture(fixtureOrText, id);
    } else {
      e.put("body", fixtureOrText);
    }
    JsonNode r = invoke(message, e);
    assertEquals(200, r.get("statusCode").asInt());
    return received(id);
  }

  private List<Packet> received(String id) {
    List<Packet> all = new ArrayList<>();
    for (byte[] posted : api.take(id)) {
      all.addAll(
          decodeAll(
              TextProfile.decode(new String(posted, StandardCharsets.US_ASCII)), MqttVersion.V5));
    }
    return all;
  }

  private static String connectBody(String clientId) {
    return connectBody(clientId, null);
  }

  private static String connectBody(String clientId, String willTopic) {
    var will =
        willTopic == null
            ? null
            : new dev.stratus.codec.Will(
                dev.stratus.codec.TopicName.of(willTopic),
                Bytes.utf8("gone"),
                QoS.AT_MOST_ONCE,
                false,
                Properties.NONE);
    return TextProfile.encode(
        PacketEncoder.encode(
            new Connect(MqttVersion.V5, clientId, true, 60, null, null, will, Properties.NONE),
            MqttVersion.V5));
  }

  private static byte[] body(String fixture) throws IOException {
    return TextProfile.decode(fixture(fixture, A).get("body").asText());
  }

  private static ObjectNode fixture(String name, String connectionId) throws IOException {
    ObjectNode e = (ObjectNode) JSON.readTree(EVENTS.resolve(name).toFile());
    ((ObjectNode) e.get("requestContext")).put("connectionId", connectionId);
    return e;
  }

  private static JsonNode invoke(RequestStreamHandler handler, JsonNode event) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(JSON.writeValueAsBytes(event)), out, null);
    return JSON.readTree(out.toByteArray());
  }

  private static Packet single(List<Packet> packets) {
    assertEquals(1, packets.size(), packets.toString());
    return packets.get(0);
  }

  private static <T extends Packet> T find(List<Packet> packets, Class<T> type) {
    List<T> of = packets.stream().filter(type::isInstance).map(type::cast).toList();
    assertEquals(1, of.size(), packets.toString());
    return of.get(0);
  }

  private static Packet decodeOne(byte[] bytes, MqttVersion version) {
    return single(decodeAll(bytes, version));
  }

  private static List<Packet> decodeAll(byte[] bytes, MqttVersion version) {
    List<Packet> packets = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Framer framer = new Framer(1 << 20);
    try {
      while (in.hasRemaining()) {
        FrameResult.Frame f = assertInstanceOf(FrameResult.Frame.class, framer.next(in));
        packets.add(PacketDecoder.decode(f.packet(), version));
      }
    } catch (MqttDecodeException e) {
      throw new AssertionError(e);
    }
    assertFalse(framer.buffered() > 0);
    return packets;
  }
}
