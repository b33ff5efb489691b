package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.Will;
import dev.stratus.core.auth.MemoryUserStore;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.User;
import dev.stratus.core.auth.acl.AclFile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, what belongs to whom: retained topics counted per user ({@code maxRetainedPerUser}),
 * offline persistent sessions owned by their principal, anonymous clients as one principal, the
 * edge named on every close, and the login counters under {@code $SYS}. Through the in-memory
 * harness with {@link Security} as an edge wires it (docs/security.md).
 */
class OwnershipTest {
  private static final String ACL =
      """
      all
        allow all #
      role admins
        allow subscribe,receive $SYS/#
      """;

  private final MemoryUserStore users = new MemoryUserStore();
  private final ManualClock throttleClock = new ManualClock();

  OwnershipTest() {
    for (String name : List.of("alice", "bob", "carol")) {
      users.put(new User(name, hash("pw-" + name), Set.of()));
    }
    users.put(new User("root", hash("pw-root"), Set.of("admins")));
  }

  private static String hash(String pw) {
    return PasswordHash.hash(pw.getBytes(StandardCharsets.UTF_8), PasswordHash.MIN_ITERATIONS);
  }

  private Security security() {
    try {
      return Security.builder(throttleClock)
          .users(users)
          .aclRules(AclFile.parse("test.acl", ACL.lines().toList()))
          .allowAnonymous(true)
          .passwordIterations(PasswordHash.MIN_ITERATIONS)
          .build();
    } catch (AclFile.AclSyntaxException e) {
      throw new AssertionError(e);
    }
  }

  private Harness harness(BrokerConfig config) {
    Security s = security();
    return new Harness(config, s.authenticator(), s.authorizer());
  }

  private Harness quotaHarness() {
    return harness(BrokerConfig.defaults().withMaxRetainedPerUser(2));
  }

  private static Connect connect(
      MqttVersion v, String id, String user, boolean cleanStart, Properties props, Will will) {
    return new Connect(
        v, id, cleanStart, 0, user, user == null ? null : Bytes.utf8("pw-" + user), will, props);
  }

  private static TestClient login(Harness h, MqttVersion v, String id, String user) {
    TestClient c = h.client(v);
    c.connect(connect(v, id, user, true, Properties.NONE, null));
    c.expectConnAck();
    return c;
  }

  /** A v5 persistent session: expiry one hour. */
  private static ConnAck persistent(TestClient c, String id, String user, boolean cleanStart) {
    c.connect(
        connect(
            V5,
            id,
            user,
            cleanStart,
            Properties.builder().sessionExpiryInterval(3600L).build(),
            null));
    return c.expect(ConnAck.class);
  }

  private static Set<String> retainedTopics(Harness h) {
    return h.stores.retained().list("", null, 1000).items().stream()
        .map(m -> m.topic().value())
        .filter(t -> !t.startsWith("$"))
        .collect(Collectors.toSet());
  }

  // ---------------------------------------------------------------------------------------------
  // Retained messages per user

  @Test
  @DisplayName(
      "v5: a retained PUBLISH beyond the user's quota gets 0x97 and is neither kept nor sent")
  void retainedQuotaV5() {
    Harness h = quotaHarness();
    TestClient watcher = login(h, V5, "w", "bob");
    watcher.subscribe("a/#", QoS.AT_LEAST_ONCE);
    TestClient alice = login(h, V5, "al", "alice");
    alice.publish("a/1", "one", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.SUCCESS, alice.expect(PubAck.class).reasonCode());
    alice.publish("a/2", "two", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.SUCCESS, alice.expect(PubAck.class).reasonCode());
    assertEquals(2, watcher.drain().size());

    alice.publish("a/3", "three", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.QUOTA_EXCEEDED, alice.expect(PubAck.class).reasonCode());
    alice.publish("a/4", "four", QoS.EXACTLY_ONCE, true);
    assertEquals(ReasonCode.QUOTA_EXCEEDED, alice.expect(PubRec.class).reasonCode());
    watcher.expectNothing();
    alice.expectOpen();
    assertEquals(Set.of("a/1", "a/2"), retainedTopics(h));
    assertEquals(2, h.broker.stats().retainedRefused());

    // a non-retained publish is not limited
    alice.publish("a/3", "live", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.SUCCESS, alice.expect(PubAck.class).reasonCode());
    watcher.expectPublish("a/3", "live");
    // replacing a topic alice owns never counts twice
    alice.publish("a/1", "one again", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.SUCCESS, alice.expect(PubAck.class).reasonCode());
    watcher.expectPublish("a/1", "one again");
    // clearing one (empty payload [MQTT-3.3.1-10]) gives its slot back
    alice.publish("a/2", "", QoS.AT_LEAST_ONCE, true);
    alice.expect(PubAck.class);
    watcher.drain();
    alice.publish("a/3", "three", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.SUCCESS, alice.expect(PubAck.class).reasonCode());
    assertEquals(Set.of("a/1", "a/3"), retainedTopics(h));
  }

  @Test
  @DisplayName("3.1.1 and v5 QoS 0 over the quota: forwarded to subscribers, not retained")
  void retainedQuotaCannotBeToldToV3() {
    Harness h = quotaHarness();
    TestClient watcher = login(h, V5, "w", "bob");
    watcher.subscribe("a/#", QoS.AT_LEAST_ONCE);
    TestClient alice = login(h, V3_1_1, "al", "alice");
    alice.publish("a/1", "1", QoS.AT_LEAST_ONCE, true);
    alice.publish("a/2", "2", QoS.AT_LEAST_ONCE, true);
    watcher.drain();
    alice.drain();
    alice.publish("a/3", "3", QoS.AT_LEAST_ONCE, true);
    // 3.1.1 has no reason codes: the PUBACK says only "received" [MQTT-3.4.0]
    assertEquals(ReasonCode.SUCCESS, alice.expect(PubAck.class).reasonCode());
    watcher.expectPublish("a/3", "3");
    TestClient aliceV5 = login(h, V5, "al5", "alice");
    aliceV5.publish("a/4", "4", QoS.AT_MOST_ONCE, true);
    watcher.expectPublish("a/4", "4");
    assertEquals(Set.of("a/1", "a/2"), retainedTopics(h));
    // a new subscriber gets only what was retained
    TestClient late = login(h, V5, "late", "carol");
    late.subscribe("a/#", QoS.AT_MOST_ONCE);
    assertEquals(
        Set.of("a/1", "a/2"),
        late.drain().stream().map(p -> ((Publish) p).topic().value()).collect(Collectors.toSet()));
  }

  @Test
  @DisplayName("a topic belongs to its last publisher; each user has a quota, anonymous one shared")
  void retainedOwnersAndAnonymous() {
    Harness h = quotaHarness();
    TestClient alice = login(h, V5, "al", "alice");
    TestClient bob = login(h, V5, "bo", "bob");
    alice.publish("t/1", "a", QoS.AT_LEAST_ONCE, true);
    alice.publish("t/2", "a", QoS.AT_LEAST_ONCE, true);
    alice.drain();
    // bob replaces alice's t/1: it is bob's now, alice has a slot again
    bob.publish("t/1", "b", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, bob.expect(PubAck.class).reasonCode());
    alice.publish("t/3", "a", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, alice.expect(PubAck.class).reasonCode());
    // bob clears alice's t/2: alice's count drops, bob's does not grow
    bob.publish("t/2", "", QoS.AT_LEAST_ONCE, true);
    bob.expect(PubAck.class);
    bob.publish("t/4", "b", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, bob.expect(PubAck.class).reasonCode());
    bob.publish("t/5", "b", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.QUOTA_EXCEEDED, bob.expect(PubAck.class).reasonCode());

    // anonymous clients are one principal: two of them share one quota
    TestClient anon1 = login(h, V5, "x1", null);
    TestClient anon2 = login(h, V5, "x2", null);
    anon1.publish("p/1", "x", QoS.AT_LEAST_ONCE, true);
    anon2.publish("p/2", "x", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, anon1.expect(PubAck.class).reasonCode());
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, anon2.expect(PubAck.class).reasonCode());
    anon2.publish("p/3", "x", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.QUOTA_EXCEEDED, anon2.expect(PubAck.class).reasonCode());
    assertEquals(Set.of("t/1", "t/3", "t/4", "p/1", "p/2"), retainedTopics(h));
  }

  @Test
  @DisplayName("a retained will over its user's quota is still published, not retained")
  void retainedWillOverQuota() {
    Harness h = quotaHarness();
    TestClient watcher = login(h, V5, "w", "bob");
    watcher.subscribe("w/#", QoS.AT_MOST_ONCE);
    TestClient alice = login(h, V5, "al", "alice");
    alice.publish("w/1", "1", QoS.AT_LEAST_ONCE, true);
    alice.publish("w/2", "2", QoS.AT_LEAST_ONCE, true);
    watcher.drain();
    TestClient dying = h.client(V5);
    dying.connect(
        connect(
            V5,
            "dying",
            "alice",
            true,
            Properties.NONE,
            new Will(
                TopicName.of("w/gone"),
                Bytes.utf8("bye"),
                QoS.AT_MOST_ONCE,
                true,
                Properties.NONE)));
    dying.expectConnAck();
    dying.drop();
    watcher.expectPublish("w/gone", "bye");
    assertEquals(Set.of("w/1", "w/2"), retainedTopics(h));
  }

  @Test
  @DisplayName("without maxRetainedPerUser nothing is counted and retained messages are unlimited")
  void retainedQuotaOffByDefault() {
    Harness h = harness(BrokerConfig.defaults());
    TestClient alice = login(h, V5, "al", "alice");
    for (int i = 0; i < 20; i++) {
      alice.publish("u/" + i, "x", QoS.AT_LEAST_ONCE, true);
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, alice.expect(PubAck.class).reasonCode());
    }
    assertEquals(20, retainedTopics(h).size());
    assertEquals(0, h.stores.retained().ownedCount("user:alice"));
  }

  // ---------------------------------------------------------------------------------------------
  // Offline sessions have an owner

  @Test
  @DisplayName(
      "an offline session is refused to another principal (0x85, 3.1.1 code 2), clean or not")
  void offlineSessionBelongsToItsPrincipal() {
    Harness h = harness(BrokerConfig.defaults());
    TestClient alice = h.client(V5);
    assertEquals(ReasonCode.SUCCESS, persistent(alice, "dev-1", "alice", true).reasonCode());
    alice.subscribe("n/#", QoS.AT_LEAST_ONCE);
    alice.send(new Disconnect(ReasonCode.NORMAL_DISCONNECTION, Properties.NONE));
    TestClient pub = login(h, V5, "pub", "carol");
    pub.publish("n/1", "queued for alice", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.SUCCESS, pub.expect(PubAck.class).reasonCode());

    for (boolean clean : new boolean[] {false, true}) {
      TestClient bob = h.client(V5);
      assertEquals(
          ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
          persistent(bob, "dev-1", "bob", clean).reasonCode());
      bob.expectClosed();
      TestClient bobV3 = h.client(V3_1_1);
      bobV3.connect(connect(V3_1_1, "dev-1", "bob", clean, Properties.NONE, null));
      // 3.1.1 return code 2 Identifier rejected decodes as 0x85
      assertEquals(
          ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, bobV3.expect(ConnAck.class).reasonCode());
      TestClient anon = h.client(V5);
      assertEquals(
          ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
          persistent(anon, "dev-1", null, clean).reasonCode());
    }
    // nothing of the session was touched: alice resumes it and gets her message
    TestClient back = h.client(V5);
    ConnAck ack = persistent(back, "dev-1", "alice", false);
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode());
    assertTrue(ack.sessionPresent());
    back.expectPublish("n/1", "queued for alice");
  }

  @Test
  @DisplayName("once the session has expired, swept or not, the client id is free for anyone")
  void expiredSessionIsNobodys() {
    Harness h = harness(BrokerConfig.defaults());
    TestClient alice = h.client(V5);
    persistent(alice, "dev-2", "alice", false);
    alice.send(new Disconnect(ReasonCode.NORMAL_DISCONNECTION, Properties.NONE));
    // past the expiry, before any sweep: the session is over [MQTT-3.1.2-23]
    h.clock.advance(Duration.ofSeconds(3601));
    TestClient bob = h.client(V5);
    ConnAck ack = persistent(bob, "dev-2", "bob", false);
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode());
    assertFalse(ack.sessionPresent());
    assertEquals("user:bob", h.stores.sessions().get("dev-2").owner());
    bob.send(new Disconnect(ReasonCode.NORMAL_DISCONNECTION, Properties.NONE));
    // and swept
    h.advance(Duration.ofSeconds(3601));
    assertNull(h.stores.sessions().get("dev-2"));
    login(h, V5, "dev-2", "alice");
  }

  @Test
  @DisplayName("anonymous clients are one principal: they take over and resume each other's ids")
  void anonymousSharesOnePrincipal() {
    Harness h = harness(BrokerConfig.defaults());
    TestClient first = h.client(V5);
    assertEquals(ReasonCode.SUCCESS, persistent(first, "anon-1", null, false).reasonCode());
    TestClient second = h.client(V5);
    ConnAck ack = persistent(second, "anon-1", null, false);
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode());
    assertTrue(ack.sessionPresent());
    first.expectDisconnect(ReasonCode.SESSION_TAKEN_OVER);
    second.send(new Disconnect(ReasonCode.NORMAL_DISCONNECTION, Properties.NONE));
    // but a user may not have it, nor may anonymous clients have a user's
    TestClient alice = h.client(V5);
    assertEquals(
        ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
        persistent(alice, "anon-1", "alice", false).reasonCode());
  }

  // ---------------------------------------------------------------------------------------------
  // Closes name the edge

  @Test
  @DisplayName("every close names the connection's edge, whose record is already gone by then")
  void closesNameTheEdge() {
    Harness h = harness(BrokerConfig.defaults().withMaxKeepAliveSeconds(0));
    // takeover: the old connection on edge-a, the new one on edge-b
    TestClient old = h.clientOn(V5, "edge-a");
    old.connect(connect(V5, "same", "alice", true, Properties.NONE, null));
    old.expectConnAck();
    TestClient again = h.clientOn(V5, "edge-b");
    again.connect(connect(V5, "same", "alice", true, Properties.NONE, null));
    again.expectConnAck();
    old.expectDisconnect(ReasonCode.SESSION_TAKEN_OVER);
    assertEquals(List.of(new Harness.EdgeClose(old.id, "edge-a", true)), h.edgeCloses);
    // the DISCONNECT 0x8E went to the old edge although the record was gone
    assertEquals("edge-a", h.sentToEdge.get(old.id));

    // keepalive expiry
    TestClient idle = h.clientOn(V5, "edge-c");
    idle.connect(
        new Connect(V5, "idle", true, 1, "bob", Bytes.utf8("pw-bob"), null, Properties.NONE));
    idle.expectConnAck();
    h.advance(Duration.ofSeconds(2));
    idle.expectDisconnect(ReasonCode.KEEP_ALIVE_TIMEOUT);
    // protocol error: a second CONNECT [MQTT-3.1.0-2]
    TestClient twice = h.clientOn(V5, "edge-d");
    twice.connect(connect(V5, "twice", "bob", true, Properties.NONE, null));
    twice.expectConnAck();
    twice.send(connect(V5, "twice", "bob", true, Properties.NONE, null));
    twice.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
    // refused CONNECT
    TestClient refused = h.clientOn(V5, "edge-e");
    refused.connect(
        new Connect(V5, "r", true, 0, "bob", Bytes.utf8("wrong"), null, Properties.NONE));
    assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, refused.expect(ConnAck.class).reasonCode());
    refused.expectClosed();

    assertEquals(
        List.of(
            new Harness.EdgeClose(old.id, "edge-a", true),
            new Harness.EdgeClose(idle.id, "edge-c", true),
            new Harness.EdgeClose(twice.id, "edge-d", true),
            new Harness.EdgeClose(refused.id, "edge-e", true)),
        h.edgeCloses);
    again.expectOpen();
  }

  // ---------------------------------------------------------------------------------------------
  // Login counters under $SYS

  @Test
  @DisplayName("the login throttle's counters are published under $SYS/broker/security/logins/")
  void loginCountersUnderSys() {
    Security s = security();
    Harness h = new Harness(BrokerConfig.defaults(), s.authenticator(), s.authorizer());
    TestClient root = login(h, V5, "root", "root");
    root.subscribe("$SYS/broker/security/logins/#", QoS.AT_MOST_ONCE);
    root.drain();
    for (int i = 0; i < 6; i++) {
      TestClient c = h.client(V5);
      c.connect(
          new Connect(V5, "g", true, 0, "alice", Bytes.utf8("guess" + i), null, Properties.NONE));
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, c.expect(ConnAck.class).reasonCode());
    }
    // locked now: refused at once
    TestClient locked = h.client(V5);
    locked.connect(connect(V5, "g", "alice", true, Properties.NONE, null));
    assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, locked.expect(ConnAck.class).reasonCode());

    h.advance(Duration.ofSeconds(11));
    Map<String, String> values =
        root.drain().stream()
            .map(Publish.class::cast)
            .collect(
                Collectors.toMap(p -> p.topic().value(), p -> p.payload().asUtf8(), (a, b) -> b));
    Security.Stats stats = s.stats();
    assertTrue(stats.throttle().failures() >= 6);
    assertTrue(stats.throttle().lockedRefusals() >= 1);
    assertEquals(
        Long.toString(stats.throttle().failures()),
        values.get("$SYS/broker/security/logins/failed"));
    assertEquals(
        Long.toString(stats.throttle().lockedRefusals()),
        values.get("$SYS/broker/security/logins/locked"));
    assertEquals(
        Long.toString(stats.accepted()), values.get("$SYS/broker/security/logins/accepted"));
    assertNotNull(values.get("$SYS/broker/security/logins/bad credentials"));
    assertEquals(
        values.get("$SYS/broker/security/logins/failed"),
        h.stores
            .retained()
            .get(TopicName.of("$SYS/broker/security/logins/failed"))
            .payload()
            .asUtf8());
  }
}
