package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class QosTest {
  private final Harness h = new Harness();

  private TestClient persistent(dev.stratus.codec.MqttVersion v, String id, boolean clean) {
    TestClient c = h.client(v);
    c.connect(
        ConnectTest.connect(
            v,
            id,
            clean,
            0,
            v.isV5() ? Properties.builder().sessionExpiryInterval(300L).build() : Properties.NONE));
    c.expectConnAck();
    return c;
  }

  @Test
  @DisplayName("[MQTT-4.3.2-4] QoS 1 inbound: PUBACK with the packet id")
  void qos1Inbound() {
    TestClient p = h.connected(V3_1_1, "p");
    p.publish("t", "x", QoS.AT_LEAST_ONCE, false);
    assertEquals(1, p.expect(PubAck.class).packetId());
  }

  @Test
  @DisplayName("[MQTT-2.2.1-4] QoS 1 outbound: distinct packet ids, freed by PUBACK")
  void qos1Outbound() {
    TestClient s = h.connected(V3_1_1, "s");
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    TestClient p = h.connected(V3_1_1, "p");
    p.publish("t", "1", QoS.AT_LEAST_ONCE, false);
    p.publish("t", "2", QoS.AT_LEAST_ONCE, false);
    Publish a = s.expectPublish("t", "1");
    Publish b = s.expectPublish("t", "2");
    assertNotEquals(a.packetId(), b.packetId());
    assertFalse(a.dup());
    assertEquals(2, h.stores.inFlight().outboundCount("s"));
    s.send(new PubAck(a.packetId()));
    s.send(new PubAck(b.packetId()));
    assertEquals(0, h.stores.inFlight().outboundCount("s"));
  }

  @Test
  @DisplayName("[MQTT-4.4.0-1] [MQTT-3.3.1-1] unacknowledged QoS 1 is resent with DUP on reconnect")
  void dupOnReconnect() {
    TestClient s = persistent(V3_1_1, "s", false);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    h.connected(V3_1_1, "p").publish("t", "x", QoS.AT_LEAST_ONCE, false);
    int id = s.expectPublish("t", "x").packetId();
    s.drop();
    TestClient back = persistent(V3_1_1, "s", false);
    Publish again = back.expectPublish("t", "x");
    assertTrue(again.dup());
    assertEquals(id, again.packetId());
    back.send(new PubAck(id));
    assertEquals(0, h.stores.inFlight().outboundCount("s"));
  }

  @Test
  @DisplayName(
      "[MQTT-4.3.3-9] QoS 2 inbound: a resent PUBLISH before PUBREL is not delivered twice")
  void qos2ExactlyOnceInbound() {
    TestClient s = h.connected(V5, "s");
    s.subscribe("t", QoS.AT_MOST_ONCE);
    TestClient p = h.connected(V5, "p");
    Publish pub =
        new Publish(
            TopicName.of("t"),
            QoS.EXACTLY_ONCE,
            false,
            false,
            42,
            Bytes.utf8("once"),
            Properties.NONE);
    p.send(pub);
    assertEquals(42, p.expect(PubRec.class).packetId());
    p.send(new Publish(pub.topic(), pub.qos(), false, true, 42, pub.payload(), Properties.NONE));
    assertEquals(42, p.expect(PubRec.class).packetId());
    s.expectPublish("t", "once");
    s.expectNothing();
    p.send(new PubRel(42));
    PubComp comp = p.expect(PubComp.class);
    assertEquals(42, comp.packetId());
    assertEquals(ReasonCode.SUCCESS, comp.reasonCode());
    // [MQTT-4.3.3-11] after PUBCOMP the id starts a new message
    p.send(pub);
    p.expect(PubRec.class);
    s.expectPublish("t", "once");
  }

  @Test
  @DisplayName("[MQTT-4.3.3-4] [MQTT-4.4.0-1] QoS 2 outbound: PUBREC gets PUBREL; PUBREL is resent")
  void qos2Outbound() {
    TestClient s = persistent(V5, "s", true);
    s.subscribe("t", QoS.EXACTLY_ONCE);
    h.connected(V5, "p").publish("t", "x", QoS.EXACTLY_ONCE, false);
    Publish pub = s.expectPublish("t", "x");
    assertEquals(QoS.EXACTLY_ONCE, pub.qos());
    s.send(new PubRec(pub.packetId()));
    assertEquals(pub.packetId(), s.expect(PubRel.class).packetId());
    s.drop();
    TestClient back = persistent(V5, "s", false);
    assertEquals(pub.packetId(), back.expect(PubRel.class).packetId());
    back.expectNothing();
    back.send(new PubComp(pub.packetId()));
    assertEquals(0, h.stores.inFlight().outboundCount("s"));
  }

  @Test
  @DisplayName("[MQTT-3.3.4-9] in-flight window: no more unacknowledged QoS 1 than Receive Maximum")
  void receiveMaximumWindow() {
    TestClient s = h.client(V5);
    s.connect(
        ConnectTest.connect(V5, "s", true, 0, Properties.builder().receiveMaximum(2).build()));
    s.expectConnAck();
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    TestClient p = h.connected(V5, "p");
    for (int i = 1; i <= 3; i++) {
      p.publish("t", "m" + i, QoS.AT_LEAST_ONCE, false);
    }
    Publish m1 = s.expectPublish("t", "m1");
    s.expectPublish("t", "m2");
    s.expectNothing();
    s.send(new PubAck(m1.packetId()));
    s.expectPublish("t", "m3"); // sent once the window has room, in order [MQTT-4.6.0-5]
  }

  @Test
  @DisplayName("[MQTT-3.3.4-7] more unreleased inbound QoS 2 than Receive Maximum: DISCONNECT 0x93")
  void receiveMaximumExceeded() {
    Harness small = new Harness(BrokerConfig.development().withReceiveMaximum(2));
    TestClient p = small.client(V5);
    p.connect("p", true);
    assertEquals(2, p.expectConnAck().properties().receiveMaximum());
    for (int id = 1; id <= 2; id++) {
      p.publish("t", "m", QoS.EXACTLY_ONCE, false);
      p.expect(PubRec.class);
    }
    p.publish("t", "m", QoS.EXACTLY_ONCE, false);
    p.expectDisconnect(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
  }

  @Test
  @DisplayName("v5: PUBACK reports 0x10 when no subscriber matched")
  void noMatchingSubscribers() {
    TestClient p = h.connected(V5, "p");
    p.publish("nobody", "x", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, p.expect(PubAck.class).reasonCode());
  }

  @Test
  @DisplayName(
      "MQTT 5.0 §3.5.2.1: PUBREC reports 0x10 when no subscriber matched; 3.1.1 has no code")
  void noMatchingSubscribersQos2() {
    TestClient p = h.connected(V5, "p");
    p.publish("nobody", "x", QoS.EXACTLY_ONCE, false);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, p.expect(PubRec.class).reasonCode());
    TestClient old = h.connected(V3_1_1, "old");
    old.publish("nobody", "x", QoS.EXACTLY_ONCE, false);
    assertEquals(ReasonCode.SUCCESS, old.expect(PubRec.class).reasonCode());
  }

  @Test
  @DisplayName(
      "MQTT 5.0 §3.4.2.1: a publisher's only subscriber excluded by No Local means 0x10"
          + " [MQTT-3.8.3-3]")
  void noMatchingSubscribersWhenOnlyNoLocalMatched() {
    TestClient p = h.connected(V5, "p");
    p.subscribe(
        new TopicSubscription(
            TopicFilter.of("t"), QoS.AT_LEAST_ONCE, true, false, RetainHandling.SEND),
        Properties.NONE);
    p.publish("t", "x", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, p.expect(PubAck.class).reasonCode());
  }

  @Test
  @DisplayName(
      "MQTT 5.0 §3.4.2.1: a subscriber whose queue is full still counts as matching: Success")
  void queueFullStaysSuccess() {
    Harness small = new Harness(BrokerConfig.development().withMaxQueuedMessages(1));
    TestClient s = small.client(V5);
    s.connect(
        ConnectTest.connect(
            V5, "s", true, 0, Properties.builder().sessionExpiryInterval(300L).build()));
    s.expectConnAck();
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    s.drop();
    TestClient p = small.connected(V5, "p");
    p.publish("t", "kept", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.SUCCESS, p.expect(PubAck.class).reasonCode());
    p.publish("t", "dropped", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.SUCCESS, p.expect(PubAck.class).reasonCode());
    assertEquals(1, small.broker.stats().messagesDropped());
  }
}
