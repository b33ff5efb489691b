package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
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
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 at the engine level: each refusal with its documented reason code (docs/security.md),
 * through the in-memory harness with {@link Security} as an edge would wire it.
 */
class SecurityTest {
  private static final String ACL =
      """
      # devices read and write under their own user name
      role devices
        allow publish,subscribe,receive devices/%u/#
        allow publish clients/%c/status
        deny publish devices/%u/locked
      role admins
        allow all #
        allow subscribe,receive $SYS/#
      user reader
        allow subscribe devices/#
        allow receive devices/+/public
      anonymous
        allow subscribe,receive public/#
      """;

  private final MemoryUserStore users = new MemoryUserStore();
  private final ManualClock throttleClock = new ManualClock();

  SecurityTest() {
    for (String name : List.of("alice", "bob")) {
      users.put(new User(name, hash("pw-" + name), Set.of("devices")));
    }
    users.put(new User("root", hash("pw-root"), Set.of("admins")));
    users.put(new User("reader", hash("pw-reader"), Set.of()));
    users.put(new User("+", hash("pw-+"), Set.of("devices")));
    users.put(new User("device-7", null, Set.of("devices")));
  }

  private static String hash(String pw) {
    return PasswordHash.hash(pw.getBytes(StandardCharsets.UTF_8), PasswordHash.MIN_ITERATIONS);
  }

  private Security security(boolean anonymous) {
    try {
      return Security.builder(throttleClock)
          .users(users)
          .aclRules(AclFile.parse("test.acl", ACL.lines().toList()))
          .allowAnonymous(anonymous)
          .passwordIterations(PasswordHash.MIN_ITERATIONS)
          .build();
    } catch (AclFile.AclSyntaxException e) {
      throw new AssertionError(e);
    }
  }

  private Harness harness(BrokerConfig config, Security s) {
    return new Harness(config, s.authenticator(), s.authorizer());
  }

  private Harness harness() {
    return harness(BrokerConfig.defaults(), security(false));
  }

  private static Connect connect(MqttVersion v, String id, String user, String password) {
    return new Connect(
        v,
        id,
        true,
        0,
        user,
        password == null ? null : Bytes.utf8(password),
        null,
        Properties.NONE);
  }

  private static TestClient login(Harness h, MqttVersion v, String id, String user) {
    TestClient c = h.client(v);
    c.connect(connect(v, id, user, "pw-" + user));
    c.expectConnAck();
    return c;
  }

  private static ReasonCode refusal(Harness h, MqttVersion v, Connect connect) {
    TestClient c = h.client(v);
    c.connect(connect);
    ReasonCode r = c.expect(ConnAck.class).reasonCode();
    c.expectClosed();
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // Authentication

  @Test
  @DisplayName("production defaults refuse a CONNECT without credentials: 0x87, 3.1.1 code 5")
  void noCredentials() {
    Harness h = harness();
    assertEquals(ReasonCode.NOT_AUTHORIZED, refusal(h, V5, connect(V5, "a", null, null)));
    // the 3.1.1 return code 5 decodes as NOT_AUTHORIZED [MQTT-3.2.2-6]
    assertEquals(ReasonCode.NOT_AUTHORIZED, refusal(h, V3_1_1, connect(V3_1_1, "b", null, null)));
    assertEquals(2, h.broker.stats().connectsRefused());
  }

  @Test
  @DisplayName("anonymous clients are admitted only when enabled, and get the anonymous rules")
  void anonymousWhenEnabled() {
    Harness h = harness(BrokerConfig.defaults(), security(true));
    TestClient anon = h.client(V5);
    anon.connect(connect(V5, "anon", null, null));
    anon.expectConnAck();
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_0),
        anon.subscribe("public/x", QoS.AT_MOST_ONCE).reasonCodes());
    assertEquals(
        List.of(ReasonCode.NOT_AUTHORIZED),
        anon.subscribe("devices/alice/x", QoS.AT_MOST_ONCE).reasonCodes());
    // a user name without a password claims an identity it does not prove
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal(h, V5, connect(V5, "x", "alice", null)));
  }

  @Test
  @DisplayName(
      "a wrong password or unknown user is refused 0x86, 3.1.1 code 4; a right one admitted")
  void passwords() {
    Harness h = harness();
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal(h, V5, connect(V5, "a", "alice", "nope")));
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD,
        refusal(h, V3_1_1, connect(V3_1_1, "a", "alice", "nope")));
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD,
        refusal(h, V5, connect(V5, "a", "mallory", "pw-mallory")));
    // a certificate-only user has no password that could match
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal(h, V5, connect(V5, "a", "device-7", "")));
    login(h, V5, "a", "alice");
  }

  @Test
  @DisplayName("failed logins lock the user and the host with a growing backoff, refused at once")
  void lockout() {
    Security s = security(false);
    Harness h = harness(BrokerConfig.defaults(), s);
    for (int i = 0; i < 6; i++) {
      assertEquals(
          ReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal(h, V5, connect(V5, "a", "alice", "x" + i)));
    }
    // locked now: even the right password is refused, without a password check
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD,
        refusal(h, V5, connect(V5, "a", "alice", "pw-alice")));
    assertEquals(6, s.throttle().failuresOf("u:alice"));
    assertTrue(s.stats().throttle().lockedRefusals() >= 1);
    // each harness connection has its own port, all on 127.0.0.1: one host
    assertEquals(6, s.throttle().failuresOf("h:127.0.0.1"));
    throttleClock.advance(Duration.ofSeconds(2)); // the first lock is one second
    login(h, V5, "a", "alice");
    assertEquals(0, s.throttle().failuresOf("u:alice"));
  }

  @Test
  @DisplayName("a verified client certificate is its mapped user, with roles from the user store")
  void certificateUser() {
    Harness h = harness();
    TestClient c = h.client(V5, "device-7", null);
    // the CONNECT's own user name and password are not what identifies it
    c.connect(connect(V5, "d7", "alice", "whatever"));
    c.expectConnAck();
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_1),
        c.subscribe("devices/device-7/#", QoS.AT_LEAST_ONCE).reasonCodes());
    assertEquals(
        List.of(ReasonCode.NOT_AUTHORIZED),
        c.subscribe("devices/alice/#", QoS.AT_LEAST_ONCE).reasonCodes());
  }

  // ---------------------------------------------------------------------------------------------
  // ACL: subscribe

  @Test
  @DisplayName("SUBACK 0x87 outside the ACL, including the +/#, # and $share/g/# tricks")
  void subscribeOutsideAcl() {
    Harness h = harness();
    TestClient alice = login(h, V5, "a", "alice");
    SubAck ack = alice.subscribe("devices/alice/#", QoS.AT_LEAST_ONCE);
    assertEquals(List.of(ReasonCode.GRANTED_QOS_1), ack.reasonCodes());
    for (String f :
        List.of("devices/bob/#", "+/#", "#", "devices/+/#", "$share/g/#", "$share/g/devices/+/x")) {
      assertEquals(
          List.of(ReasonCode.NOT_AUTHORIZED),
          alice.subscribe(f, QoS.AT_LEAST_ONCE).reasonCodes(),
          f);
    }
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_0),
        alice.subscribe("$share/g/devices/alice/x", QoS.AT_MOST_ONCE).reasonCodes());
    assertEquals(6, h.broker.stats().subscriptionsDenied());
  }

  @Test
  @DisplayName("3.1.1: a refused filter gets 0x80 in SUBACK [MQTT-3.9.3-2]")
  void subscribeOutsideAclV3() {
    Harness h = harness();
    TestClient alice = login(h, V3_1_1, "a", "alice");
    SubAck ack = alice.subscribe("devices/bob/#", QoS.AT_LEAST_ONCE);
    assertEquals(0x80, ack.reasonCodes().getFirst().code());
  }

  @Test
  @DisplayName("$SYS/# is readable only by a role allowed to; # never reaches it [MQTT-4.7.2-1]")
  void sysTopics() {
    Harness h = harness();
    TestClient alice = login(h, V5, "a", "alice");
    assertEquals(
        List.of(ReasonCode.NOT_AUTHORIZED),
        alice.subscribe("$SYS/#", QoS.AT_MOST_ONCE).reasonCodes());
    TestClient root = login(h, V5, "r", "root");
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_0),
        root.subscribe("$SYS/#", QoS.AT_MOST_ONCE).reasonCodes());
    h.advance(Duration.ofSeconds(11));
    assertTrue(root.drain().size() >= 5, "root reads $SYS");
    // nobody publishes to $ topics, not even an admin allowed "all #"
    root.publish("$SYS/broker/uptime", "0", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NOT_AUTHORIZED, root.expect(PubAck.class).reasonCode());
  }

  // ---------------------------------------------------------------------------------------------
  // ACL: publish, will, receive

  @Test
  @DisplayName("v5: PUBLISH outside the ACL gets 0x87 in PUBACK and PUBREC and reaches nobody")
  void publishOutsideAclV5() {
    Harness h = harness();
    TestClient root = login(h, V5, "r", "root");
    root.subscribe("devices/#", QoS.AT_LEAST_ONCE);
    TestClient alice = login(h, V5, "a", "alice");
    alice.publish("devices/bob/x", "forged", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NOT_AUTHORIZED, alice.expect(PubAck.class).reasonCode());
    alice.publish("devices/bob/x", "forged", QoS.EXACTLY_ONCE, false);
    assertEquals(ReasonCode.NOT_AUTHORIZED, alice.expect(PubRec.class).reasonCode());
    // a deny rule beats the allow that covers it
    alice.publish("devices/alice/locked", "x", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NOT_AUTHORIZED, alice.expect(PubAck.class).reasonCode());
    root.expectNothing();
    alice.publish("devices/alice/x", "ok", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.SUCCESS, alice.expect(PubAck.class).reasonCode());
    root.expectPublish("devices/alice/x", "ok");
    // %c: the client id "a" may publish its status
    alice.publish("clients/a/status", "up", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, alice.expect(PubAck.class).reasonCode());
    alice.publish("clients/b/status", "up", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NOT_AUTHORIZED, alice.expect(PubAck.class).reasonCode());
    assertEquals(4, h.broker.stats().publishesDenied());
  }

  @Test
  @DisplayName("3.1.1: PUBLISH outside the ACL is acknowledged and dropped")
  void publishOutsideAclV3() {
    Harness h = harness();
    TestClient root = login(h, V5, "r", "root");
    root.subscribe("devices/#", QoS.AT_LEAST_ONCE);
    TestClient alice = login(h, V3_1_1, "a", "alice");
    alice.publish("devices/bob/x", "forged", QoS.AT_LEAST_ONCE, false);
    alice.expect(PubAck.class);
    alice.expectOpen();
    root.expectNothing();
  }

  @Test
  @DisplayName("a will outside the ACL refuses the CONNECT: 0x87 (MQTT 5.0 §3.2.2.2)")
  void willOutsideAcl() {
    Harness h = harness();
    Will will =
        new Will(
            TopicName.of("devices/bob/lwt"),
            Bytes.utf8("x"),
            QoS.AT_MOST_ONCE,
            false,
            Properties.NONE);
    ReasonCode r =
        refusal(
            h,
            V5,
            new Connect(V5, "a", true, 0, "alice", Bytes.utf8("pw-alice"), will, Properties.NONE));
    assertEquals(ReasonCode.NOT_AUTHORIZED, r);
  }

  @Test
  @DisplayName("the receive right filters live and retained deliveries of a granted subscription")
  void receiveRight() {
    Harness h = harness();
    TestClient alice = login(h, V5, "a", "alice");
    alice.publish("devices/alice/private", "p", QoS.AT_LEAST_ONCE, true);
    alice.expect(PubAck.class);
    alice.publish("devices/alice/public", "q", QoS.AT_LEAST_ONCE, true);
    alice.expect(PubAck.class);
    TestClient reader = login(h, V5, "rd", "reader");
    // reader may subscribe devices/# but receive only devices/+/public
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_1),
        reader.subscribe("devices/#", QoS.AT_LEAST_ONCE).reasonCodes());
    reader.expectPublish("devices/alice/public", "q");
    reader.expectNothing();
    alice.publish("devices/alice/private", "p2", QoS.AT_MOST_ONCE, false);
    alice.publish("devices/alice/public", "q2", QoS.AT_MOST_ONCE, false);
    reader.expectPublish("devices/alice/public", "q2");
    reader.expectNothing();
    assertEquals(2, h.broker.stats().deliveriesDenied());
  }

  @Test
  @DisplayName("%u is not substituted with a user name that would widen the pattern")
  void wildcardUserName() {
    Harness h = harness();
    TestClient plus = login(h, V5, "p", "+");
    assertEquals(
        List.of(ReasonCode.NOT_AUTHORIZED),
        plus.subscribe("devices/+/#", QoS.AT_MOST_ONCE).reasonCodes());
  }

  // ---------------------------------------------------------------------------------------------
  // Takeover

  @Test
  @DisplayName("another user's CONNECT with a live client id is refused 0x85; the owner stays")
  void takeoverByAnotherUser() {
    Harness h = harness();
    TestClient alice = login(h, V5, "shared-id", "alice");
    assertEquals(
        ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
        refusal(h, V5, connect(V5, "shared-id", "bob", "pw-bob")));
    assertEquals(
        ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
        refusal(h, V3_1_1, connect(V3_1_1, "shared-id", "bob", "pw-bob")));
    alice.expectOpen();
    alice.expectNothing();
    // the same user takes over as [MQTT-3.1.4-3] says
    TestClient again = login(h, V5, "shared-id", "alice");
    assertEquals(ReasonCode.SESSION_TAKEN_OVER, alice.expect(Disconnect.class).reasonCode());
    alice.expectClosed();
    again.expectOpen();
  }

  // ---------------------------------------------------------------------------------------------
  // Limits

  @Test
  @DisplayName("a publish flood past the token bucket is closed with DISCONNECT 0x96")
  void publishRate() {
    Harness h = harness(BrokerConfig.defaults().withMaxPublishRate(10, 5), security(false));
    TestClient other = login(h, V5, "b", "bob");
    other.subscribe("devices/bob/#", QoS.AT_MOST_ONCE);
    TestClient alice = login(h, V5, "a", "alice");
    for (int i = 0; i < 5; i++) {
      alice.publish("devices/alice/x", "m" + i, QoS.AT_MOST_ONCE, false);
    }
    alice.expectOpen();
    alice.publish("devices/alice/x", "one too many", QoS.AT_MOST_ONCE, false);
    alice.expectDisconnect(ReasonCode.MESSAGE_RATE_TOO_HIGH);
    alice.expectClosed();
    assertEquals(1, h.broker.stats().rateLimited());
    // others notice nothing
    other.expectOpen();
    other.expectNothing();
    // tokens come back with time: 10 per second
    TestClient again = login(h, V5, "a", "alice");
    for (int i = 0; i < 5; i++) {
      again.publish("devices/alice/x", "m", QoS.AT_MOST_ONCE, false);
    }
    h.clock.advance(Duration.ofMillis(200));
    again.publish("devices/alice/x", "m", QoS.AT_MOST_ONCE, false);
    again.publish("devices/alice/x", "m", QoS.AT_MOST_ONCE, false);
    again.expectOpen();
  }

  @Test
  @DisplayName("3.1.1: a publish flood closes the connection")
  void publishRateV3() {
    Harness h = harness(BrokerConfig.defaults().withMaxPublishRate(1, 1), security(false));
    TestClient alice = login(h, V3_1_1, "a", "alice");
    alice.publish("devices/alice/x", "1", QoS.AT_MOST_ONCE, false);
    alice.expectOpen();
    alice.publish("devices/alice/x", "2", QoS.AT_MOST_ONCE, false);
    alice.expectClosed();
  }

  @Test
  @DisplayName("connections per user: one more is refused 0x97 (3.1.1 code 3); a takeover is not")
  void connectionsPerUser() {
    Harness h = harness(BrokerConfig.defaults().withMaxConnectionsPerUser(2), security(false));
    TestClient a1 = login(h, V5, "a1", "alice");
    TestClient a2 = login(h, V5, "a2", "alice");
    assertEquals(ReasonCode.QUOTA_EXCEEDED, refusal(h, V5, connect(V5, "a3", "alice", "pw-alice")));
    assertEquals(
        ReasonCode.SERVER_UNAVAILABLE,
        refusal(h, V3_1_1, connect(V3_1_1, "a3", "alice", "pw-alice")));
    // other users are not affected
    login(h, V5, "b1", "bob");
    // taking over one's own client id replaces a connection
    login(h, V5, "a1", "alice");
    a1.expectClosed();
    assertEquals(ReasonCode.QUOTA_EXCEEDED, refusal(h, V5, connect(V5, "a3", "alice", "pw-alice")));
    // a connection that ends, by DISCONNECT or loss, frees its slot
    a2.send(new Disconnect(ReasonCode.NORMAL_DISCONNECTION, Properties.NONE));
    TestClient a3 = login(h, V5, "a3", "alice");
    a3.drop();
    login(h, V5, "a4", "alice");
  }

  @Test
  void anonymousNeedsDevelopmentModeForAllowAll() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Broker(
                BrokerConfig.defaults(),
                dev.stratus.core.store.Stores.inMemory(),
                new Harness(),
                new ManualClock(),
                dev.stratus.core.auth.Authenticator.ALLOW_ALL,
                dev.stratus.core.auth.Authorizer.ALLOW_ALL));
    assertFalse(BrokerConfig.defaults().developmentMode());
  }
}
