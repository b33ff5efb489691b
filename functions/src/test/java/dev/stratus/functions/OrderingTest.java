package dev.stratus.functions;

import static dev.stratus.functions.HandlerEvents.encode;
import static dev.stratus.functions.HandlerEvents.fixture;
import static dev.stratus.functions.HandlerEvents.invoke;
import static dev.stratus.functions.HandlerEvents.managementClient;
import static dev.stratus.functions.HandlerEvents.message;
import static dev.stratus.functions.HandlerEvents.packetsIn;
import static dev.stratus.functions.HandlerEvents.single;
import static dev.stratus.functions.HandlerEvents.sweep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.Context;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The sequence prefix (docs/ordering.md) at the handler level: several independent edges (as
 * several Lambda containers would be) on one DynamoDB Local, invoking {@code $default} concurrently
 * on a shuffled order of one client's sequenced messages.
 */
class OrderingTest {
  private static final String PUB = "PubAAAAAAAAAAA=";
  private static final String SUB = "SubAAAAAAAAAAA=";

  /** A clock the tests move by hand; the engine and the sequencer read it. */
  static final class ManualClock implements InstantSource {
    private final AtomicLong millis =
        new AtomicLong(Instant.parse("2026-11-22T02:00:00Z").toEpochMilli());

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }

    void advance(Duration d) {
      millis.addAndGet(d.toMillis());
    }
  }

  private final FakeManagementApi api = new FakeManagementApi();
  private final ManualClock clock = new ManualClock();
  private DynamoDbClient dynamo;
  private String prefix;
  private SdkHttpClient http;

  @BeforeEach
  void setUp() {
    dynamo = LocalDynamo.client();
    prefix = LocalDynamo.newPrefix(dynamo);
    http = UrlConnectionHttpClient.create();
  }

  @AfterEach
  void tearDown() {
    api.close();
    dynamo.close();
    http.close();
  }

  /** One more container: its own engine, outbound and sequencer, the shared tables. */
  private WebSocketEdge edge(InstantSource edgeClock) {
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> managementClient(url, http),
            url -> managementClient(url, http),
            new BridgeTasks(dynamo, prefix),
            edgeClock);
    return new WebSocketEdge(
        BrokerConfig.development(),
        DynamoDbStores.create(dynamo, prefix),
        outbound,
        Authenticator.ALLOW_ALL,
        Authorizer.ALLOW_ALL,
        api.endpoint("dev"),
        new Sequencer(dynamo, prefix, edgeClock),
        new BridgeTasks(dynamo, prefix),
        edgeClock);
  }

  @Test
  void shuffledConcurrentSequencedPublishesArriveInOrderEachOnce() throws Exception {
    int n = 300;
    List<WebSocketEdge> edges = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      edges.add(edge(InstantSource.system()));
    }
    subscribe(edges.get(0));

    // the publisher's whole conversation, prefixed: 1 is CONNECT, 2..n+1 QoS 1 PUBLISH "m<i>"
    open(edges.get(1), PUB, Map.of());
    List<String> bodies = new ArrayList<>();
    bodies.add("1:" + encode(connect("pub")));
    for (int i = 1; i <= n; i++) {
      bodies.add((i + 1) + ":" + encode(publish(i, "m" + i)));
    }
    List<String> shuffled = new ArrayList<>(bodies);
    Collections.shuffle(shuffled, new Random(42));
    // a few duplicates, also in random places: each is ignored whichever copy runs first
    for (int d : List.of(1, 2, 50, n / 2, n)) {
      shuffled.add(new Random(d).nextInt(shuffled.size()), bodies.get(d));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < shuffled.size(); i++) {
        DefaultHandler handler = new DefaultHandler(edges.get(i % edges.size()));
        String body = shuffled.get(i);
        // each invocation with the time API Gateway's integration timeout leaves it
        calls.add(pool.submit(() -> invoke(handler, message(PUB, body), remaining(29_000))));
      }
      for (Future<?> f : calls) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }

    // as deployed: a holder that ran out of its invocation's time (possible on a loaded machine)
    // left the rest parked at next for the scheduled sweep, which drains it in order
    sweep(edges.get(3), InstantSource.system(), remaining(29_000));
    List<String> payloads = new ArrayList<>();
    for (Packet p : received(SUB)) {
      payloads.add(assertInstanceOf(Publish.class, p).payload().asUtf8());
    }
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      expected.add("m" + i);
    }
    assertEquals(expected, payloads, "in the order sent, each once [MQTT-4.6.0-5]");
    List<Integer> acks = new ArrayList<>();
    for (Packet p : received(PUB)) {
      if (p instanceof PubAck a) {
        acks.add(a.packetId());
      }
    }
    List<Integer> expectedAcks = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      expectedAcks.add(i);
    }
    assertEquals(expectedAcks, acks, "one PUBACK per PUBLISH, in order [MQTT-4.6.0-2]");

    // a late duplicate after everything is ignored; an unprefixed message is handled at once
    invoke(new DefaultHandler(edges.get(2)), message(PUB, bodies.get(7)));
    assertEquals(List.of(), received(SUB));
    invoke(new DefaultHandler(edges.get(3)), message(PUB, encode(publish(n + 1, "loose"))));
    Publish loose = assertInstanceOf(Publish.class, single(received(SUB)));
    assertEquals("loose", loose.payload().asUtf8());
  }

  @Test
  void aGapThatOutlivesTheTimeoutClosesTheConnectionAtTheSweep() throws Exception {
    WebSocketEdge edge = edge(clock);
    subscribe(edge);
    open(edge, PUB, Map.of());
    invoke(new DefaultHandler(edge), message(PUB, "1:" + encode(connect("pub"))));
    received(PUB); // CONNACK
    // 2 never comes: 3 and 4 wait
    invoke(new DefaultHandler(edge), message(PUB, "3:" + encode(publish(2, "m2"))));
    invoke(new DefaultHandler(edge), message(PUB, "4:" + encode(publish(3, "m3"))));
    assertEquals(List.of(), received(SUB), "nothing overtakes the missing message");

    clock.advance(Sequencer.GAP_TIMEOUT.minusSeconds(1));
    assertEquals(0, sweep(edge, clock, null).sequenceGaps());
    assertFalse(api.deleted(PUB));

    clock.advance(Duration.ofSeconds(2));
    assertEquals(1, sweep(edge, clock, null).sequenceGaps());
    Disconnect d = assertInstanceOf(Disconnect.class, single(received(PUB)));
    assertEquals(ReasonCode.UNSPECIFIED_ERROR, d.reasonCode());
    assertTrue(api.deleted(PUB));
    assertEquals(List.of(), received(SUB), "the waiting messages are dropped, not delivered");
    assertEquals(0, sweep(edge, clock, null).sequenceGaps(), "forgotten");
  }

  @Test
  void aFillGapDeliversTheWaitingMessagesInOrder() throws Exception {
    WebSocketEdge edge = edge(clock);
    subscribe(edge);
    open(edge, PUB, Map.of());
    invoke(new DefaultHandler(edge), message(PUB, "1:" + encode(connect("pub"))));
    invoke(new DefaultHandler(edge), message(PUB, "4:" + encode(publish(3, "m3"))));
    invoke(new DefaultHandler(edge), message(PUB, "3:" + encode(publish(2, "m2"))));
    assertEquals(List.of(), received(SUB));
    invoke(new DefaultHandler(edge), message(PUB, "2:" + encode(publish(1, "m1"))));
    List<String> payloads =
        received(SUB).stream().map(p -> ((Publish) p).payload().asUtf8()).toList();
    assertEquals(List.of("m1", "m2", "m3"), payloads);
    clock.advance(Sequencer.GAP_TIMEOUT.plusSeconds(5));
    assertEquals(0, sweep(edge, clock, null).sequenceGaps(), "no gap left");
  }

  @Test
  void theSequencedFixturesRunInOrderWhicheverArrivesFirst() throws Exception {
    String a = "Lw1bZf6LIAMCJ0g="; // the fixtures' connection id
    WebSocketEdge edge = edge(clock);
    subscribe(edge);
    api.live(a);
    invoke(new ConnectHandler(edge), fixture("connect.json", a));
    invoke(new DefaultHandler(edge), fixture("default-sequenced-2-publish-qos1.json", a));
    assertEquals(List.of(), received(a), "the PUBLISH waits for the CONNECT");
    invoke(new DefaultHandler(edge), fixture("default-sequenced-1-connect.json", a));
    List<Packet> answers = received(a);
    assertEquals(2, answers.size(), answers.toString());
    assertInstanceOf(dev.stratus.codec.ConnAck.class, answers.get(0));
    assertEquals(10, assertInstanceOf(PubAck.class, answers.get(1)).packetId());
  }

  @Test
  void aNumberTooFarAheadClosesWithProtocolError() throws Exception {
    WebSocketEdge edge = edge(clock);
    open(edge, PUB, Map.of());
    invoke(new DefaultHandler(edge), message(PUB, "1:" + encode(connect("pub"))));
    received(PUB);
    long tooFar = 2 + Sequencer.WINDOW;
    invoke(new DefaultHandler(edge), message(PUB, tooFar + ":" + encode(publish(1, "x"))));
    Disconnect d = assertInstanceOf(Disconnect.class, single(received(PUB)));
    assertEquals(ReasonCode.PROTOCOL_ERROR, d.reasonCode());
    assertTrue(api.deleted(PUB));
  }

  @Test
  void connectKeepsTheQueryParametersButNotTheTokenUntilDisconnect() throws Exception {
    WebSocketEdge edge = edge(clock);
    open(edge, PUB, Map.of("token", "abc", "client", "web"));
    assertEquals(Map.of("client", "web"), edge.queryParameters(new ConnectionId(PUB)));
    ObjectNode bye = fixture("disconnect.json", PUB);
    invoke(new DisconnectHandler(edge), bye);
    assertEquals(Map.of(), edge.queryParameters(new ConnectionId(PUB)));
  }

  @Test
  void aHolderOutOfTimeLeavesParkedMessagesThatTheSweepDrainsInOrder() throws Exception {
    WebSocketEdge edge = edge(clock);
    subscribe(edge);
    open(edge, PUB, Map.of());
    invoke(new DefaultHandler(edge), message(PUB, "1:" + encode(connect("pub"))));
    received(PUB); // CONNACK
    // 3, 4, 5 arrive before 2 and park
    for (int i = 3; i <= 5; i++) {
      invoke(new DefaultHandler(edge), message(PUB, i + ":" + encode(publish(i - 1, "m" + i))));
    }
    // 2's invocation has less time left than the margin: it handles its own message and stops,
    // leaving 3..5 parked at next with the lock free (what a holder out of time leaves behind)
    invoke(
        new DefaultHandler(edge),
        message(PUB, "2:" + encode(publish(1, "m2"))),
        remaining(Sequencer.MARGIN.minusMillis(1)));
    assertEquals(List.of("m2"), payloads(received(SUB)));
    assertEquals(List.of(1), ackIds(received(PUB)));

    // nobody else comes: the sweep drains them, in order, before it looks for gaps
    WebSocketEdge.SweepReport r = sweep(edge, clock, remaining(29_000));
    assertEquals(1, r.sequencesDrained());
    assertEquals(0, r.sequenceGaps());
    assertEquals(List.of("m3", "m4", "m5"), payloads(received(SUB)));
    assertEquals(List.of(2, 3, 4), ackIds(received(PUB)));

    // the sequence goes on from 6, at once; long after, no gap and nothing left to drain
    invoke(new DefaultHandler(edge), message(PUB, "6:" + encode(publish(5, "m6"))));
    assertEquals(List.of("m6"), payloads(received(SUB)));
    clock.advance(Sequencer.GAP_TIMEOUT.plusSeconds(5));
    r = sweep(edge, clock, remaining(29_000));
    assertEquals(0, r.sequencesDrained());
    assertEquals(0, r.sequenceGaps());
  }

  @Test
  void aLongParkedMessageAtNextIsDrainedNotClosedAsAGap() throws Exception {
    WebSocketEdge edge = edge(clock);
    subscribe(edge);
    open(edge, PUB, Map.of());
    invoke(new DefaultHandler(edge), message(PUB, "1:" + encode(connect("pub"))));
    received(PUB); // CONNACK
    invoke(new DefaultHandler(edge), message(PUB, "3:" + encode(publish(2, "m3"))));
    invoke(
        new DefaultHandler(edge),
        message(PUB, "2:" + encode(publish(1, "m2"))),
        remaining(Sequencer.MARGIN.minusMillis(1)));
    // 3 was parked long ago, but it is next and nobody holds the lock: a stall, not a gap
    clock.advance(Sequencer.GAP_TIMEOUT.plusSeconds(30));
    WebSocketEdge.SweepReport r = sweep(edge, clock, remaining(29_000));
    assertEquals(1, r.sequencesDrained());
    assertEquals(0, r.sequenceGaps());
    assertFalse(api.deleted(PUB));
    assertEquals(List.of("m2", "m3"), payloads(received(SUB)));
  }

  private static List<String> payloads(List<Packet> packets) {
    return packets.stream().map(p -> ((Publish) p).payload().asUtf8()).toList();
  }

  private static List<Integer> ackIds(List<Packet> packets) {
    return packets.stream().map(p -> ((PubAck) p).packetId()).toList();
  }

  /** A Lambda context with {@code millis} of the invocation left. */
  private static Context remaining(Duration d) {
    return remaining(d.toMillis());
  }

  private static Context remaining(long millis) {
    return (Context)
        java.lang.reflect.Proxy.newProxyInstance(
            Context.class.getClassLoader(),
            new Class<?>[] {Context.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getRemainingTimeInMillis" -> (int) millis;
                  case "getAwsRequestId" -> "test";
                  default -> null;
                });
  }

  // ---------------------------------------------------------------------------------------------

  /** SUB connects (unprefixed messages) and subscribes to t/# at QoS 0. */
  private void subscribe(WebSocketEdge edge) throws IOException {
    open(edge, SUB, Map.of());
    invoke(new DefaultHandler(edge), message(SUB, encode(connect("sub"))));
    invoke(
        new DefaultHandler(edge),
        message(
            SUB,
            encode(
                new Subscribe(
                    1,
                    List.of(
                        new TopicSubscription(
                            TopicFilter.of("t/#"),
                            QoS.AT_MOST_ONCE,
                            false,
                            false,
                            RetainHandling.SEND)),
                    Properties.NONE))));
    List<Packet> answers = received(SUB);
    assertInstanceOf(SubAck.class, answers.get(answers.size() - 1));
  }

  private void open(WebSocketEdge edge, String id, Map<String, String> query) throws IOException {
    api.live(id);
    ObjectNode e = fixture("connect.json", id);
    ObjectNode q = e.putObject("queryStringParameters");
    query.forEach(q::put);
    assertEquals(200, invoke(new ConnectHandler(edge), e).get("statusCode").asInt());
  }

  private static Connect connect(String clientId) {
    return new Connect(MqttVersion.V5, clientId, true, 60, null, null, null, Properties.NONE);
  }

  private static Publish publish(int packetId, String payload) {
    return new Publish(
        TopicName.of("t/order"),
        QoS.AT_LEAST_ONCE,
        false,
        false,
        packetId,
        Bytes.utf8(payload),
        Properties.NONE);
  }

  private List<Packet> received(String id) {
    return packetsIn(api.take(id));
  }
}
