package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.codec.Will;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LimitsAndErrorsTest {
  private final Harness h = new Harness(BrokerConfig.development().withMaxTopicLevels(3));

  @Test
  @DisplayName("topic level limit on SUBSCRIBE: v5 0x8F, 3.1.1 failure 0x80")
  void filterTooDeep() {
    TestClient v5 = h.connected(V5, "a");
    assertEquals(
        List.of(ReasonCode.TOPIC_FILTER_INVALID),
        v5.subscribe(
                new TopicSubscription(TopicFilter.of("a/b/c/d"), QoS.AT_MOST_ONCE), Properties.NONE)
            .reasonCodes());
    TestClient v3 = h.connected(V3_1_1, "b");
    // [MQTT-3.9.3-2] 3.1.1 knows only 0x80 as a failure
    assertEquals(0x80, v3.subscribe("a/b/c/d", QoS.AT_MOST_ONCE).reasonCodes().getFirst().code());
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_1), v3.subscribe("a/b/#", QoS.AT_LEAST_ONCE).reasonCodes());
  }

  @Test
  @DisplayName("topic level limit on PUBLISH: v5 QoS 1 PUBACK 0x90; 3.1.1 connection closed")
  void topicTooDeep() {
    TestClient v5 = h.connected(V5, "a");
    v5.publish("a/b/c/d", "x", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.TOPIC_NAME_INVALID, v5.expect(PubAck.class).reasonCode());
    v5.expectOpen();
    TestClient v3 = h.connected(V3_1_1, "b");
    v3.publish("a/b/c/d", "x", QoS.AT_LEAST_ONCE, false);
    v3.expectNothing();
    v3.expectClosed();
  }

  @Test
  @DisplayName("subscriptions per client limit: SUBACK 0x97 Quota exceeded")
  void tooManySubscriptions() {
    Harness small = new Harness(BrokerConfig.development().withMaxSubscriptionsPerClient(2));
    TestClient c = small.connected(V5, "c");
    c.subscribe("a", QoS.AT_MOST_ONCE);
    c.subscribe("b", QoS.AT_MOST_ONCE);
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_1), c.subscribe("a", QoS.AT_LEAST_ONCE).reasonCodes());
    assertEquals(
        List.of(ReasonCode.QUOTA_EXCEEDED), c.subscribe("c", QoS.AT_MOST_ONCE).reasonCodes());
  }

  @Test
  @DisplayName(
      "[MQTT-4.13.2-1] a packet above the maximum size: v5 DISCONNECT 0x95, will, others unharmed")
  void packetTooLarge() {
    TestClient watcher = h.connected(V5, "w");
    watcher.subscribe("will", QoS.AT_MOST_ONCE);
    TestClient c = h.client(V5);
    c.connect(
        new Connect(
            V5,
            "c",
            true,
            0,
            null,
            null,
            new Will(
                TopicName.of("will"), Bytes.utf8("c"), QoS.AT_MOST_ONCE, false, Properties.NONE),
            Properties.NONE));
    c.expectConnAck();
    h.broker.decodeFailed(c.id, MqttDecodeException.tooLarge("over 1 MiB"));
    c.expectDisconnect(ReasonCode.PACKET_TOO_LARGE);
    watcher.expectPublish("will", "c");
    watcher.publish("x", "still fine", QoS.AT_LEAST_ONCE, false);
    watcher.expect(PubAck.class);
  }

  @Test
  @DisplayName("[MQTT-4.13.1-1] a malformed packet closes a 3.1.1 connection without a reply")
  void malformed311() {
    TestClient c = h.connected(V3_1_1, "c");
    h.broker.decodeFailed(c.id, MqttDecodeException.malformed("[MQTT-3.3.1-4] QoS 3"));
    c.expectNothing();
    c.expectClosed();
    assertEquals(0, h.broker.stats().clientsConnected());
  }

  @Test
  @DisplayName("[MQTT-3.1.2-24] the server announces its Maximum Packet Size in CONNACK")
  void maximumPacketSizeAnnounced() {
    TestClient c = h.client(V5);
    c.connect("c", true);
    assertEquals(1L << 20, c.expectConnAck().properties().maximumPacketSize());
  }
}
