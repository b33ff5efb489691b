package dev.stratus.functions;

import static dev.stratus.functions.HandlerEvents.encode;
import static dev.stratus.functions.HandlerEvents.fixture;
import static dev.stratus.functions.HandlerEvents.invoke;
import static dev.stratus.functions.HandlerEvents.managementClient;
import static dev.stratus.functions.HandlerEvents.message;
import static dev.stratus.functions.HandlerEvents.packetsIn;
import static dev.stratus.functions.HandlerEvents.single;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.codec.Will;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The scheduled sweeper (docs/sweeper.md) through {@link SweeperHandler} and the scheduled event
 * fixture, on DynamoDB Local, with a clock moved by hand: keepalive expiry, delayed wills, session
 * expiry, and the connections of a bridge task whose heartbeat stopped.
 */
class SweeperTest {
  private static final String A = "AaaAAAAAAAAAAA=";
  private static final String SUB = "SubAAAAAAAAAAA=";

  private final FakeManagementApi api = new FakeManagementApi();
  private final OrderingTest.ManualClock clock = new OrderingTest.ManualClock();
  private DynamoDbClient dynamo;
  private String prefix;
  private SdkHttpClient http;
  private WebSocketEdge edge;

  @BeforeEach
  void setUp() {
    dynamo = LocalDynamo.client();
    prefix = LocalDynamo.newPrefix(dynamo);
    http = UrlConnectionHttpClient.create();
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> managementClient(url, http),
            url -> managementClient(url, http),
            new BridgeTasks(dynamo, prefix),
            clock);
    edge =
        new WebSocketEdge(
            BrokerConfig.development(),
            DynamoDbStores.create(dynamo, prefix),
            outbound,
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL,
            api.endpoint("dev"),
            new Sequencer(dynamo, prefix, clock),
            new BridgeTasks(dynamo, prefix),
            clock);
  }

  @AfterEach
  void tearDown() {
    api.close();
    dynamo.close();
    http.close();
  }

  @Test
  void aConnectionSilentBeyondOneAndAHalfKeepalivesIsClosedWithItsWill() throws Exception {
    subscribe();
    open(A);
    send(A, connect("a", 10, will(0), null));
    received(A);
    clock.advance(Duration.ofSeconds(14));
    sweep();
    assertFalse(api.deleted(A), "within 1.5 x 10 s [MQTT-3.1.2-22]");
    clock.advance(Duration.ofSeconds(2));
    sweep();
    Disconnect d = assertInstanceOf(Disconnect.class, single(received(A)));
    assertEquals(ReasonCode.KEEP_ALIVE_TIMEOUT, d.reasonCode());
    assertTrue(api.deleted(A));
    Publish w = assertInstanceOf(Publish.class, single(received(SUB)));
    assertEquals("t/will", w.topic().value(), "the will of a connection closed by the server");
  }

  @Test
  void withPaddedDeadlinesASilentConnectionIsClosedLateByAtMostThePadNeverEarly() throws Exception {
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> managementClient(url, http),
            url -> managementClient(url, http),
            new BridgeTasks(dynamo, prefix),
            clock);
    edge =
        new WebSocketEdge(
            BrokerConfig.development(),
            DynamoDbStores.create(dynamo, prefix, WebSocketEdge.DEFAULT_KEEPALIVE_PAD),
            outbound,
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL,
            api.endpoint("dev"),
            new Sequencer(dynamo, prefix, clock),
            new BridgeTasks(dynamo, prefix),
            clock);
    open(A);
    send(A, connect("a", 10, null, null));
    received(A);
    for (int i = 0; i < 4; i++) { // a PINGREQ every 5 s: the stored deadline moves or not
      clock.advance(Duration.ofSeconds(5));
      send(A, dev.stratus.codec.PingReq.INSTANCE);
      assertInstanceOf(dev.stratus.codec.PingResp.class, single(received(A)));
    }
    // the last packet was at t=20: 1.5 x 10 s later is t=35, the pad (one keepalive) t=45
    clock.advance(Duration.ofSeconds(14));
    sweep();
    assertFalse(api.deleted(A), "never before 1.5 keepalives [MQTT-3.1.2-22]");
    clock.advance(Duration.ofSeconds(11)); // t=45
    sweep();
    Disconnect d = assertInstanceOf(Disconnect.class, single(received(A)));
    assertEquals(ReasonCode.KEEP_ALIVE_TIMEOUT, d.reasonCode());
  }

  @Test
  void aDelayedWillIsPublishedByTheSweepOnceItsDelayPassed() throws Exception {
    subscribe();
    open(A);
    send(A, connect("a", 0, will(20), 300L));
    received(A);
    invoke(new DisconnectHandler(edge), fixture("disconnect.json", A));
    assertEquals(List.of(), received(SUB), "the will waits for its delay [MQTT-3.1.3-9]");
    clock.advance(Duration.ofSeconds(19));
    sweep();
    assertEquals(List.of(), received(SUB));
    clock.advance(Duration.ofSeconds(2));
    sweep();
    Publish w = assertInstanceOf(Publish.class, single(received(SUB)));
    assertEquals("t/will", w.topic().value());
  }

  @Test
  void anExpiredSessionIsDiscarded() throws Exception {
    open(A);
    send(A, connect("a", 0, null, 30L));
    send(A, subscribePacket());
    received(A);
    invoke(new DisconnectHandler(edge), fixture("disconnect.json", A));
    clock.advance(Duration.ofSeconds(31));
    sweep();
    // the session is gone: a new connection with clean start 0 finds none [MQTT-3.1.2-23]
    String again = "AgainAAAAAAAAA=";
    open(again);
    send(again, connect("a", 0, null, 30L, false));
    assertFalse(
        assertInstanceOf(dev.stratus.codec.ConnAck.class, single(received(again)))
            .sessionPresent());
  }

  @Test
  void theConnectionsOfABridgeTaskWhoseHeartbeatStoppedAreLostAndTheirWillsFire() throws Exception {
    subscribe();
    BridgeTasks tasks = new BridgeTasks(dynamo, prefix);
    tasks.register("bridge-t1", api.endpoint("internal"), clock.instant(), Duration.ofSeconds(30));
    ConnectionId held = new ConnectionId("bridge-t1-1f");
    api.live(held.value());
    edge.broker().connectionOpened(new ConnectionInfo(held, "bridge-t1/tcp", "10.0.0.7", null));
    edge.broker().packetReceived(held, connect("b", 0, will(0), null));
    assertEquals(0, sweep().deadTasks(), "the task is alive");

    clock.advance(Duration.ofSeconds(31)); // the task stopped renewing
    WebSocketEdge.SweepReport r = sweep();
    assertEquals(1, r.deadTasks());
    assertEquals(1, r.connectionsOfDeadTasks());
    Publish w = assertInstanceOf(Publish.class, single(received(SUB)));
    assertEquals(
        "t/will", w.topic().value(), "a lost connection publishes its will [MQTT-3.1.2-8]");
    assertEquals(0, sweep().deadTasks(), "deregistered: swept once");
  }

  // ---------------------------------------------------------------------------------------------

  private WebSocketEdge.SweepReport sweep() {
    return HandlerEvents.sweep(edge, clock, null);
  }

  private void subscribe() throws IOException {
    open(SUB);
    send(SUB, connect("sub", 0, null, null));
    send(SUB, subscribePacket());
    List<Packet> answers = received(SUB);
    assertInstanceOf(SubAck.class, answers.get(answers.size() - 1));
  }

  private static Subscribe subscribePacket() {
    return new Subscribe(
        1,
        List.of(
            new TopicSubscription(
                TopicFilter.of("t/#"), QoS.AT_MOST_ONCE, false, false, RetainHandling.SEND)),
        Properties.NONE);
  }

  private static Will will(long delay) {
    return new Will(
        TopicName.of("t/will"),
        Bytes.utf8("gone"),
        QoS.AT_MOST_ONCE,
        false,
        delay == 0 ? Properties.NONE : Properties.builder().willDelayInterval(delay).build());
  }

  private static Connect connect(String clientId, int keepAlive, Will will, Long expiry) {
    return connect(clientId, keepAlive, will, expiry, true);
  }

  private static Connect connect(
      String clientId, int keepAlive, Will will, Long expiry, boolean cleanStart) {
    return new Connect(
        MqttVersion.V5,
        clientId,
        cleanStart,
        keepAlive,
        null,
        null,
        will,
        expiry == null
            ? Properties.NONE
            : Properties.builder().sessionExpiryInterval(expiry).build());
  }

  private void open(String id) throws IOException {
    api.live(id);
    assertEquals(
        200,
        invoke(new ConnectHandler(edge), fixture("connect.json", id)).get("statusCode").asInt());
  }

  private void send(String id, Packet p) {
    invoke(new DefaultHandler(edge), message(id, encode(p)));
  }

  private List<Packet> received(String id) {
    return packetsIn(api.take(id));
  }
}
