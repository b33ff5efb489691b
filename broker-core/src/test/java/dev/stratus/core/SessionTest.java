package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.Will;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SessionTest {
  private final Harness h = new Harness();

  private TestClient connect(MqttVersion v, String id, boolean clean, Long expiry, Will will) {
    TestClient c = h.client(v);
    Properties p =
        expiry == null
            ? Properties.NONE
            : Properties.builder().sessionExpiryInterval(expiry).build();
    c.connect(new Connect(v, id, clean, 0, null, null, will, p));
    c.expectConnAck();
    return c;
  }

  private static Will will(String topic, long delay) {
    return new Will(
        TopicName.of(topic),
        Bytes.utf8("bye"),
        QoS.AT_LEAST_ONCE,
        false,
        delay == 0 ? Properties.NONE : Properties.builder().willDelayInterval(delay).build());
  }

  @Test
  @DisplayName(
      "[MQTT-3.1.2-4] a persistent session keeps subscriptions and queues QoS 1, not QoS 0")
  void persistentSessionQueues() {
    TestClient s = connect(V3_1_1, "s", false, null, null);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    s.drop();
    TestClient p = h.connected(V3_1_1, "p");
    p.publish("t", "q0", QoS.AT_MOST_ONCE, false);
    p.publish("t", "q1", QoS.AT_LEAST_ONCE, false);
    p.expect(PubAck.class);
    TestClient back = h.client(V3_1_1);
    back.connect("s", false);
    assertTrue(back.expectConnAck().sessionPresent());
    back.expectPublish("t", "q1");
    back.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.1.2-6] clean session discards the previous session")
  void cleanSessionDiscards() {
    TestClient s = connect(V3_1_1, "s", false, null, null);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    s.drop();
    h.connected(V3_1_1, "p").publish("t", "x", QoS.AT_LEAST_ONCE, false);
    TestClient clean = connect(V3_1_1, "s", true, null, null);
    clean.expectNothing();
    h.connected(V3_1_1, "p2").publish("t", "y", QoS.AT_LEAST_ONCE, false);
    clean.expectNothing();
    clean.send(Disconnect.NORMAL);
    assertNull(
        h.stores.sessions().get("s"), "[MQTT-3.1.2-5] a clean session ends with the connection");
  }

  @Test
  @DisplayName("offline queue cap: the newest messages are dropped and counted")
  void queueCap() {
    Harness small = new Harness(BrokerConfig.development().withMaxQueuedMessages(2));
    TestClient s = small.client(V3_1_1);
    s.connect("s", false);
    s.expectConnAck();
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    s.drop();
    TestClient p = small.connected(V3_1_1, "p");
    for (int i = 1; i <= 3; i++) {
      p.publish("t", "m" + i, QoS.AT_LEAST_ONCE, false);
    }
    assertEquals(1, small.broker.stats().messagesDropped());
    TestClient back = small.client(V3_1_1);
    back.connect("s", false);
    back.expectConnAck();
    back.expectPublish("t", "m1");
    back.expectPublish("t", "m2");
    back.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.1.2-23] v5 session expiry: the session is deleted after its interval")
  void sessionExpiryV5() {
    TestClient s = connect(V5, "s", true, 60L, null);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    s.drop();
    h.advance(Duration.ofSeconds(59));
    assertEquals(1, h.stores.subscriptions().forClient("s").size());
    h.advance(Duration.ofSeconds(1));
    assertNull(h.stores.sessions().get("s"));
    assertTrue(h.stores.subscriptions().forClient("s").isEmpty());
    TestClient back = h.client(V5);
    back.connect("s", false);
    assertFalse(back.expectConnAck().sessionPresent());
  }

  @Test
  @DisplayName("[MQTT-3.1.2-5] v5 session expiry 0 (absent): the session ends at disconnect")
  void sessionExpiryZero() {
    TestClient s = connect(V5, "s", false, null, null);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    s.drop();
    assertNull(h.stores.sessions().get("s"));
  }

  @Test
  @DisplayName("abandoned 3.1.1 persistent sessions expire after the configured time")
  void abandoned311SessionExpires() {
    Harness short1 =
        new Harness(BrokerConfig.development().withAbandonedSessionExpiry(Duration.ofMinutes(5)));
    TestClient s = short1.client(V3_1_1);
    s.connect("s", false);
    s.expectConnAck();
    s.drop();
    short1.advance(Duration.ofMinutes(4));
    assertTrue(short1.stores.sessions().get("s") != null);
    short1.advance(Duration.ofMinutes(1));
    assertNull(short1.stores.sessions().get("s"));
  }

  @Test
  @DisplayName("[MQTT-3.14.2-2] v5 DISCONNECT may not set a session expiry when it was 0")
  void disconnectCannotRevivesSession() {
    TestClient s = connect(V5, "s", true, null, null);
    s.send(
        new Disconnect(
            ReasonCode.NORMAL_DISCONNECTION,
            Properties.builder().sessionExpiryInterval(60L).build()));
    s.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("[MQTT-3.1.2-8] the will is published when the connection is lost")
  void willOnLoss() {
    TestClient w = h.connected(V5, "w");
    w.subscribe("will/#", QoS.AT_LEAST_ONCE);
    TestClient c = connect(V5, "c", true, null, will("will/c", 0));
    c.drop();
    assertEquals(QoS.AT_LEAST_ONCE, w.expectPublish("will/c", "bye").qos());
  }

  @Test
  @DisplayName("[MQTT-3.14.4-3] the will is not published after a normal DISCONNECT")
  void noWillOnDisconnect() {
    TestClient w = h.connected(V3_1_1, "w");
    w.subscribe("will/#", QoS.AT_LEAST_ONCE);
    TestClient c = connect(V3_1_1, "c", true, null, will("will/c", 0));
    c.send(Disconnect.NORMAL);
    c.expectClosed();
    w.expectNothing();
  }

  @Test
  @DisplayName("MQTT 5.0 §3.14.2.1: DISCONNECT 0x04 publishes the will")
  void disconnectWithWill() {
    TestClient w = h.connected(V5, "w");
    w.subscribe("will/#", QoS.AT_LEAST_ONCE);
    TestClient c = connect(V5, "c", true, null, will("will/c", 0));
    c.send(new Disconnect(ReasonCode.DISCONNECT_WITH_WILL_MESSAGE, Properties.NONE));
    w.expectPublish("will/c", "bye");
  }

  @Test
  @DisplayName("[MQTT-3.1.3-9] a delayed will is published after its delay")
  void willDelay() {
    TestClient w = h.connected(V5, "w");
    w.subscribe("will/#", QoS.AT_LEAST_ONCE);
    TestClient c = connect(V5, "c", true, 300L, will("will/c", 30));
    c.drop();
    h.advance(Duration.ofSeconds(29));
    w.expectNothing();
    h.advance(Duration.ofSeconds(1));
    w.expectPublish("will/c", "bye");
  }

  @Test
  @DisplayName("[MQTT-3.1.3-9] a reconnection within the will delay cancels the will")
  void willDelayCancelledByReconnect() {
    TestClient w = h.connected(V5, "w");
    w.subscribe("will/#", QoS.AT_LEAST_ONCE);
    TestClient c = connect(V5, "c", true, 300L, will("will/c", 30));
    c.drop();
    h.advance(Duration.ofSeconds(10));
    connect(V5, "c", false, 300L, null);
    h.advance(Duration.ofSeconds(60));
    w.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.1.3-9] the will goes out when the session ends before the will delay")
  void willAtSessionEnd() {
    TestClient w = h.connected(V5, "w");
    w.subscribe("will/#", QoS.AT_LEAST_ONCE);
    TestClient c = connect(V5, "c", true, 10L, will("will/c", 100));
    c.drop();
    h.advance(Duration.ofSeconds(10));
    w.expectPublish("will/c", "bye");
  }

  @Test
  @DisplayName("[MQTT-3.1.2-17] a will with RETAIN 1 becomes the retained message")
  void retainedWill() {
    TestClient c =
        connect(
            V3_1_1,
            "c",
            true,
            null,
            new Will(
                TopicName.of("status/c"),
                Bytes.utf8("offline"),
                QoS.AT_MOST_ONCE,
                true,
                Properties.NONE));
    c.drop();
    assertEquals("offline", h.stores.retained().get(TopicName.of("status/c")).payload().asUtf8());
  }
}
