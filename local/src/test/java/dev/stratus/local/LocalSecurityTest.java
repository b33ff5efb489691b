package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.ReasonCode;
import dev.stratus.local.cli.CliRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./stratus local --allow-anonymous false --acl-file FILE} with users and ACL rules added by
 * the CLI classes before the stack starts (an embedded DynamoDB Local on the data dir) and while it
 * runs (its DynamoDB Local, found through the data dir): real clients on both edges.
 */
class LocalSecurityTest {
  @TempDir static Path dataDir;
  static LocalStack stack;

  @BeforeAll
  static void start() throws Exception {
    String dir = dataDir.toString();
    // before the stack: the CLI opens the data dir with its own DynamoDB Local
    assertEquals(
        0,
        CliRunner.users(null, "add", "alice", "--password", "wonderland", "--data-dir", dir)
            .status());
    assertEquals(
        0,
        CliRunner.users(
                "looking-glass\n",
                "add",
                "bob",
                "--password-stdin",
                "--role",
                "dev",
                "--data-dir",
                dir)
            .status());
    Path acl = dataDir.resolve("acl.conf");
    // bob may use bob/# and public/#, alice everything (what no rule allows is denied)
    Files.writeString(
        acl, "user bob\n  allow all bob/#\nuser alice\n  allow all #\nall\n  allow all public/#\n");
    LocalStack.SecurityOptions sec =
        new LocalStack.SecurityOptions(
            false, Files.readString(acl), acl.toString(), java.time.Duration.ofSeconds(5));
    stack =
        LocalStack.start(
            LocalStackTest.options(dataDir, ApiGatewayEmulator.Dispatch.SEQUENTIAL), sec);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static int tcp() {
    return LocalStackTest.tcpPort(stack);
  }

  @Test
  void theCliFindsTheRunningStackThroughTheDataDir() throws Exception {
    assertTrue(Files.exists(dataDir.resolve("dynamodb.endpoint")));
    CliRunner.Result r =
        CliRunner.users(
            null,
            "add",
            "carol",
            "--password",
            "c4",
            "--role",
            "ops",
            "--data-dir",
            dataDir.toString());
    assertEquals(0, r.status(), r.err());
    r = CliRunner.users(null, "list", "--data-dir", dataDir.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("alice\troles: -\tpassword: yes"), r.out());
    assertTrue(r.out().contains("bob\troles: dev"), r.out());
    assertTrue(r.out().contains("carol\troles: ops"), r.out());
    assertFalse(r.out().contains("pbkdf2"), "list never prints hashes: " + r.out());
    // the running bridge reads the users table at each CONNECT: carol logs in at once
    mosquittoPub("carol", "c4", "public/carol", 0);
  }

  @Test
  void usersAddedWithTheCliConnectOverTcpWithV5AndV311() throws Exception {
    for (MqttVersion v : new MqttVersion[] {MqttVersion.V5, MqttVersion.V3_1_1}) {
      try (RawMqtt c = new RawMqtt(tcp(), v)) {
        c.send(connect(v, "alice-" + v, "alice", "wonderland"));
        assertEquals(ReasonCode.SUCCESS, c.expect(ConnAck.class).reasonCode());
      }
    }
  }

  @Test
  void aWrongPasswordAndNoCredentialsAreRefusedOverTcp() throws Exception {
    try (RawMqtt c = new RawMqtt(tcp(), MqttVersion.V5)) {
      c.send(connect(MqttVersion.V5, "w5", "alice", "wrong"));
      // [MQTT-3.2.2-7] a CONNACK with 0x86 Bad User Name or Password, then the close
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, c.expect(ConnAck.class).reasonCode());
      c.expectClosed();
    }
    // 3.1.1 return code 4 Connection Refused, bad user name or password: mosquitto says so
    Process p = mosquittoPubProcess("alice", "wrong", "t", 0);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes());
    assertNotEquals(0, p.exitValue(), out);
    assertTrue(out.toLowerCase().contains("bad user name or password"), out);
    try (RawMqtt c = new RawMqtt(tcp(), MqttVersion.V5)) {
      c.send(connect(MqttVersion.V5, "anon", null, null));
      assertEquals(ReasonCode.NOT_AUTHORIZED, c.expect(ConnAck.class).reasonCode());
    }
  }

  @Test
  void theAclFileConfinesAUserOnTheBridge() throws Exception {
    var bob =
        com.hivemq.client.mqtt.MqttClient.builder()
            .useMqttVersion5()
            .identifier("bob-sub")
            .serverHost("127.0.0.1")
            .serverPort(tcp())
            .simpleAuth()
            .username("bob")
            .password("looking-glass".getBytes())
            .applySimpleAuth()
            .buildBlocking();
    bob.connect();
    try {
      var allowed = bob.subscribeWith().topicFilter("bob/inbox").send();
      assertEquals(
          com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode
              .GRANTED_QOS_2, // HiveMQ asks for QoS 2 unless told
          allowed.getReasonCodes().get(0));
      // [MQTT-3.9.3] 0x87 Not authorized for a filter the ACL does not allow (HiveMQ throws
      // when every code of the SUBACK is an error)
      var denied =
          org.junit.jupiter.api.Assertions.assertThrows(
              com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException.class,
              () -> bob.subscribeWith().topicFilter("alice/inbox").send());
      assertEquals(
          com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode
              .NOT_AUTHORIZED,
          denied.getMqttMessage().getReasonCodes().get(0));
    } finally {
      bob.disconnect();
    }
  }

  @Test
  void usersConnectOnTheApiGatewayEdgeAndAWrongPasswordIsRefused() throws Exception {
    try (TextClient c = TextClient.connect(stack.emulator().url(), MqttVersion.V5, false)) {
      c.send(connect(MqttVersion.V5, "text-alice", "alice", "wonderland"));
      assertEquals(ReasonCode.SUCCESS, c.expect(ConnAck.class).reasonCode());
    }
    try (TextClient c = TextClient.connect(stack.emulator().url(), MqttVersion.V5, false)) {
      c.send(connect(MqttVersion.V5, "text-wrong", "alice", "wrong"));
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, c.expect(ConnAck.class).reasonCode());
    }
    try (TextClient c = TextClient.connect(stack.emulator().url(), MqttVersion.V3_1_1, false)) {
      c.send(connect(MqttVersion.V3_1_1, "text-wrong3", "alice", "wrong"));
      // 3.1.1 return code 4 is the codec's BAD_USER_NAME_OR_PASSWORD in a 3.1.1 CONNACK
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, c.expect(ConnAck.class).reasonCode());
    }
  }

  static Connect connect(MqttVersion v, String id, String user, String password) {
    return new Connect(
        v,
        id,
        true,
        60,
        user,
        password == null ? null : Bytes.utf8(password),
        null,
        Properties.NONE);
  }

  static Process mosquittoPubProcess(String user, String password, String topic, int qos)
      throws Exception {
    return new ProcessBuilder(
            "mosquitto_pub",
            "-h",
            "127.0.0.1",
            "-p",
            String.valueOf(tcp()),
            "-V",
            "mqttv311",
            "-u",
            user,
            "-P",
            password,
            "-t",
            topic,
            "-m",
            "x",
            "-q",
            String.valueOf(qos))
        .redirectErrorStream(true)
        .start();
  }

  static void mosquittoPub(String user, String password, String topic, int qos) throws Exception {
    Process p = mosquittoPubProcess(user, password, topic, qos);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.exitValue(), out);
  }

  @Test
  void theConsolesAdminApiAdmitsOnlyUsersWithTheAdminRole() throws Exception {
    assertEquals(
        0,
        CliRunner.users(
                null,
                "add",
                "root",
                "--password",
                "r00t-secret",
                "--role",
                LocalStack.ADMIN_ROLE,
                "--data-dir",
                dataDir.toString())
            .status());
    dev.stratus.console.ConsoleServer console = stack.startConsole("127.0.0.1", 0);
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.util.function.Function<String, Integer> get =
        credentials -> {
          var request = java.net.http.HttpRequest.newBuilder(console.url().resolve("/api/info"));
          if (credentials != null) {
            request.header(
                "Authorization",
                "Basic "
                    + java.util.Base64.getEncoder()
                        .encodeToString(
                            credentials.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
          }
          try {
            return http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.discarding())
                .statusCode();
          } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
          }
        };
    assertEquals(401, get.apply(null), "no credentials");
    assertEquals(401, get.apply("bob:looking-glass"), "a user without the admin role");
    assertEquals(401, get.apply("root:wrong"), "a wrong password");
    assertEquals(200, get.apply("root:r00t-secret"), "an admin");
  }
}
