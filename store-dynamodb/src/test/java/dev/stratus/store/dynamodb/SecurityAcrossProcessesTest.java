package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicName;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.Harness;
import dev.stratus.core.TestClient;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.User;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Issue 8 across two processes on one set of DynamoDB tables (two bridge tasks, or a bridge and a
 * Lambda): users from the DynamoDB user store, the takeover check, the owner of an offline session,
 * the per-user connection limit and the per-user retained limit read what the other process wrote.
 */
class SecurityAcrossProcessesTest {
  private final DynamoDbClient clientA = LocalDynamo.client();
  private final DynamoDbClient clientB = LocalDynamo.client();
  private final String prefix = LocalDynamo.newPrefix(clientA);
  private final BrokerConfig config =
      BrokerConfig.defaults().withMaxConnectionsPerUser(2).withMaxRetainedPerUser(2);
  private final Harness a = harness(clientA);
  private final Harness b = harness(clientB);

  SecurityAcrossProcessesTest() {
    DynamoDbUserStore users = new DynamoDbUserStore(clientA, prefix);
    for (String name : new String[] {"alice", "bob"}) {
      users.put(
          new User(
              name,
              PasswordHash.hash(
                  ("pw-" + name).getBytes(StandardCharsets.UTF_8), PasswordHash.MIN_ITERATIONS),
              Set.of()));
    }
  }

  private Harness harness(DynamoDbClient client) {
    Security s =
        Security.builder(InstantSource.system())
            .users(new DynamoDbUserStore(client, prefix))
            .passwordIterations(PasswordHash.MIN_ITERATIONS)
            .build();
    return new Harness(
        config, DynamoDbStores.create(client, prefix), s.authenticator(), s.authorizer());
  }

  private static ReasonCode connect(Harness h, String clientId, String user) {
    TestClient c = h.client(MqttVersion.V5);
    c.connect(
        new Connect(
            MqttVersion.V5,
            clientId,
            true,
            0,
            user,
            Bytes.utf8("pw-" + user),
            null,
            Properties.NONE));
    return c.expect(ConnAck.class).reasonCode();
  }

  /** A v5 connection with a one-hour session; its CONNACK is left for the caller. */
  private static TestClient persistent(
      Harness h, String clientId, String user, boolean cleanStart) {
    TestClient c = h.client(MqttVersion.V5);
    c.connect(
        new Connect(
            MqttVersion.V5,
            clientId,
            cleanStart,
            0,
            user,
            Bytes.utf8("pw-" + user),
            null,
            Properties.builder().sessionExpiryInterval(3600L).build()));
    return c;
  }

  private static TestClient login(Harness h, String clientId, String user) {
    TestClient c = h.client(MqttVersion.V5);
    c.connect(
        new Connect(
            MqttVersion.V5,
            clientId,
            true,
            0,
            user,
            Bytes.utf8("pw-" + user),
            null,
            Properties.NONE));
    c.expectConnAck();
    return c;
  }

  @Test
  @DisplayName("an offline session made on one process is refused to another user on the other")
  void offlineSessionOwnedAcrossProcesses() {
    TestClient alice = persistent(a, "dev-9", "alice", true);
    alice.expectConnAck();
    alice.subscribe("n/#", QoS.AT_LEAST_ONCE);
    alice.send(new Disconnect(ReasonCode.NORMAL_DISCONNECTION, Properties.NONE));
    TestClient pub = login(a, "pub", "bob");
    pub.publish("n/1", "for alice", QoS.AT_LEAST_ONCE, false);
    pub.expect(PubAck.class);
    for (boolean clean : new boolean[] {false, true}) {
      TestClient bob = persistent(b, "dev-9", "bob", clean);
      assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, bob.expect(ConnAck.class).reasonCode());
    }
    TestClient back = persistent(b, "dev-9", "alice", false);
    ConnAck ack = back.expect(ConnAck.class);
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode());
    assertTrue(ack.sessionPresent());
    back.expectPublish("n/1", "for alice");
  }

  @Test
  @DisplayName("retained topics are counted per user across processes: the third is refused 0x97")
  void retainedPerUserAcrossProcesses() {
    TestClient onA = login(a, "ra", "alice");
    TestClient onB = login(b, "rb", "alice");
    onA.publish("r/1", "1", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, onA.expect(PubAck.class).reasonCode());
    onB.publish("r/2", "2", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, onB.expect(PubAck.class).reasonCode());
    onA.publish("r/3", "3", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.QUOTA_EXCEEDED, onA.expect(PubAck.class).reasonCode());
    // replacing its own topic from the other process is not a new one
    onB.publish("r/1", "1b", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, onB.expect(PubAck.class).reasonCode());
    // clearing one on B frees a slot for A
    onB.publish("r/2", "", QoS.AT_LEAST_ONCE, true);
    onB.expect(PubAck.class);
    onA.publish("r/3", "3", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, onA.expect(PubAck.class).reasonCode());
    assertEquals(2, a.stores.retained().ownedCount("user:alice"));
    assertEquals("1b", b.stores.retained().get(TopicName.of("r/1")).payload().asUtf8());
    assertNull(a.stores.retained().get(TopicName.of("r/2")));
  }

  @Test
  @DisplayName("a client id held on one process is refused to another user on the other: 0x85")
  void takeoverByAnotherUserAcrossProcesses() {
    assertEquals(ReasonCode.SUCCESS, connect(a, "device-1", "alice"));
    assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, connect(b, "device-1", "bob"));
    assertEquals(ReasonCode.SUCCESS, connect(b, "device-1", "alice"));
  }

  @Test
  @DisplayName("connections per user are counted across processes: the third is refused 0x97")
  void connectionsPerUserAcrossProcesses() {
    assertEquals(ReasonCode.SUCCESS, connect(a, "a1", "alice"));
    assertEquals(ReasonCode.SUCCESS, connect(b, "a2", "alice"));
    assertEquals(ReasonCode.QUOTA_EXCEEDED, connect(a, "a3", "alice"));
    assertEquals(ReasonCode.SUCCESS, connect(a, "b1", "bob"));
  }
}
