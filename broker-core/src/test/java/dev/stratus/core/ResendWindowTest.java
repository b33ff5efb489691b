package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.core.store.Stores;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Resending unacknowledged flights on a resumed session within the client's Receive Maximum. */
class ResendWindowTest {

  private static TestClient connect(Harness h, MqttVersion v, String id, Integer receiveMaximum) {
    TestClient c = h.client(v);
    Properties props = Properties.NONE;
    if (v.isV5()) {
      Properties.Builder b = Properties.builder().sessionExpiryInterval(300L);
      if (receiveMaximum != null) {
        b.receiveMaximum(receiveMaximum);
      }
      props = b.build();
    }
    c.connect(new Connect(v, id, false, 0, null, null, null, props));
    c.expectConnAck();
    return c;
  }

  /** Sends {@code count} QoS {@code qos} messages to "s" and returns the packet ids received. */
  private static List<Integer> receive(
      TestClient s, TestClient p, QoS qos, String prefix, int count) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      p.publish("t", prefix + i, qos, false);
      p.next(); // PUBACK / PUBREC
      ids.add(s.expectPublish("t", prefix + i).packetId());
    }
    return ids;
  }

  @Test
  @DisplayName(
      "[MQTT-4.9.0-2] a resumed v5 session resends only Receive Maximum flights, one more per"
          + " PUBACK, in order, then queued messages")
  void v5ResendWithinReceiveMaximum() {
    Harness h = new Harness();
    TestClient s = connect(h, V5, "s", null);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    TestClient p = h.connected(V5, "p");
    List<Integer> ids = receive(s, p, QoS.AT_LEAST_ONCE, "m", 10);
    s.drop();
    // published while "s" is away: queued behind the ten flights
    p.publish("t", "q0", QoS.AT_LEAST_ONCE, false);
    p.publish("t", "q1", QoS.AT_LEAST_ONCE, false);

    TestClient back = connect(h, V5, "s", 3);
    for (int i = 0; i < 3; i++) {
      Publish again = back.expectPublish("t", "m" + i);
      assertTrue(again.dup(), "[MQTT-3.3.1-1] a resent PUBLISH has DUP=1");
      assertEquals(ids.get(i), again.packetId());
    }
    back.expectNothing();
    for (int i = 3; i < 10; i++) {
      back.send(new PubAck(ids.get(i - 3)));
      Publish next = back.expectPublish("t", "m" + i);
      assertTrue(next.dup(), "sent before the disconnect, so DUP=1");
      assertEquals(ids.get(i), next.packetId());
      back.expectNothing();
    }
    back.send(new PubAck(ids.get(7)));
    assertFalse(back.expectPublish("t", "q0").dup());
    back.expectNothing();
    back.send(new PubAck(ids.get(8)));
    back.expectPublish("t", "q1");
    back.expectNothing();
  }

  @Test
  @DisplayName(
      "[MQTT-4.9.0-2] a resumed 3.1.1 session resends at most v3OutboundWindow flights, on another"
          + " engine sharing the stores")
  void v3ResendWithinOutboundWindow() {
    // the flights were sent by an engine with a larger window; the client resumes on an engine
    // with window 2 over the same stores (as two stateless invocations on DynamoDB would)
    Stores stores = Stores.inMemory();
    Harness wide = new Harness(BrokerConfig.development().withV3OutboundWindow(10), stores);
    TestClient s = connect(wide, V3_1_1, "s", null);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    List<Integer> ids = receive(s, wide.connected(V3_1_1, "p"), QoS.AT_LEAST_ONCE, "m", 4);
    s.drop();

    Harness narrow = new Harness(BrokerConfig.development().withV3OutboundWindow(2), stores);
    TestClient back = connect(narrow, V3_1_1, "s", null);
    assertTrue(back.expectPublish("t", "m0").dup());
    assertTrue(back.expectPublish("t", "m1").dup());
    back.expectNothing();
    back.send(new PubAck(ids.get(1)));
    assertEquals(ids.get(2), back.expectPublish("t", "m2").packetId());
    back.expectNothing();
    back.send(new PubAck(ids.get(0)));
    assertEquals(ids.get(3), back.expectPublish("t", "m3").packetId());
    back.expectNothing();
  }

  @Test
  @DisplayName(
      "[MQTT-4.9.0-2] [MQTT-4.4.0-1] flights awaiting PUBCOMP take a slot and get their PUBREL"
          + " resent; PUBCOMP frees the slot for the next PUBLISH")
  void releasedFlightsCountAgainstTheWindow() {
    Harness h = new Harness();
    TestClient s = connect(h, V5, "s", null);
    s.subscribe("t", QoS.EXACTLY_ONCE);
    TestClient p = h.connected(V5, "p");
    List<Integer> ids = receive(s, p, QoS.EXACTLY_ONCE, "m", 4);
    s.send(new PubRec(ids.get(0)));
    s.expect(PubRel.class);
    s.send(new PubRec(ids.get(1)));
    s.expect(PubRel.class);
    s.drop();

    TestClient back = connect(h, V5, "s", 3);
    assertEquals(ids.get(0), back.expect(PubRel.class).packetId());
    assertEquals(ids.get(1), back.expect(PubRel.class).packetId());
    assertTrue(back.expectPublish("t", "m2").dup());
    back.expectNothing();
    back.send(new PubComp(ids.get(0)));
    Publish m3 = back.expectPublish("t", "m3");
    assertTrue(m3.dup());
    assertEquals(ids.get(3), m3.packetId());
    back.expectNothing();
  }

  @Test
  @DisplayName(
      "[MQTT-4.9.0-2] a PUBACK for a flight not yet resent on this connection frees no slot")
  void ackOfHeldBackFlightSendsNothing() {
    Harness h = new Harness();
    TestClient s = connect(h, V5, "s", null);
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    List<Integer> ids = receive(s, h.connected(V5, "p"), QoS.AT_LEAST_ONCE, "m", 4);
    s.drop();
    TestClient back = connect(h, V5, "s", 2);
    back.expectPublish("t", "m0");
    back.expectPublish("t", "m1");
    // the client had received m3 before the disconnect and acknowledges it late
    back.send(new PubAck(ids.get(3)));
    back.expectNothing();
    back.send(new PubAck(ids.get(0)));
    back.expectPublish("t", "m2");
    back.send(new PubAck(ids.get(1)));
    back.send(new PubAck(ids.get(2)));
    back.expectNothing();
    assertEquals(0, h.stores.inFlight().outboundCount("s"));
  }
}
