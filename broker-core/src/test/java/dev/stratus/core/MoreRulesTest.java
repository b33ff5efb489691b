package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1;
import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.codec.UnsubAck;
import dev.stratus.codec.Unsubscribe;
import dev.stratus.codec.Will;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Rules that cut across versions and features. */
class MoreRulesTest {
  private final Harness h = new Harness();

  @Test
  @DisplayName("MQTT 3.1 (MQIsdp) clients publish and subscribe with 3.1.1 and 5.0 clients")
  void mixedVersions() {
    TestClient old = h.connected(V3_1, "old");
    TestClient v5 = h.connected(V5, "new");
    old.subscribe("mix", QoS.AT_LEAST_ONCE);
    v5.subscribe("mix", QoS.AT_LEAST_ONCE);
    h.connected(V3_1_1, "p").publish("mix", "hello", QoS.AT_LEAST_ONCE, false);
    old.expectPublish("mix", "hello");
    v5.expectPublish("mix", "hello");
  }

  @Test
  @DisplayName("[MQTT-4.3.3-9] QoS 2 end to end: publisher flow and subscriber flow complete")
  void qos2EndToEnd() {
    TestClient s = h.connected(V3_1_1, "s");
    s.subscribe("q2", QoS.EXACTLY_ONCE);
    TestClient p = h.connected(V3_1_1, "p");
    p.publish("q2", "x", QoS.EXACTLY_ONCE, false);
    int inId = p.expect(PubRec.class).packetId();
    Publish out = s.expectPublish("q2", "x");
    assertEquals(QoS.EXACTLY_ONCE, out.qos());
    p.send(new PubRel(inId));
    assertEquals(inId, p.expect(PubComp.class).packetId());
    s.send(new PubRec(out.packetId()));
    s.expect(PubRel.class);
    s.send(new PubComp(out.packetId()));
    assertEquals(0, h.stores.inFlight().outboundCount("s"));
    assertEquals(0, h.stores.inFlight().inboundCount("p"));
  }

  @Test
  @DisplayName("[MQTT-3.10.4-4] 3.1.1 UNSUBACK carries no reason codes")
  void unsubAck311() {
    TestClient c = h.connected(V3_1_1, "c");
    c.subscribe("t", QoS.AT_MOST_ONCE);
    c.send(new Unsubscribe(9, List.of(TopicFilter.of("t")), Properties.NONE));
    UnsubAck ack = c.expect(UnsubAck.class);
    assertEquals(9, ack.packetId());
    assertTrue(ack.reasonCodes().isEmpty());
  }

  @Test
  @DisplayName("3.1.1 clients cannot write $SYS: acknowledged and dropped")
  void sysReadOnly311() {
    TestClient sys = h.connected(V3_1_1, "sys");
    sys.subscribe("$SYS/#", QoS.AT_MOST_ONCE);
    TestClient evil = h.connected(V3_1_1, "evil");
    evil.publish("$SYS/broker/uptime", "0", QoS.AT_LEAST_ONCE, true);
    evil.expect(PubAck.class);
    sys.expectNothing();
    assertNull(h.stores.retained().get(TopicName.of("$SYS/broker/uptime")));
  }

  @Test
  @DisplayName("v5 retained messages on subscribe carry the subscription identifier")
  void retainedWithSubscriptionId() {
    h.connected(V5, "p").publish("r/1", "x", QoS.AT_MOST_ONCE, true);
    TestClient s = h.connected(V5, "s");
    s.subscribe(
        new TopicSubscription(TopicFilter.of("r/+"), QoS.AT_MOST_ONCE),
        Properties.builder().addSubscriptionIdentifier(12).build());
    Publish p = s.expectPublish("r/1", "x");
    assertTrue(p.retain());
    assertEquals(List.of(12), p.properties().subscriptionIdentifiers());
  }

  @Test
  @DisplayName("[MQTT-3.3.2-5] an expired retained message is not sent on subscribe")
  void retainedExpiry() {
    h.connected(V5, "p")
        .publish(
            "r",
            "x",
            QoS.AT_MOST_ONCE,
            true,
            Properties.builder().messageExpiryInterval(10L).build());
    h.advance(Duration.ofSeconds(10));
    TestClient s = h.connected(V5, "s");
    s.subscribe("r", QoS.AT_MOST_ONCE);
    s.expectNothing();
  }

  @Test
  @DisplayName(
      "MQTT 5.0 §4.8.2 a shared group whose members are all offline queues the message once")
  void sharedGroupOffline() {
    for (String id : List.of("a", "b")) {
      TestClient m = h.client(V3_1_1);
      m.connect(id, false);
      m.expectConnAck();
      m.subscribe("$share/g/work", QoS.AT_LEAST_ONCE);
      m.drop();
    }
    h.connected(V3_1_1, "p").publish("work", "job", QoS.AT_LEAST_ONCE, false);
    assertEquals(1, h.stores.queues().size("a") + h.stores.queues().size("b"));
  }

  @Test
  @DisplayName("[MQTT-3.1.4-3] takeover with a delayed will: the new connection cancels it")
  void takeoverWithDelayedWill() {
    TestClient w = h.connected(V5, "w");
    w.subscribe("will", QoS.AT_MOST_ONCE);
    TestClient old = h.client(V5);
    old.connect(
        new Connect(
            V5,
            "c",
            true,
            0,
            null,
            null,
            new Will(
                TopicName.of("will"),
                Bytes.utf8("x"),
                QoS.AT_MOST_ONCE,
                false,
                Properties.builder().willDelayInterval(5L).build()),
            Properties.builder().sessionExpiryInterval(60L).build()));
    old.expectConnAck();
    TestClient fresh = h.client(V5);
    fresh.connect(
        new Connect(
            V5,
            "c",
            false,
            0,
            null,
            null,
            null,
            Properties.builder().sessionExpiryInterval(60L).build()));
    fresh.expectConnAck();
    h.advance(Duration.ofSeconds(10));
    w.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.1.4-3] takeover without will delay publishes the old connection's will")
  void takeoverPublishesWill() {
    TestClient w = h.connected(V3_1_1, "w");
    w.subscribe("will", QoS.AT_MOST_ONCE);
    TestClient old = h.client(V3_1_1);
    old.connect(
        new Connect(
            V3_1_1,
            "c",
            true,
            0,
            null,
            null,
            new Will(
                TopicName.of("will"), Bytes.utf8("x"), QoS.AT_MOST_ONCE, false, Properties.NONE),
            Properties.NONE));
    old.expectConnAck();
    h.connected(V3_1_1, "c");
    old.expectClosed();
    w.expectPublish("will", "x");
  }
}
