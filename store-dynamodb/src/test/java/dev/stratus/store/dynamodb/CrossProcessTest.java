package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import dev.stratus.core.Harness;
import dev.stratus.core.TestClient;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import dev.stratus.core.store.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Two processes on one set of tables, each with its own DynamoDB client and stores, as two bridge
 * tasks or two Lambda invocations are.
 */
class CrossProcessTest {
  private final DynamoDbClient clientA = LocalDynamo.client();
  private final DynamoDbClient clientB = LocalDynamo.client();
  private final String prefix = LocalDynamo.newPrefix(clientA);
  private final Harness a =
      new Harness(BrokerConfig.development(), DynamoDbStores.create(clientA, prefix));
  private final Stores storesB = DynamoDbStores.create(clientB, prefix);

  /** A second engine on its own client, sending through {@code a}'s connections. */
  private Broker brokerB() {
    return new Broker(
        BrokerConfig.development(),
        storesB,
        a,
        a.clock,
        Authenticator.ALLOW_ALL,
        Authorizer.ALLOW_ALL);
  }

  @Test
  void aSubscriptionStoredByOneProcessMatchesTheNextMatchOnAnother() {
    // SUBACK is sent after put() returns: whatever reads next, anywhere, must see it
    for (int i = 0; i < 30; i++) {
      String filter =
          i % 3 == 0 ? "room/" + i + "/+" : i % 3 == 1 ? "room/" + i + "/#" : "room/" + i + "/t";
      storesA()
          .subscriptions()
          .put(
              new Subscription(
                  "s" + i,
                  TopicFilter.of(filter),
                  QoS.AT_LEAST_ONCE,
                  false,
                  false,
                  RetainHandling.SEND,
                  0));
      var match = storesB.subscriptions().match(TopicName.of("room/" + i + "/t"));
      assertEquals(1, match.direct().size(), filter);
      assertEquals("s" + i, match.direct().getFirst().clientId());
    }
  }

  private Stores storesA() {
    return a.stores;
  }

  @Test
  void aPublishHandledByAnotherEngineRightAfterSubAckFindsTheSubscriber() {
    TestClient s = a.connected(MqttVersion.V5, "sub");
    s.subscribe("news/+", QoS.AT_LEAST_ONCE);
    TestClient p = a.connected(MqttVersion.V5, "pub");
    // the publisher's next packet is handled by the other engine (another Lambda invocation)
    brokerB()
        .packetReceived(
            p.id,
            new Publish(
                TopicName.of("news/today"),
                QoS.AT_LEAST_ONCE,
                false,
                false,
                1,
                Bytes.utf8("x"),
                Properties.NONE));
    // v5 PUBACK says 0x00 only if a subscription matched, 0x10 otherwise
    assertEquals(ReasonCode.SUCCESS, p.expect(PubAck.class).reasonCode());
    s.expectPublish("news/today", "x");
  }

  @Test
  void qos2RetriedPublishAndPubRelOnAnotherProcessAreNotDeliveredTwice() {
    TestClient s = a.connected(MqttVersion.V3_1_1, "sub");
    s.subscribe("t", QoS.EXACTLY_ONCE);
    TestClient p = a.connected(MqttVersion.V3_1_1, "pub");
    Publish publish =
        new Publish(
            TopicName.of("t"),
            QoS.EXACTLY_ONCE,
            false,
            false,
            7,
            Bytes.utf8("once"),
            Properties.NONE);
    p.send(publish);
    assertEquals(7, p.expect(PubRec.class).packetId());
    s.expectPublish("t", "once");

    // the same invocation retried by another process: the inbound id record already exists
    Broker retry = brokerB();
    retry.packetReceived(p.id, publish);
    assertEquals(7, p.expect(PubRec.class).packetId());
    s.expectNothing();

    p.send(new PubRel(7));
    assertEquals(7, p.expect(PubComp.class).packetId());
    retry.packetReceived(p.id, new PubRel(7));
    assertEquals(7, p.expect(PubComp.class).packetId());
    s.expectNothing();
  }

  @Test
  void concurrentConnectsWithOneClientIdOnTwoProcessesLeaveOneConnection() throws Exception {
    Broker b = brokerB();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 10; round++) {
        String clientId = "dup" + round;
        ConnectionId onA = new ConnectionId("a-" + round);
        ConnectionId onB = new ConnectionId("b-" + round);
        CyclicBarrier start = new CyclicBarrier(2);
        List<Future<?>> done = new ArrayList<>();
        done.add(pool.submit(() -> connect(a.broker, onA, clientId, start)));
        done.add(pool.submit(() -> connect(b, onB, clientId, start)));
        for (Future<?> f : done) {
          f.get();
        }
        ConnectionId bound = storesB.connections().connectionOf(clientId);
        assertNotNull(bound, "round " + round);
        ConnectionId other = bound.equals(onA) ? onB : onA;
        assertNotNull(storesB.connections().get(bound), "round " + round);
        assertNull(storesB.connections().get(other), "round " + round + ": two live records");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static Void connect(Broker broker, ConnectionId id, String clientId, CyclicBarrier start)
      throws Exception {
    broker.connectionOpened(new ConnectionInfo(id, "edge-" + id, "127.0.0.1:1", null));
    start.await();
    broker.packetReceived(
        id,
        new dev.stratus.codec.Connect(
            MqttVersion.V3_1_1, clientId, true, 0, null, null, null, Properties.NONE));
    return null;
  }

  @Test
  void theTakenOverConnectionNeverUnbindsItsSuccessor() {
    var connections = storesB.connections();
    assertTrue(storesA().connections().connectionOf("nobody") == null);
    a.connected(MqttVersion.V3_1_1, "same");
    ConnectionId first = storesA().connections().connectionOf("same");
    a.connected(MqttVersion.V3_1_1, "same");
    ConnectionId second = connections.connectionOf("same");
    assertNull(connections.remove(first));
    assertEquals(second, connections.connectionOf("same"));
  }
}
