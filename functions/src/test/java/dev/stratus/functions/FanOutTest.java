package dev.stratus.functions;

import static dev.stratus.functions.HandlerEvents.encode;
import static dev.stratus.functions.HandlerEvents.fixture;
import static dev.stratus.functions.HandlerEvents.invoke;
import static dev.stratus.functions.HandlerEvents.managementClient;
import static dev.stratus.functions.HandlerEvents.message;
import static dev.stratus.functions.HandlerEvents.packetsIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.codec.Will;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.io.IOException;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Fan-out through the Management API ({@link ManagementApiOutbound}) with a loopback stand-in that
 * throttles or answers 410 on demand: throttled posts are retried, bounded, in order; a gone
 * subscriber is cleaned up by the engine (its will fires).
 */
class FanOutTest {
  private static final String PUB = "PubAAAAAAAAAAA=";
  private static final String SUB = "SubAAAAAAAAAAA=";
  private static final String WATCH = "WatchAAAAAAAAA=";

  private final FakeManagementApi api = new FakeManagementApi();
  private final List<Integer> pauses = new java.util.concurrent.CopyOnWriteArrayList<>();
  private DynamoDbClient dynamo;
  private String prefix;
  private SdkHttpClient http;
  private ManagementApiOutbound outbound;
  private WebSocketEdge edge;

  @BeforeEach
  void setUp() {
    dynamo = LocalDynamo.client();
    prefix = LocalDynamo.newPrefix(dynamo);
    http = UrlConnectionHttpClient.create();
    outbound =
        new ManagementApiOutbound(
            url -> managementClient(url, http),
            url -> managementClient(url, http),
            new BridgeTasks(dynamo, prefix),
            InstantSource.system());
    outbound.backoff(pauses::add); // counted, not slept: no timing in the test
    edge =
        new WebSocketEdge(
            BrokerConfig.development(),
            DynamoDbStores.create(dynamo, prefix),
            outbound,
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL,
            api.endpoint("dev"),
            new Sequencer(dynamo, prefix, InstantSource.system()),
            new BridgeTasks(dynamo, prefix),
            InstantSource.system());
  }

  @AfterEach
  void tearDown() {
    api.close();
    dynamo.close();
    http.close();
  }

  @Test
  void aThrottledPostIsRetriedWithGrowingBackoffAndDeliveredInOrder() throws Exception {
    subscribe(SUB, null);
    open(PUB);
    send(PUB, connect("pub", null));
    api.throttle(SUB, 3);
    send(PUB, publish("m1"));
    send(PUB, publish("m2"));
    assertEquals(List.of("m1", "m2"), payloads(SUB));
    assertEquals(List.of(1, 2, 3), pauses, "one pause per throttled attempt, growing");
    assertEquals(3, outbound.stats().throttled());
    assertEquals(0, outbound.stats().failed());
  }

  @Test
  void throttlingBeyondTheBoundDropsThatPostOnly() throws Exception {
    subscribe(SUB, null);
    open(PUB);
    send(PUB, connect("pub", null));
    api.throttle(SUB, ManagementApiOutbound.MAX_ATTEMPTS);
    send(PUB, publish("lost"));
    assertEquals(List.of(), payloads(SUB), "QoS 0: lost as on a broken socket");
    assertEquals(ManagementApiOutbound.MAX_ATTEMPTS - 1, pauses.size());
    assertEquals(1, outbound.stats().failed());
    send(PUB, publish("next"));
    assertEquals(List.of("next"), payloads(SUB), "the connection is kept");
  }

  @Test
  void aGoneSubscriberIsCleanedUpAndItsWillFires() throws Exception {
    subscribe(WATCH, null);
    subscribe(SUB, "t/will");
    open(PUB);
    send(PUB, connect("pub", null));
    api.gone(SUB);
    send(PUB, publish("m1"));
    assertNull(
        DynamoDbStores.create(dynamo, prefix).connections().get(new ConnectionId(SUB)),
        "410: the engine forgot the connection");
    List<String> watched = payloads(WATCH);
    assertEquals(List.of("m1", "gone"), watched, "the will of a lost connection [MQTT-3.1.2-8]");
    assertEquals(1, outbound.stats().gone());
  }

  // ---------------------------------------------------------------------------------------------

  private void subscribe(String id, String willTopic) throws IOException {
    open(id);
    send(id, connect(id.substring(0, 4).toLowerCase(java.util.Locale.ROOT), willTopic));
    send(
        id,
        new Subscribe(
            1,
            List.of(
                new TopicSubscription(
                    TopicFilter.of("t/#"), QoS.AT_MOST_ONCE, false, false, RetainHandling.SEND)),
            Properties.NONE));
    List<Packet> answers = received(id);
    assertInstanceOf(SubAck.class, answers.get(answers.size() - 1));
  }

  private List<String> payloads(String id) {
    return received(id).stream()
        .filter(Publish.class::isInstance)
        .map(p -> ((Publish) p).payload().asUtf8())
        .toList();
  }

  private static Connect connect(String clientId, String willTopic) {
    Will will =
        willTopic == null
            ? null
            : new Will(
                TopicName.of(willTopic),
                Bytes.utf8("gone"),
                QoS.AT_MOST_ONCE,
                false,
                Properties.NONE);
    return new Connect(MqttVersion.V5, clientId, true, 0, null, null, will, Properties.NONE);
  }

  private static Publish publish(String payload) {
    return new Publish(
        TopicName.of("t/fan"),
        QoS.AT_MOST_ONCE,
        false,
        false,
        0,
        Bytes.utf8(payload),
        Properties.NONE);
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
