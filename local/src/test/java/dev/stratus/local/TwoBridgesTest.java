package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.stratus.core.ConnectionId;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Two bridge processes ({@code BridgeMain --store dynamodb}, child JVMs) on one DynamoDB Local:
 * clients on either exchange messages, a session moves from one to the other, and a client id taken
 * over across them leaves one connection.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TwoBridgesTest {
  private static final String PREFIX = "two-";
  private static final Pattern TASK = Pattern.compile("task (bridge-[0-9a-f]+)");

  @TempDir static Path logs;

  private static DynamoDbLocalServer dynamo;
  private static DynamoDbClient client;
  private static Child a;
  private static Child b;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  /** A bridge process: its MQTT port, internal endpoint and task id. */
  private record Child(Process process, int tcpPort, String internalUrl, String taskId) {}

  @BeforeAll
  static void start() throws Exception {
    dynamo = DynamoDbLocalServer.start(0, null);
    client = DynamoDbClients.builder(dynamo.endpoint(), "us-east-1", true, List.of()).build();
    StratusTables.createAll(client, PREFIX);
    a = bridge("a");
    b = bridge("b");
  }

  private static Child bridge(String name) throws IOException {
    Path err = logs.resolve(name + ".err");
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.stratus.bridge.BridgeMain",
            "--store",
            "dynamodb",
            "--dynamodb-endpoint",
            dynamo.endpoint().toString(),
            "--table-prefix",
            PREFIX,
            "--tcp-port",
            "0",
            "--ws-port",
            "-1",
            "--internal-port",
            "0",
            "--allow-anonymous",
            "true");
    Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String tcp = out.readLine();
    String internal = out.readLine();
    assertNotNull(internal, () -> name + " did not start: " + read(err));
    assertTrue(tcp.matches("listening tcp 127\\.0\\.0\\.1:\\d+"), tcp);
    assertTrue(internal.matches("listening internal http://127\\.0\\.0\\.1:\\d+"), internal);
    Matcher task = TASK.matcher(read(err));
    assertTrue(task.find(), "the task id is logged");
    return new Child(
        p,
        Integer.parseInt(tcp.substring(tcp.lastIndexOf(':') + 1)),
        internal.substring("listening internal ".length()),
        task.group(1));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @AfterEach
  void disconnectClients() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (Child c : new Child[] {a, b}) {
      if (c != null) {
        c.process().destroy(); // SIGTERM: the bridge drains and deregisters
        if (!c.process().waitFor(20, TimeUnit.SECONDS)) {
          c.process().destroyForcibly();
        }
      }
    }
    if (client != null) {
      client.close();
    }
    if (dynamo != null) {
      dynamo.close();
    }
  }

  private Mqtt5BlockingClient client(String id, Child on) {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(on.tcpPort())
            .buildBlocking();
    clients.add(c);
    return c;
  }

  private static Mqtt5Publish receive(Mqtt5BlockingClient.Mqtt5Publishes publishes)
      throws InterruptedException {
    Optional<Mqtt5Publish> p = publishes.receive(20, TimeUnit.SECONDS);
    assertTrue(p.isPresent(), "a message arrived");
    return p.get();
  }

  private static String describe(Mqtt5Publish p) {
    return p.getTopic()
        + " "
        + new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)
        + " qos"
        + p.getQos().getCode();
  }

  @Test
  void theTasksRegisteredTheirInternalEndpoints() {
    BridgeTasks tasks = new BridgeTasks(client, PREFIX);
    java.time.Instant now = java.time.Instant.now();
    assertEquals(a.internalUrl(), tasks.lookup(a.taskId(), now).toString());
    assertEquals(b.internalUrl(), tasks.lookup(b.taskId(), now).toString());
  }

  @Test
  void clientsOnTwoBridgesExchangeMessagesAtEveryQosBothWays() throws Exception {
    Mqtt5BlockingClient subA = client("sub-a", a);
    Mqtt5BlockingClient subB = client("sub-b", b);
    Mqtt5BlockingClient pubA = client("pub-a", a);
    Mqtt5BlockingClient pubB = client("pub-b", b);
    try (var toA = subA.publishes(MqttGlobalPublishFilter.ALL);
        var toB = subB.publishes(MqttGlobalPublishFilter.ALL)) {
      subA.connect();
      subB.connect();
      pubA.connect();
      pubB.connect();
      subA.subscribeWith().topicFilter("to-a/#").qos(MqttQos.EXACTLY_ONCE).send();
      subB.subscribeWith().topicFilter("to-b/#").qos(MqttQos.EXACTLY_ONCE).send();
      Set<String> expectedA = new HashSet<>();
      Set<String> expectedB = new HashSet<>();
      for (MqttQos qos : MqttQos.values()) {
        pubB.publishWith()
            .topic("to-a/q" + qos.getCode())
            .qos(qos)
            .payload(("from b " + qos).getBytes(StandardCharsets.UTF_8))
            .send();
        expectedA.add("to-a/q" + qos.getCode() + " from b " + qos + " qos" + qos.getCode());
        pubA.publishWith()
            .topic("to-b/q" + qos.getCode())
            .qos(qos)
            .payload(("from a " + qos).getBytes(StandardCharsets.UTF_8))
            .send();
        expectedB.add("to-b/q" + qos.getCode() + " from a " + qos + " qos" + qos.getCode());
      }
      Set<String> gotA = new HashSet<>();
      Set<String> gotB = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        gotA.add(describe(receive(toA)));
        gotB.add(describe(receive(toB)));
      }
      assertEquals(expectedA, gotA);
      assertEquals(expectedB, gotB);
    }
  }

  @Test
  void aPersistentSessionLeftOnOneBridgeIsResumedOnTheOther() throws Exception {
    Mqtt5BlockingClient first = client("persistent", a);
    first.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    first.subscribeWith().topicFilter("queued/#").qos(MqttQos.AT_LEAST_ONCE).send();
    first.disconnect();

    Mqtt5BlockingClient publisher = client("queued-publisher", a);
    publisher.connect();
    for (int i = 1; i <= 3; i++) {
      // returns after PUBACK: the message is in the offline session's queue
      publisher
          .publishWith()
          .topic("queued/" + i)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("m" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }

    Mqtt5BlockingClient again = client("persistent", b);
    try (var publishes = again.publishes(MqttGlobalPublishFilter.ALL)) {
      var ack = again.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
      assertTrue(ack.isSessionPresent(), "the session is resumed on the other bridge");
      for (int i = 1; i <= 3; i++) {
        Mqtt5Publish p = receive(publishes);
        assertEquals("queued/" + i + " m" + i + " qos1", describe(p));
      }
    }
  }

  @Test
  void theSameClientIdOnTheOtherBridgeTakesOverAndLeavesOneConnection() throws Exception {
    CompletableFuture<Throwable> firstLost = new CompletableFuture<>();
    Mqtt5BlockingClient first =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("twin")
            .serverHost("127.0.0.1")
            .serverPort(a.tcpPort())
            .addDisconnectedListener(ctx -> firstLost.complete(ctx.getCause()))
            .buildBlocking();
    clients.add(first);
    first.connect();
    Mqtt5BlockingClient second = client("twin", b);
    second.connect();

    Throwable cause = firstLost.get(30, TimeUnit.SECONDS);
    Mqtt5DisconnectException disconnect = assertInstanceOf(Mqtt5DisconnectException.class, cause);
    assertEquals(
        Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER, disconnect.getMqttMessage().getReasonCode());

    // the newer connection is live, and the only one the shared state knows for the client id
    second.publishWith().topic("twin/alive").qos(MqttQos.AT_LEAST_ONCE).send();
    assertTrue(second.getState().isConnected());
    ConnectionId bound = DynamoDbStores.create(client, PREFIX).connections().connectionOf("twin");
    assertEquals(b.taskId(), BridgeTasks.taskOf(bound));
    int records =
        client
            .scan(
                s ->
                    s.tableName(StratusTables.CONNECTIONS.name(PREFIX))
                        .consistentRead(true)
                        .filterExpression("begins_with(pk, :k) AND cid = :c")
                        .expressionAttributeValues(
                            Map.of(
                                ":k",
                                AttributeValue.fromS("K#"),
                                ":c",
                                AttributeValue.fromS("twin"))))
            .count();
    assertEquals(1, records);
  }
}
