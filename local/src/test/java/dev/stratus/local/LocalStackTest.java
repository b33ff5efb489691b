package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.codec.Will;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack end to end: a text-profile client on the API Gateway emulator (the real handlers,
 * DynamoDB Local) and mosquitto_pub/mosquitto_sub on the bridge, in one process.
 */
class LocalStackTest {
  @TempDir static Path dataDir;
  static LocalStack stack;

  @BeforeAll
  static void start() throws IOException {
    stack = LocalStack.start(options(dataDir, ApiGatewayEmulator.Dispatch.SEQUENTIAL));
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static LocalStack.Options options(Path dir, ApiGatewayEmulator.Dispatch dispatch) {
    return new LocalStack.Options(
        "127.0.0.1",
        0,
        0,
        0,
        -1,
        null,
        LocalStack.StoreKind.DYNAMODB,
        dir,
        0,
        "stratus-",
        ApiGatewayEmulator.Settings.defaults().withDispatch(dispatch));
  }

  static int tcpPort(LocalStack s) {
    return s.bridge().port(dev.stratus.bridge.Protocol.TCP);
  }

  static TextClient textClient(LocalStack s, String clientId, boolean cleanStart, Will will)
      throws InterruptedException {
    TextClient c = TextClient.connect(s.emulator().url(), MqttVersion.V5, false);
    Properties props =
        cleanStart ? Properties.NONE : Properties.builder().sessionExpiryInterval(3600L).build();
    c.send(new Connect(MqttVersion.V5, clientId, cleanStart, 60, null, null, will, props));
    ConnAck ack = c.expect(ConnAck.class);
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode());
    return c;
  }

  static void subscribe(TextClient c, int id, String filter, QoS qos) throws InterruptedException {
    c.send(
        new Subscribe(
            id, List.of(new TopicSubscription(TopicFilter.of(filter), qos)), Properties.NONE));
    SubAck ack = c.expect(SubAck.class);
    assertEquals(id, ack.packetId());
  }

  static Publish publish(String topic, String payload, QoS qos, int id, boolean retain) {
    return new Publish(
        TopicName.of(topic), qos, retain, false, id, Bytes.utf8(payload), Properties.NONE);
  }

  /** A running mosquitto_sub (with -d, so that its SUBACK shows when it is subscribed). */
  record Sub(Process process, java.util.concurrent.LinkedBlockingQueue<String> lines) {
    /** Waits for the SUBACK: after it, a publish reaches this subscriber. */
    Sub subscribed() throws InterruptedException {
      List<String> seen = new ArrayList<>();
      while (true) {
        String l = lines.poll(30, TimeUnit.SECONDS);
        if (l == null || l.equals("<eof>")) {
          throw new AssertionError("mosquitto_sub got no SUBACK: " + seen);
        }
        seen.add(l);
        if (l.contains("received SUBACK")) {
          return this;
        }
      }
    }
  }

  private static final java.util.concurrent.atomic.AtomicInteger IDS =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * A client id for mosquitto_pub/sub unless the caller gives one. With an empty client id (a
   * server-assigned one), a bridge client's session was not found by the API Gateway edge's fan-out
   * in this version: see the report of issue 5's local stack.
   */
  private static List<String> withId(String tool, String... extra) {
    List<String> args = new ArrayList<>(List.of(extra));
    if (!args.contains("-i")) {
      args.addAll(List.of("-i", tool + "-" + IDS.incrementAndGet()));
    }
    return args;
  }

  /** mosquitto_sub for {@code count} messages, printing "topic payload" lines. */
  static Sub mosquittoSub(int port, String filter, int qos, int count, String... extra)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                // line-buffered: mosquitto_sub's stdout is a pipe here, and its SUBACK line must
                // arrive when it happens
                "stdbuf",
                "-oL",
                "mosquitto_sub",
                "-d",
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(port),
                "-t",
                filter,
                "-q",
                String.valueOf(qos),
                "-C",
                String.valueOf(count),
                "-v",
                "-W",
                "30"));
    cmd.addAll(withId("sub", extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    var lines = new java.util.concurrent.LinkedBlockingQueue<String>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (var r =
                  new java.io.BufferedReader(
                      new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  lines.add(l);
                }
              } catch (IOException ignored) {
                // the process ended
              }
              lines.add("<eof>");
            });
    return new Sub(p, lines);
  }

  static void mosquittoPub(int port, String topic, String message, int qos, String... extra)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "mosquitto_pub",
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(port),
                "-t",
                topic,
                "-m",
                message,
                "-q",
                String.valueOf(qos)));
    cmd.addAll(withId("pub", extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "mosquitto_pub finished");
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
  }

  /** The messages mosquitto_sub printed ("topic payload"), once it has exited. */
  static List<String> output(Sub sub) throws Exception {
    assertTrue(sub.process().waitFor(40, TimeUnit.SECONDS), "mosquitto_sub finished");
    List<String> messages = new ArrayList<>();
    List<String> all = new ArrayList<>();
    for (String l; !(l = sub.lines().take()).equals("<eof>"); ) {
      all.add(l);
      if (!l.startsWith("Client ") && !l.startsWith("Subscribed")) {
        messages.add(l);
      }
    }
    assertEquals(0, sub.process().exitValue(), String.join("\n", all));
    return messages;
  }

  /** An MQTT 5 client (HiveMQ) on the bridge's TCP listener, subscribed to {@code filter}. */
  record BridgeSub(
      com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient client,
      com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes publishes) {
    static BridgeSub of(int port, String id, String filter, int qos) {
      var c =
          com.hivemq.client.mqtt.MqttClient.builder()
              .useMqttVersion5()
              .identifier(id)
              .serverHost("127.0.0.1")
              .serverPort(port)
              .buildBlocking();
      c.connect();
      var publishes = c.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL);
      c.subscribeWith()
          .topicFilter(filter)
          .qos(com.hivemq.client.mqtt.datatypes.MqttQos.fromCode(qos))
          .send();
      return new BridgeSub(c, publishes);
    }

    /** The next message as "topic payload". */
    String next() throws InterruptedException {
      var p =
          publishes
              .receive(20, TimeUnit.SECONDS)
              .orElseThrow(() -> new AssertionError("nothing within 20 s"));
      return p.getTopic() + " " + new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void apiGatewayToBridgeAndBackAtEveryQos() throws Exception {
    int tcp = tcpPort(stack);
    BridgeSub sub = BridgeSub.of(tcp, "bridge-up", "up/#", 2);
    TextClient c = textClient(stack, "text-up", true, null);
    subscribe(c, 1, "down/#", QoS.EXACTLY_ONCE);
    c.send(publish("up/q0", "zero", QoS.AT_MOST_ONCE, 0, false));
    c.send(publish("up/q1", "one", QoS.AT_LEAST_ONCE, 7, false));
    assertEquals(7, c.expect(PubAck.class).packetId());
    c.send(publish("up/q2", "two", QoS.EXACTLY_ONCE, 8, false));
    assertEquals(8, c.expect(PubRec.class).packetId());
    c.send(new PubRel(8));
    assertEquals(8, c.expect(PubComp.class).packetId());
    assertEquals(
        List.of("up/q0 zero", "up/q1 one", "up/q2 two"),
        List.of(sub.next(), sub.next(), sub.next()));
    sub.client().disconnect();

    mosquittoPub(tcp, "down/q0", "a", 0);
    Publish p0 = c.expect(Publish.class);
    assertEquals("down/q0", p0.topic().value());
    mosquittoPub(tcp, "down/q1", "b", 1);
    Publish p1 = c.expect(Publish.class);
    assertEquals(QoS.AT_LEAST_ONCE, p1.qos());
    assertEquals("b", new String(p1.payload().toArray(), StandardCharsets.UTF_8));
    c.send(new PubAck(p1.packetId()));
    mosquittoPub(tcp, "down/q2", "c", 2);
    Publish p2 = c.expect(Publish.class);
    assertEquals(QoS.EXACTLY_ONCE, p2.qos());
    c.send(new PubRec(p2.packetId()));
    assertEquals(p2.packetId(), c.expect(PubRel.class).packetId());
    c.send(new PubComp(p2.packetId()));
    c.close();
  }

  @Test
  void retainedMessagesMatchWildcardsAcrossEdges() throws Exception {
    int tcp = tcpPort(stack);
    TextClient c = textClient(stack, "text-ret", true, null);
    c.send(publish("ret/a/b", "from-apigw", QoS.AT_LEAST_ONCE, 1, true));
    assertEquals(1, c.expect(PubAck.class).packetId());
    mosquittoPub(tcp, "ret/c/b", "from-bridge", 1, "-r");
    List<String> seen = new ArrayList<>(output(mosquittoSub(tcp, "ret/+/b", 1, 2)));
    seen.sort(null);
    assertEquals(List.of("ret/a/b from-apigw", "ret/c/b from-bridge"), seen);
    subscribe(c, 2, "ret/#", QoS.AT_MOST_ONCE);
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Publish p = c.expect(Publish.class);
      assertTrue(p.retain(), "retained flag on a retained message [MQTT-3.3.1-6]");
      got.add(p.topic().value());
    }
    got.sort(null);
    assertEquals(List.of("ret/a/b", "ret/c/b"), got);
    c.close();
  }

  @Test
  void willOfAnAbruptlyClosedApiGatewayClientReachesTheBridge() throws Exception {
    int tcp = tcpPort(stack);
    BridgeSub sub = BridgeSub.of(tcp, "bridge-wills", "wills/#", 1);
    Will will =
        new Will(
            TopicName.of("wills/text"),
            Bytes.utf8("gone"),
            QoS.AT_LEAST_ONCE,
            false,
            Properties.NONE);
    TextClient c = textClient(stack, "text-will", true, will);
    c.abort(); // no DISCONNECT: $disconnect with 1006, the will is due [MQTT-3.1.2-8]
    assertEquals("wills/text gone", sub.next());
    sub.client().disconnect();
  }

  @Test
  void aClientOfferingOnlyMqttIsRefusedAtTheHandshake() {
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () ->
                HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .subprotocols("mqtt")
                    .buildAsync(stack.emulator().url(), new java.net.http.WebSocket.Listener() {})
                    .join());
    assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
    assertEquals(400, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
  }

  @Test
  void aPersistentSessionMovesBetweenEdgesAndTheNewestConnectionWins() throws Exception {
    int tcp = tcpPort(stack);
    TextClient first = textClient(stack, "mover", false, null);
    subscribe(first, 1, "mv/#", QoS.AT_LEAST_ONCE);
    // the same client id on the bridge takes the session over: the API Gateway connection is
    // closed [MQTT-3.1.4-3]
    Sub sub =
        mosquittoSub(tcp, "mv/#", 1, 1, "-i", "mover", "-c", "-x", "3600", "-V", "5").subscribed();
    assertTrue(first.closeCode() > 0, "the older connection was closed");
    mosquittoPub(tcp, "mv/x", "moved", 1);
    List<String> lines = output(sub);
    assertEquals(List.of("mv/x moved"), lines);
    // and back: the session (with its subscription) resumes on the API Gateway edge
    TextClient back = TextClient.connect(stack.emulator().url(), MqttVersion.V5, false);
    back.send(
        new Connect(
            MqttVersion.V5,
            "mover",
            false,
            60,
            null,
            null,
            null,
            Properties.builder().sessionExpiryInterval(3600L).build()));
    assertTrue(back.expect(ConnAck.class).sessionPresent(), "session present [MQTT-3.2.2-3]");
    mosquittoPub(tcp, "mv/y", "back", 1);
    Publish p = back.expect(Publish.class);
    assertEquals("mv/y", p.topic().value());
    back.send(new PubAck(p.packetId()));
    back.close();
  }
}
