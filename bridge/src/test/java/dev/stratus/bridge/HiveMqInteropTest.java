package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The HiveMQ MQTT client (MQTT 3.1.1 and 5) and hand-made byte streams against the bridge and the
 * real engine over real sockets. Raw sockets stand in where a client library cannot misbehave on
 * purpose: abrupt closes, silence past the keepalive, topic aliases chosen by hand, bad input.
 */
@Timeout(60)
class HiveMqInteropTest {
  @TempDir static Path dir;
  static TestCertificates certs;
  static LiveBroker live;
  private final List<Runnable> cleanup = new ArrayList<>();

  enum Transport {
    TCP,
    TLS,
    WS
  }

  @BeforeAll
  static void startBroker() throws Exception {
    certs = TestCertificates.create(dir, "EC");
    live = new LiveBroker(Tls.serverContext(certs.certificate(), certs.privateKey()));
  }

  @AfterAll
  static void stopBroker() {
    if (live != null) {
      live.close();
    }
  }

  @AfterEach
  void disconnectClients() {
    cleanup.forEach(Runnable::run);
  }

  private static String unique(String prefix) {
    return prefix + "-" + System.nanoTime();
  }

  private MqttClientBuilder builder(Transport transport, String id) throws Exception {
    MqttClientBuilder b = MqttClient.builder().identifier(id).serverHost("127.0.0.1");
    return switch (transport) {
      case TCP -> b.serverPort(live.tcp());
      case TLS ->
          b.serverPort(live.tls())
              .sslConfig()
              .trustManagerFactory(certs.trustManagerFactory())
              .applySslConfig();
      case WS ->
          b.serverPort(live.ws())
              .webSocketConfig()
              .serverPath("mqtt")
              .subprotocol("mqtt")
              .applyWebSocketConfig();
    };
  }

  private Mqtt5BlockingClient v5(Transport transport, String id) throws Exception {
    Mqtt5BlockingClient c = builder(transport, id).useMqttVersion5().buildBlocking();
    cleanup.add(
        () -> {
          if (c.getState().isConnected()) {
            c.disconnect();
          }
        });
    return c;
  }

  private Mqtt3BlockingClient v3(Transport transport, String id) throws Exception {
    Mqtt3BlockingClient c = builder(transport, id).useMqttVersion3().buildBlocking();
    cleanup.add(
        () -> {
          if (c.getState().isConnected()) {
            c.disconnect();
          }
        });
    return c;
  }

  private static String text(Mqtt5Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  private static Mqtt5Publish receive(Mqtt5BlockingClient.Mqtt5Publishes publishes)
      throws InterruptedException {
    Optional<Mqtt5Publish> p = publishes.receive(10, TimeUnit.SECONDS);
    assertTrue(p.isPresent(), "no message within 10 s");
    return p.get();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void v5Qos012(Transport transport) throws Exception {
    String topic = unique("h5/" + transport);
    Mqtt5BlockingClient sub = v5(transport, unique("sub"));
    Mqtt5BlockingClient pub = v5(transport, unique("pub"));
    sub.connect();
    pub.connect();
    try (var publishes = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter(topic + "/#").qos(MqttQos.EXACTLY_ONCE).send();
      for (MqttQos qos : MqttQos.values()) {
        pub.publishWith()
            .topic(topic + "/" + qos.getCode())
            .qos(qos)
            .payload(new byte[] {1})
            .send();
      }
      Set<MqttQos> got = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        Mqtt5Publish p = receive(publishes);
        assertEquals(topic + "/" + p.getQos().getCode(), p.getTopic().toString());
        got.add(p.getQos());
      }
      assertEquals(Set.of(MqttQos.values()), got);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void v311Qos012AndRetainedWildcard(Transport transport) throws Exception {
    String topic = unique("h3/" + transport);
    Mqtt3BlockingClient pub = v3(transport, unique("pub"));
    pub.connect();
    pub.publishWith()
        .topic(topic + "/r/a")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(new byte[] {7})
        .send();
    Mqtt3BlockingClient sub = v3(transport, unique("sub"));
    sub.connect();
    try (var publishes = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter(topic + "/#").qos(MqttQos.EXACTLY_ONCE).send();
      Optional<Mqtt3Publish> retained = publishes.receive(10, TimeUnit.SECONDS);
      assertTrue(retained.isPresent());
      assertTrue(retained.get().isRetain(), "retained message delivered with retain set");
      assertEquals(topic + "/r/a", retained.get().getTopic().toString());
      for (MqttQos qos : MqttQos.values()) {
        pub.publishWith()
            .topic(topic + "/q")
            .qos(qos)
            .payload(new byte[] {(byte) qos.getCode()})
            .send();
      }
      for (MqttQos qos : MqttQos.values()) {
        Optional<Mqtt3Publish> p = publishes.receive(10, TimeUnit.SECONDS);
        assertTrue(p.isPresent());
        assertEquals(qos, p.get().getQos());
        assertFalse(p.get().isRetain(), "live messages are not flagged retained");
      }
    }
  }

  @Test
  void queuedMessagesAcrossReconnect() throws Exception {
    String topic = unique("queue");
    String id = unique("persistent");
    Mqtt5BlockingClient sub = v5(Transport.TCP, id);
    sub.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send();
    sub.disconnect();

    Mqtt5BlockingClient pub = v5(Transport.WS, unique("pub"));
    pub.connect();
    for (int i = 1; i <= 3; i++) {
      pub.publishWith()
          .topic(topic)
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("m" + i).getBytes())
          .send();
    }
    pub.publishWith().topic(topic).qos(MqttQos.EXACTLY_ONCE).payload("m4".getBytes()).send();

    Mqtt5BlockingClient again = v5(Transport.TCP, id);
    try (var publishes = again.publishes(MqttGlobalPublishFilter.ALL)) {
      Mqtt5ConnAck ack = again.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
      assertTrue(ack.isSessionPresent());
      for (int i = 1; i <= 4; i++) {
        assertEquals("m" + i, text(receive(publishes)));
      }
    }
  }

  @Test
  void takeoverClosesTheOlderConnectionWith0x8E() throws Exception {
    String id = unique("twin");
    BlockingQueue<Throwable> causes = new LinkedBlockingQueue<>();
    Mqtt5BlockingClient first =
        MqttClient.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(live.tcp())
            .addDisconnectedListener(ctx -> causes.add(ctx.getCause()))
            .useMqttVersion5()
            .buildBlocking();
    first.connect();
    Mqtt5BlockingClient second = v5(Transport.WS, id);
    second.connect();
    Throwable cause = causes.poll(10, TimeUnit.SECONDS);
    assertNotNull(cause, "the first connection was not closed");
    Mqtt5DisconnectException disconnect = assertInstanceOf(Mqtt5DisconnectException.class, cause);
    assertEquals(
        Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER, disconnect.getMqttMessage().getReasonCode());
    assertTrue(second.getState().isConnected());
  }

  @Test
  void sharedSubscriptionSpreadsMessagesAcrossTheGroup() throws Exception {
    String topic = unique("shared");
    Mqtt5BlockingClient a = v5(Transport.TCP, unique("a"));
    Mqtt5BlockingClient b = v5(Transport.WS, unique("b"));
    a.connect();
    b.connect();
    try (var pa = a.publishes(MqttGlobalPublishFilter.ALL);
        var pb = b.publishes(MqttGlobalPublishFilter.ALL)) {
      a.subscribeWith().topicFilter("$share/g/" + topic).qos(MqttQos.AT_LEAST_ONCE).send();
      b.subscribeWith().topicFilter("$share/g/" + topic).qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5BlockingClient pub = v5(Transport.TCP, unique("pub"));
      pub.connect();
      int n = 20;
      for (int i = 0; i < n; i++) {
        pub.publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(("" + i).getBytes())
            .send();
      }
      Set<String> seen = new HashSet<>();
      int fromA = 0;
      int fromB = 0;
      while (seen.size() < n) {
        Optional<Mqtt5Publish> p = pa.receive(100, TimeUnit.MILLISECONDS);
        if (p.isPresent()) {
          assertTrue(seen.add(text(p.get())), "delivered twice: " + text(p.get()));
          fromA++;
        }
        Optional<Mqtt5Publish> q = pb.receive(100, TimeUnit.MILLISECONDS);
        if (q.isPresent()) {
          assertTrue(seen.add(text(q.get())), "delivered twice: " + text(q.get()));
          fromB++;
        }
      }
      assertTrue(fromA > 0 && fromB > 0, "one member got everything: " + fromA + "/" + fromB);
    }
  }

  /** A raw v5 connection: CONNECT sent, CONNACK read and checked. */
  private Socket rawV5(byte[] connect) throws Exception {
    Socket s = new Socket("127.0.0.1", live.tcp());
    cleanup.add(
        () -> {
          try {
            s.close();
          } catch (java.io.IOException ignored) {
            // Already closed by the test.
          }
        });
    s.setSoTimeout(15_000);
    s.getOutputStream().write(connect);
    byte[] connAck = Wire.readPacket(s.getInputStream());
    assertNotNull(connAck);
    assertEquals(0x20, connAck[0] & 0xFF);
    assertEquals(0, connAck[3], "CONNACK reason");
    return s;
  }

  private static void abruptlyClose(Socket s) throws Exception {
    s.setSoLinger(true, 0); // RST, no DISCONNECT: the will must fire
    s.close();
  }

  @Test
  void willOnAbruptCloseIsDelayedAndCancelledByAReconnect() throws Exception {
    String topic = unique("will");
    String id = unique("mortal");
    Mqtt5BlockingClient watcher = v5(Transport.TCP, unique("watcher"));
    watcher.connect();
    Mqtt5BlockingClient pub = v5(Transport.TCP, unique("pub"));
    pub.connect();
    try (var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL)) {
      watcher.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();

      // Lost, then back before the 2 s will delay: no will [MQTT-3.1.3-9].
      abruptlyClose(rawV5(Wire.connect5WithWill(id, true, 60, 60, topic, "will-1", 2)));
      Socket back = rawV5(Wire.connect5WithWill(id, false, 60, 60, topic, "will-2", 2));
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload("before".getBytes()).send();
      assertEquals("before", text(receive(publishes)));
      Thread.sleep(3_000); // past the first will's delay: a bug would deliver "will-1" now
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload("after".getBytes()).send();
      assertEquals("after", text(receive(publishes)), "the cancelled will was published");

      // Lost for good: the will arrives once its delay has passed.
      abruptlyClose(back);
      assertEquals("will-2", text(receive(publishes)));
    }
  }

  @Test
  void keepaliveTimeoutClosesWith0x8D() throws Exception {
    Socket s = rawV5(Wire.connect5(unique("sleepy"), 1));
    InputStream in = s.getInputStream();
    // Silence: the server closes after 1.5 x the keepalive [MQTT-3.1.2-22].
    byte[] disconnect = Wire.readPacket(in);
    assertNotNull(disconnect, "closed without DISCONNECT");
    assertEquals(0xE0, disconnect[0] & 0xFF);
    assertEquals(0x8D, disconnect[2] & 0xFF);
    assertNull(Wire.readPacket(in));
  }

  @Test
  void topicAliasesFromTheClient() throws Exception {
    String topic = unique("alias");
    Mqtt5BlockingClient sub = v5(Transport.TCP, unique("sub"));
    sub.connect();
    try (var publishes = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter(topic).send();
      Socket s = rawV5(Wire.connect5(unique("aliaser"), 60));
      s.getOutputStream().write(Wire.publish5WithAlias(topic, 1, "first")); // sets alias 1
      s.getOutputStream().write(Wire.publish5WithAlias("", 1, "second")); // uses it
      Mqtt5Publish first = receive(publishes);
      Mqtt5Publish second = receive(publishes);
      assertEquals("first", text(first));
      assertEquals("second", text(second));
      assertEquals(topic, second.getTopic().toString());

      // An alias never set is a protocol error: DISCONNECT 0x82 [MQTT-3.3.4-? / 3.3.2.3.4].
      s.getOutputStream().write(Wire.publish5WithAlias("", 2, "unknown"));
      byte[] disconnect = Wire.readPacket(s.getInputStream());
      assertNotNull(disconnect);
      assertEquals(0xE0, disconnect[0] & 0xFF);
      assertEquals(0x82, disconnect[2] & 0xFF);
    }
  }

  /** Sends {@code bad} after CONNECT and returns the reason of the DISCONNECT that follows. */
  private int reasonForBadInput(byte[] bad) throws Exception {
    Socket s = rawV5(Wire.connect5(unique("bad"), 60));
    s.getOutputStream().write(bad);
    InputStream in = s.getInputStream();
    byte[] disconnect = Wire.readPacket(in);
    assertNotNull(disconnect, "closed without DISCONNECT");
    assertEquals(0xE0, disconnect[0] & 0xFF);
    assertNull(Wire.readPacket(in), "connection left open");
    return disconnect[2] & 0xFF;
  }

  @Test
  void badInputClosesOnlyThatConnectionWithTheRightReason() throws Exception {
    String topic = unique("survivor");
    Mqtt5BlockingClient bystander = v5(Transport.TCP, unique("bystander"));
    bystander.connect();
    try (var publishes = bystander.publishes(MqttGlobalPublishFilter.ALL)) {
      bystander.subscribeWith().topicFilter(topic).send();

      // QoS 3 is malformed [MQTT-3.3.1-4].
      assertEquals(0x81, reasonForBadInput(new byte[] {0x36, 0x03, 0x00, 0x01, 'x'}));
      // Above the maximum packet size (1 MiB): refused from the fixed header alone.
      assertEquals(0x95, reasonForBadInput(new byte[] {0x30, (byte) 0x80, (byte) 0x80, 0x40}));
      // A second CONNECT is a protocol error [MQTT-3.1.0-2].
      assertEquals(0x82, reasonForBadInput(Wire.connect5("again", 60)));

      // 3.1.1 has no DISCONNECT from the server: the connection is just closed [MQTT-4.8.0-1].
      try (Socket v3 = new Socket("127.0.0.1", live.tcp())) {
        v3.setSoTimeout(15_000);
        v3.getOutputStream().write(Wire.connect(4, unique("bad3")));
        assertArrayEquals(Wire.connAck311(), Wire.read(v3.getInputStream(), 4));
        v3.getOutputStream().write(new byte[] {0x36, 0x03, 0x00, 0x01, 'x'});
        assertNull(Wire.readPacket(v3.getInputStream()));
      }

      Mqtt5BlockingClient pub = v5(Transport.WS, unique("pub"));
      pub.connect();
      pub.publishWith().topic(topic).payload("still here".getBytes()).send();
      assertEquals("still here", text(receive(publishes)));
      assertTrue(bystander.getState().isConnected());
    }
  }
}
