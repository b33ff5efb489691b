package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.acl.AclRule;
import dev.stratus.core.auth.jwt.TestIssuer;
import dev.stratus.core.store.Stores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge's command-line security with a real MQTT 5 client (HiveMQ) over TCP: the flags are
 * parsed by {@link BridgeOptions}, the password file and ACL file loaded, and {@code Security}, the
 * engine's limits and the authenticator built by the same {@link BridgeMain} methods the command
 * uses. Each refusal carries the reason code docs/security.md documents, and a bystander keeps its
 * connection and its messages throughout.
 */
@Timeout(120)
class BridgeSecurityTest {
  @TempDir static Path dir;
  static TestIssuer issuer;
  static Bridge bridge;
  static Broker broker;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  static final String ACL =
      """
      user alice
        allow all alice/#
      user bob
        allow all bob/#
      user legacy
        allow all legacy/#
      role devices
        allow all devices/%u/#
      """;

  @BeforeAll
  static void start() throws Exception {
    issuer = new TestIssuer();
    Path passwords = dir.resolve("passwords");
    Files.writeString(
        passwords,
        "# one user migrated to PBKDF2, one still in the old SHA-256 form\n"
            + "alice:"
            + PasswordHash.hash("alice-pw".getBytes(StandardCharsets.UTF_8), 1000)
            + "\nbob:"
            + PasswordHash.hash("bob-pw".getBytes(StandardCharsets.UTF_8), 1000)
            + "\nlegacy:"
            + HexFormat.of()
                .formatHex(PasswordFile.sha256("old-pw".getBytes(StandardCharsets.UTF_8)))
            + "\n");
    Path acl = dir.resolve("acl.conf");
    Files.writeString(acl, ACL);
    BridgeOptions options =
        BridgeOptions.parse(
            "--tcp-port",
            "0",
            "--password-file",
            passwords.toString(),
            "--acl-file",
            acl.toString(),
            "--jwt-jwks-url",
            issuer.jwksUrl().toString(),
            "--jwt-issuer",
            TestIssuer.ISSUER,
            "--jwt-audience",
            "stratus-app",
            "--max-publish-rate",
            "10/20",
            "--allow-anonymous",
            "false");
    PasswordFile file = PasswordFile.load(options.passwordFile());
    List<AclRule> rules = AclFile.load(options.security().aclFile());
    Security security = BridgeMain.security(options, file, rules, null, null);
    BrokerConfig config = BridgeMain.brokerConfig(options);
    bridge =
        new Bridge(
            BridgeConfig.loopbackDefaults().withMaximumPacketSize(config.maximumPacketSize()));
    broker =
        new Broker(
            config,
            Stores.inMemory(),
            bridge,
            InstantSource.system(),
            BridgeAuthenticator.of(security, file),
            security.authorizer());
    bridge.start(broker);
  }

  @AfterAll
  static void stop() {
    bridge.close();
    issuer.close();
  }

  @AfterEach
  void disconnect() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  private Mqtt5BlockingClient client(String id, BlockingQueue<Throwable> disconnects) {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(bridge.port(Protocol.TCP))
            .addDisconnectedListener(
                ctx -> {
                  if (disconnects != null) {
                    disconnects.add(ctx.getCause());
                  }
                })
            .useMqttVersion5()
            .buildBlocking();
    clients.add(c);
    return c;
  }

  private Mqtt5BlockingClient login(String id, String user, String password) {
    Mqtt5BlockingClient c = client(id, null);
    c.connectWith()
        .simpleAuth()
        .username(user)
        .password(password.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .send();
    return c;
  }

  private Mqtt5ConnAckReasonCode refusal(String id, String user, String password) {
    Mqtt5BlockingClient c = client(id, null);
    Mqtt5ConnAckException e =
        assertThrows(
            Mqtt5ConnAckException.class,
            () -> {
              if (user == null && password == null) {
                c.connect();
              } else {
                var auth = c.connectWith().simpleAuth();
                if (user != null) {
                  auth = auth.username(user);
                }
                auth.password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send();
              }
            });
    return e.getMqttMessage().getReasonCode();
  }

  /** Bob, subscribed to his own topics: must keep receiving whatever the others do. */
  private Mqtt5BlockingClient.Mqtt5Publishes bystander(String id) {
    Mqtt5BlockingClient bob = login(id, "bob", "bob-pw");
    Mqtt5BlockingClient.Mqtt5Publishes publishes = bob.publishes(MqttGlobalPublishFilter.ALL);
    bob.subscribeWith().topicFilter("bob/#").qos(MqttQos.AT_LEAST_ONCE).send();
    return publishes;
  }

  private void stillReceives(Mqtt5BlockingClient.Mqtt5Publishes publishes, String marker)
      throws Exception {
    Mqtt5BlockingClient other = login("bob-pub-" + marker, "bob", "bob-pw");
    other
        .publishWith()
        .topic("bob/news")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload(marker.getBytes())
        .send();
    Optional<Mqtt5Publish> got = publishes.receive(10, TimeUnit.SECONDS);
    assertTrue(got.isPresent(), "the bystander received nothing");
    assertEquals(marker, new String(got.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void passwordsFromThePasswordFileInBothFormsAndNothingElse() throws Exception {
    try (var bob = bystander("bob-1")) {
      assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, refusal("anon", null, null));
      assertEquals(
          Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal("a1", "alice", "wrong"));
      assertEquals(
          Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal("a2", "mallory", "alice-pw"));
      assertEquals(
          Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal("l1", "legacy", "wrong"));
      assertTrue(login("a3", "alice", "alice-pw").getState().isConnected());
      assertTrue(login("l2", "legacy", "old-pw").getState().isConnected(), "the SHA-256 line");
      stillReceives(bob, "after-logins");
    }
  }

  @Test
  void jwtInThePasswordFieldIsCheckedForSignatureExpiryAndAudience() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    String good = issuer.rs256("rsa-1", TestIssuer.claims("dev-7", now));
    Map<String, Object> expired = TestIssuer.claims("dev-7", now - 7200);
    Map<String, Object> otherApp = TestIssuer.claims("dev-7", now);
    otherApp.put("aud", "someone-elses-app");
    String forged;
    try (TestIssuer forger = new TestIssuer()) {
      forged = forger.rs256("rsa-1", TestIssuer.claims("dev-7", now));
    }
    try (var bob = bystander("bob-2")) {
      assertEquals(
          Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD,
          refusal("t1", "x", issuer.rs256("rsa-1", expired)));
      assertEquals(
          Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD,
          refusal("t2", "x", issuer.rs256("rsa-1", otherApp)));
      assertEquals(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, refusal("t3", "x", forged));

      // the token's user (not the CONNECT's user name) with its role "devices": devices/dev-7/#
      Mqtt5BlockingClient device = login("t4", "bob", good);
      try (var own = device.publishes(MqttGlobalPublishFilter.ALL)) {
        device.subscribeWith().topicFilter("devices/dev-7/#").qos(MqttQos.AT_LEAST_ONCE).send();
        device.publishWith().topic("devices/dev-7/t").qos(MqttQos.AT_LEAST_ONCE).send();
        assertTrue(own.receive(10, TimeUnit.SECONDS).isPresent());
      }
      assertEquals(
          Mqtt5PubAckReasonCode.NOT_AUTHORIZED,
          pubAck(device, "bob/x"),
          "not bob, whatever it says");
      stillReceives(bob, "after-tokens");
    }
  }

  @Test
  void wildcardTricksAreRefusedInSubAckAndForeignPublishesInPubAck() throws Exception {
    try (var bob = bystander("bob-3")) {
      Mqtt5BlockingClient alice = login("alice-3", "alice", "alice-pw");
      for (String filter : List.of("+/#", "#", "$share/g/#", "$SYS/#", "bob/#", "+/news")) {
        assertEquals(List.of(Mqtt5SubAckReasonCode.NOT_AUTHORIZED), subAck(alice, filter), filter);
      }
      assertEquals(List.of(Mqtt5SubAckReasonCode.GRANTED_QOS_1), subAck(alice, "alice/#"));
      assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, pubAck(alice, "bob/news"));
      assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, pubAck(alice, "$SYS/broker/uptime"));
      assertTrue(alice.getState().isConnected(), "a refusal does not end the connection");
      // alice's refused publish to bob/news never reached bob: the next thing he gets is this
      stillReceives(bob, "after-tricks");
    }
  }

  @Test
  void anotherUserCannotTakeOverAClientIdAndTheOwnerStaysConnected() throws Exception {
    BlockingQueue<Throwable> ownerClosed = new LinkedBlockingQueue<>();
    Mqtt5BlockingClient owner = client("device-9", ownerClosed);
    owner
        .connectWith()
        .simpleAuth()
        .username("alice")
        .password("alice-pw".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .send();
    Mqtt5BlockingClient thief = client("device-9", null);
    Mqtt5ConnAckException e =
        assertThrows(
            Mqtt5ConnAckException.class,
            () ->
                thief
                    .connectWith()
                    .simpleAuth()
                    .username("bob")
                    .password("bob-pw".getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth()
                    .send());
    assertEquals(
        Mqtt5ConnAckReasonCode.CLIENT_IDENTIFIER_NOT_VALID, e.getMqttMessage().getReasonCode());
    // the owner's connection still works end to end
    try (var own = owner.publishes(MqttGlobalPublishFilter.ALL)) {
      owner.subscribeWith().topicFilter("alice/mine").qos(MqttQos.AT_LEAST_ONCE).send();
      owner.publishWith().topic("alice/mine").qos(MqttQos.AT_LEAST_ONCE).send();
      assertTrue(own.receive(10, TimeUnit.SECONDS).isPresent());
    }
    assertTrue(ownerClosed.isEmpty(), "the owner was disconnected: " + ownerClosed);
  }

  @Test
  void aFloodPastTheRateLimitIsDisconnectedWith0x96AndTheBystanderNoticesNothing()
      throws Exception {
    try (var bob = bystander("bob-5")) {
      BlockingQueue<Throwable> closed = new LinkedBlockingQueue<>();
      Mqtt5BlockingClient flooder = client("flooder", closed);
      flooder
          .connectWith()
          .simpleAuth()
          .username("alice")
          .password("alice-pw".getBytes(StandardCharsets.UTF_8))
          .applySimpleAuth()
          .send();
      // 500 QoS 0 publishes handed to the client at once: far more than the burst of 20
      var async = flooder.toAsync();
      for (int i = 0; i < 500 && flooder.getState().isConnected(); i++) {
        async.publishWith().topic("alice/flood").qos(MqttQos.AT_MOST_ONCE).send();
      }
      Throwable cause = closed.poll(20, TimeUnit.SECONDS);
      assertNotNull(cause, "the flooder was not disconnected");
      Mqtt5DisconnectException d = assertInstanceOf(Mqtt5DisconnectException.class, cause);
      assertEquals(
          Mqtt5DisconnectReasonCode.MESSAGE_RATE_TOO_HIGH, d.getMqttMessage().getReasonCode());
      stillReceives(bob, "after-flood");
    }
  }

  private static List<Mqtt5SubAckReasonCode> subAck(Mqtt5BlockingClient c, String filter) {
    try {
      return List.copyOf(
          c.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send().getReasonCodes());
    } catch (Mqtt5SubAckException e) {
      return List.copyOf(e.getMqttMessage().getReasonCodes());
    }
  }

  private static Mqtt5PubAckReasonCode pubAck(Mqtt5BlockingClient c, String topic) {
    try {
      Mqtt5PublishResult r =
          c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
      if (r.getError().isPresent() && r.getError().get() instanceof Mqtt5PubAckException e) {
        return e.getMqttMessage().getReasonCode();
      }
      return ((Mqtt5PublishResult.Mqtt5Qos1Result) r).getPubAck().getReasonCode();
    } catch (Mqtt5PubAckException e) {
      return e.getMqttMessage().getReasonCode();
    }
  }
}
