package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Packet;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.codec.UnsubAck;
import dev.stratus.codec.Unsubscribe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PublishSubscribeTest {
  private final Harness h = new Harness();

  private static Properties subId(int id) {
    return Properties.builder().addSubscriptionIdentifier(id).build();
  }

  @Test
  @DisplayName("[MQTT-4.7.1-2] wildcard subscriptions receive matching publishes only")
  void wildcards() {
    TestClient sub = h.connected(V3_1_1, "s");
    sub.subscribe("a/+/c", QoS.AT_MOST_ONCE);
    sub.subscribe("x/#", QoS.AT_MOST_ONCE);
    TestClient pub = h.connected(V3_1_1, "p");
    pub.publish("a/b/c", "1", QoS.AT_MOST_ONCE, false);
    pub.publish("a/b/d", "2", QoS.AT_MOST_ONCE, false);
    pub.publish("x", "3", QoS.AT_MOST_ONCE, false);
    pub.publish("x/y/z", "4", QoS.AT_MOST_ONCE, false);
    sub.expectPublish("a/b/c", "1");
    sub.expectPublish("x", "3");
    sub.expectPublish("x/y/z", "4");
    sub.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.8.4-6] a message is sent at the minimum of published and granted QoS")
  void downgrade() {
    TestClient sub = h.connected(V3_1_1, "s");
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_0), sub.subscribe("t", QoS.AT_MOST_ONCE).reasonCodes());
    TestClient pub = h.connected(V3_1_1, "p");
    pub.publish("t", "m", QoS.EXACTLY_ONCE, false);
    Publish p = sub.expectPublish("t", "m");
    assertEquals(QoS.AT_MOST_ONCE, p.qos());
    assertEquals(0, p.packetId());
  }

  @Test
  @DisplayName("[MQTT-3.3.5-1] 3.1.1 overlapping subscriptions: one copy at the highest QoS")
  void overlapping311() {
    TestClient sub = h.connected(V3_1_1, "s");
    sub.subscribe("t/#", QoS.AT_MOST_ONCE);
    sub.subscribe("t/+", QoS.AT_LEAST_ONCE);
    h.connected(V3_1_1, "p").publish("t/1", "m", QoS.AT_LEAST_ONCE, false);
    assertEquals(QoS.AT_LEAST_ONCE, sub.expectPublish("t/1", "m").qos());
    sub.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.3.4-3] v5 overlapping subscriptions: one copy with every subscription id")
  void overlappingV5SubscriptionIds() {
    TestClient sub = h.connected(V5, "s");
    sub.subscribe(new TopicSubscription(TopicFilter.of("t/#"), QoS.AT_MOST_ONCE), subId(7));
    sub.subscribe(new TopicSubscription(TopicFilter.of("t/+"), QoS.AT_MOST_ONCE), subId(9));
    h.connected(V5, "p").publish("t/1", "m", QoS.AT_MOST_ONCE, false);
    Publish p = sub.expectPublish("t/1", "m");
    assertEquals(
        List.of(7, 9), p.properties().subscriptionIdentifiers().stream().sorted().toList());
    sub.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.3.1-5] [MQTT-3.3.1-6] retained messages: set, replace, sent to wildcards")
  void retainedOnWildcardSubscribe() {
    TestClient pub = h.connected(V3_1_1, "p");
    pub.publish("r/1", "old", QoS.AT_MOST_ONCE, true);
    pub.publish("r/1", "new", QoS.AT_MOST_ONCE, true);
    pub.publish("r/2/x", "deep", QoS.AT_MOST_ONCE, true);
    pub.publish("other", "o", QoS.AT_MOST_ONCE, true);
    TestClient sub = h.connected(V3_1_1, "s");
    sub.subscribe("r/#", QoS.AT_MOST_ONCE);
    List<String> got = new ArrayList<>();
    for (Packet p : sub.drain()) {
      Publish pp = (Publish) p;
      assertTrue(pp.retain(), "[MQTT-3.3.1-8] retained on subscribe carries RETAIN 1");
      got.add(pp.topic() + "=" + pp.payload().asUtf8());
    }
    assertEquals(List.of("r/1=new", "r/2/x=deep"), got.stream().sorted().toList());
  }

  @Test
  @DisplayName("[MQTT-3.3.1-10] [MQTT-3.3.1-11] an empty retained message clears the topic")
  void retainedCleared() {
    TestClient pub = h.connected(V3_1_1, "p");
    pub.publish("r", "x", QoS.AT_MOST_ONCE, true);
    pub.publish("r", "", QoS.AT_MOST_ONCE, true);
    assertNull(h.stores.retained().get(TopicName.of("r")));
    TestClient sub = h.connected(V3_1_1, "s");
    sub.subscribe("r", QoS.AT_MOST_ONCE);
    sub.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.3.1-9] 3.1.1: forwarded to an existing subscription, RETAIN is 0")
  void retainFlagClearedOnLiveForwarding() {
    TestClient sub = h.connected(V3_1_1, "s");
    sub.subscribe("r", QoS.AT_MOST_ONCE);
    h.connected(V3_1_1, "p").publish("r", "x", QoS.AT_MOST_ONCE, true);
    assertFalse(sub.expectPublish("r", "x").retain());
  }

  @Test
  @DisplayName("[MQTT-3.3.1-12] v5 Retain As Published keeps the RETAIN flag")
  void retainAsPublished() {
    TestClient sub = h.connected(V5, "s");
    sub.subscribe(
        new TopicSubscription(
            TopicFilter.of("r"), QoS.AT_MOST_ONCE, false, true, RetainHandling.SEND),
        Properties.NONE);
    h.connected(V5, "p").publish("r", "x", QoS.AT_MOST_ONCE, true);
    assertTrue(sub.expectPublish("r", "x").retain());
  }

  @Test
  @DisplayName("MQTT 5.0 §3.8.3.1 Retain Handling 1 and 2: retained only if new, or never")
  void retainHandling() {
    h.connected(V5, "p").publish("r", "x", QoS.AT_MOST_ONCE, true);
    TestClient sub = h.connected(V5, "s");
    TopicSubscription ifNew =
        new TopicSubscription(
            TopicFilter.of("r"),
            QoS.AT_MOST_ONCE,
            false,
            false,
            RetainHandling.SEND_IF_NEW_SUBSCRIPTION);
    sub.subscribe(ifNew, Properties.NONE);
    sub.expectPublish("r", "x");
    sub.subscribe(ifNew, Properties.NONE);
    sub.expectNothing();
    TopicSubscription never =
        new TopicSubscription(
            TopicFilter.of("r/#"), QoS.AT_MOST_ONCE, false, false, RetainHandling.DO_NOT_SEND);
    sub.subscribe(never, Properties.NONE);
    sub.expectNothing();
    sub.subscribe("r", QoS.AT_MOST_ONCE); // Retain Handling 0: every time
    sub.expectPublish("r", "x");
  }

  @Test
  @DisplayName("[MQTT-3.8.3-3] No Local: a client does not receive its own publishes")
  void noLocal() {
    TestClient c = h.connected(V5, "c");
    c.subscribe(
        new TopicSubscription(
            TopicFilter.of("t"), QoS.AT_MOST_ONCE, true, false, RetainHandling.SEND),
        Properties.NONE);
    c.publish("t", "mine", QoS.AT_MOST_ONCE, false);
    c.expectNothing();
    h.connected(V5, "other").publish("t", "theirs", QoS.AT_MOST_ONCE, false);
    c.expectPublish("t", "theirs");
  }

  @Test
  @DisplayName("[MQTT-3.8.3-4] v5: No Local on a shared subscription is a protocol error")
  void noLocalOnSharedSubscription() {
    TestClient c = h.connected(V5, "c");
    c.send(
        new dev.stratus.codec.Subscribe(
            1,
            List.of(
                new TopicSubscription(
                    TopicFilter.of("$share/g/t"),
                    QoS.AT_MOST_ONCE,
                    true,
                    false,
                    RetainHandling.SEND)),
            Properties.NONE));
    c.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("MQTT 5.0 §4.8.2 shared subscriptions: each message to one member, spread")
  void sharedSubscription() {
    TestClient a = h.connected(V5, "a");
    TestClient b = h.connected(V3_1_1, "b");
    TestClient plain = h.connected(V5, "plain");
    a.subscribe("$share/g/jobs/#", QoS.AT_LEAST_ONCE);
    b.subscribe("$share/g/jobs/#", QoS.AT_LEAST_ONCE);
    plain.subscribe("jobs/#", QoS.AT_MOST_ONCE);
    TestClient pub = h.connected(V5, "p");
    for (int i = 0; i < 10; i++) {
      pub.publish("jobs/" + i, "j" + i, QoS.AT_MOST_ONCE, false);
    }
    int forA = a.drain().size();
    int forB = b.drain().size();
    assertEquals(10, forA + forB, "each message goes to exactly one member");
    assertTrue(forA > 0 && forB > 0, "messages are spread: a=" + forA + " b=" + forB);
    assertEquals(10, plain.drain().size());
  }

  @Test
  @DisplayName("[MQTT-4.7.2-1] $ topics: not matched by leading wildcards, not writable by clients")
  void dollarTopics() {
    TestClient all = h.connected(V5, "all");
    all.subscribe("#", QoS.AT_MOST_ONCE);
    all.subscribe("+/broker/#", QoS.AT_MOST_ONCE);
    TestClient sys = h.connected(V5, "sys");
    sys.subscribe("$SYS/broker/clients/connected", QoS.AT_MOST_ONCE);
    h.broker.runTimers();
    sys.expectPublish("$SYS/broker/clients/connected", "2");
    all.expectNothing();
    TestClient evil = h.connected(V5, "evil");
    evil.publish("$SYS/broker/clients/connected", "999", QoS.AT_LEAST_ONCE, true);
    assertEquals(ReasonCode.NOT_AUTHORIZED, evil.expect(PubAck.class).reasonCode());
    sys.expectNothing();
    assertEquals(
        "2",
        h.stores.retained().get(TopicName.of("$SYS/broker/clients/connected")).payload().asUtf8());
  }

  @Test
  @DisplayName("$SYS/broker topics: clients, messages, subscriptions, uptime")
  void sysTopics() {
    TestClient sys = h.connected(V5, "sys");
    TestClient p = h.connected(V5, "p");
    p.publish("t", "x", QoS.AT_MOST_ONCE, false);
    sys.subscribe("$SYS/broker/#", QoS.AT_MOST_ONCE);
    h.advance(java.time.Duration.ofSeconds(30));
    java.util.Map<String, String> values = new java.util.HashMap<>();
    for (Packet pk : sys.drain()) {
      Publish pub = (Publish) pk;
      values.put(pub.topic().value(), pub.payload().asUtf8());
    }
    assertEquals("2", values.get("$SYS/broker/clients/connected"));
    assertEquals("1", values.get("$SYS/broker/messages/received"));
    assertEquals("1", values.get("$SYS/broker/subscriptions/count"));
    assertEquals("30", values.get("$SYS/broker/uptime"));
  }

  @Test
  @DisplayName("[MQTT-3.10.4-4] UNSUBSCRIBE stops delivery; v5 reports 0x11 for unknown filters")
  void unsubscribe() {
    TestClient sub = h.connected(V5, "s");
    sub.subscribe("t", QoS.AT_MOST_ONCE);
    sub.send(
        new Unsubscribe(5, List.of(TopicFilter.of("t"), TopicFilter.of("u")), Properties.NONE));
    UnsubAck ack = sub.expect(UnsubAck.class);
    assertEquals(5, ack.packetId());
    assertEquals(
        List.of(ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED), ack.reasonCodes());
    h.connected(V5, "p").publish("t", "x", QoS.AT_MOST_ONCE, false);
    sub.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.3.2-4] [MQTT-3.3.2-20] v5 message properties are passed through unaltered")
  void propertiesPassedThrough() {
    TestClient sub = h.connected(V5, "s");
    sub.subscribe("t", QoS.AT_LEAST_ONCE);
    Properties props =
        Properties.builder()
            .payloadFormatIndicator(1)
            .contentType("text/plain")
            .responseTopic(TopicName.of("reply/here"))
            .correlationData(Bytes.fromHex("cafe"))
            .addUserProperty("k", "v1")
            .addUserProperty("k", "v2")
            .build();
    h.connected(V5, "p").publish("t", "x", QoS.AT_LEAST_ONCE, false, props);
    Publish p = sub.expectPublish("t", "x");
    assertEquals(props, p.properties());
  }

  @Test
  @DisplayName("[MQTT-3.3.2-6] the message expiry interval sent on is the remaining lifetime")
  void messageExpiryRemaining() {
    TestClient sub = h.client(V5);
    sub.connect(
        ConnectTest.connect(
            V5, "s", true, 0, Properties.builder().sessionExpiryInterval(600L).build()));
    sub.expectConnAck();
    sub.subscribe("t", QoS.AT_LEAST_ONCE);
    sub.drop();
    TestClient pub = h.connected(V5, "p");
    pub.publish(
        "t",
        "short",
        QoS.AT_LEAST_ONCE,
        false,
        Properties.builder().messageExpiryInterval(5L).build());
    pub.publish(
        "t",
        "long",
        QoS.AT_LEAST_ONCE,
        false,
        Properties.builder().messageExpiryInterval(100L).build());
    h.advance(java.time.Duration.ofSeconds(40));
    TestClient back = h.client(V5);
    back.connect(
        ConnectTest.connect(
            V5, "s", false, 0, Properties.builder().sessionExpiryInterval(600L).build()));
    back.expectConnAck();
    // [MQTT-3.3.2-5] the expired message is not delivered
    Publish p = back.expectPublish("t", "long");
    assertEquals(60L, p.properties().messageExpiryInterval());
    back.expectNothing();
  }

  @Test
  @DisplayName("[MQTT-3.3.4-6] a client PUBLISH with a subscription identifier: DISCONNECT 0x82")
  void clientSubscriptionIdentifier() {
    TestClient pub = h.connected(V5, "p");
    pub.publish("t", "x", QoS.AT_MOST_ONCE, false, subId(3));
    pub.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("[MQTT-3.3.2-12] v5 inbound topic alias: set with a topic, then used alone")
  void inboundTopicAlias() {
    TestClient sub = h.connected(V5, "s");
    sub.subscribe("long/topic/name", QoS.AT_MOST_ONCE);
    TestClient pub = h.connected(V5, "p");
    pub.publish(
        "long/topic/name",
        "1",
        QoS.AT_MOST_ONCE,
        false,
        Properties.builder().topicAlias(3).build());
    pub.publish("", "2", QoS.AT_MOST_ONCE, false, Properties.builder().topicAlias(3).build());
    assertNull(sub.expectPublish("long/topic/name", "1").properties().topicAlias());
    sub.expectPublish("long/topic/name", "2");
  }

  @Test
  @DisplayName("[MQTT-3.3.2-9] a topic alias above the server's maximum: DISCONNECT 0x94")
  void topicAliasTooLarge() {
    TestClient pub = h.connected(V5, "p");
    pub.publish("t", "1", QoS.AT_MOST_ONCE, false, Properties.builder().topicAlias(11).build());
    pub.expectDisconnect(ReasonCode.TOPIC_ALIAS_INVALID);
  }

  @Test
  @DisplayName("[MQTT-3.3.2-11] v5 outbound topic aliases within the client's Topic Alias Maximum")
  void outboundTopicAlias() {
    TestClient sub = h.client(V5);
    sub.connect(
        ConnectTest.connect(V5, "s", true, 0, Properties.builder().topicAliasMaximum(1).build()));
    sub.expectConnAck();
    sub.subscribe("#", QoS.AT_MOST_ONCE);
    TestClient pub = h.connected(V5, "p");
    pub.publish("a", "1", QoS.AT_MOST_ONCE, false);
    pub.publish("a", "2", QoS.AT_MOST_ONCE, false);
    pub.publish("b", "3", QoS.AT_MOST_ONCE, false);
    Publish first = sub.expectPublish("a", "1");
    assertEquals(1, first.properties().topicAlias());
    Publish second = sub.expectPublish("", "2");
    assertEquals(1, second.properties().topicAlias());
    Publish third = sub.expectPublish("b", "3");
    assertNull(third.properties().topicAlias()); // no alias left
  }

  @Test
  @DisplayName("[MQTT-3.1.2-25] a PUBLISH above the client's Maximum Packet Size is dropped")
  void clientMaximumPacketSize() {
    TestClient sub = h.client(V5);
    sub.connect(
        ConnectTest.connect(V5, "s", true, 0, Properties.builder().maximumPacketSize(64L).build()));
    sub.expectConnAck();
    sub.subscribe("t", QoS.AT_LEAST_ONCE);
    TestClient pub = h.connected(V5, "p");
    pub.publish("t", "x".repeat(100), QoS.AT_LEAST_ONCE, false);
    pub.publish("t", "small", QoS.AT_LEAST_ONCE, false);
    sub.expectPublish("t", "small");
    sub.expectNothing();
    assertEquals(1, h.stores.inFlight().outboundCount("s"), "the dropped one is not in flight");
    assertEquals(1, h.broker.stats().messagesDropped());
  }

  @Test
  @DisplayName("a QoS 0 fan-out encodes once and shares the array, unmodified")
  void fanOutSharesEncoding() {
    List<TestClient> subs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TestClient s = h.connected(V3_1_1, "s" + i);
      s.subscribe("t", QoS.AT_LEAST_ONCE);
      subs.add(s);
    }
    h.connected(V3_1_1, "p").publish("t", "x", QoS.AT_MOST_ONCE, false);
    byte[] first = subs.get(0).rawPackets().getLast();
    for (TestClient s : subs) {
      assertTrue(first == s.rawPackets().getLast(), "one encoding shared");
      s.expectPublish("t", "x");
    }
    h.connected(V3_1_1, "q").publish("t", "y", QoS.AT_LEAST_ONCE, false);
    List<Integer> ids = new ArrayList<>();
    for (TestClient s : subs) {
      s.expectPublish("t", "y");
      ids.add(s.rawPackets().getLast()[6] & 0xFF); // packet id low byte, patched per client
    }
    assertEquals(List.of(1, 1, 1), ids);
    assertArrayEquals(new byte[] {0x30, 4, 0, 1, 't', 'x'}, first);
  }

  @Test
  @DisplayName("authorization port: refused SUBSCRIBE gets 0x87, refused PUBLISH is not routed")
  void authorization() {
    dev.stratus.core.auth.Authorizer onlyPublic =
        new dev.stratus.core.auth.Authorizer() {
          @Override
          public boolean mayPublish(
              String clientId, String username, java.util.Set<String> roles, TopicName topic) {
            return topic.value().startsWith("public/");
          }

          @Override
          public boolean maySubscribe(
              String clientId, String username, java.util.Set<String> roles, TopicFilter filter) {
            return filter.filter().startsWith("public/");
          }
        };
    Harness secured =
        new Harness(
            BrokerConfig.development(), dev.stratus.core.auth.Authenticator.ALLOW_ALL, onlyPublic);
    TestClient sub = secured.connected(V5, "s");
    SubAck ack =
        sub.subscribe(
            new TopicSubscription(TopicFilter.of("secret/#"), QoS.AT_MOST_ONCE), Properties.NONE);
    assertEquals(List.of(ReasonCode.NOT_AUTHORIZED), ack.reasonCodes());
    sub.subscribe("public/#", QoS.AT_MOST_ONCE);
    TestClient pub = secured.connected(V5, "p");
    pub.publish("public/a", "ok", QoS.AT_MOST_ONCE, false);
    pub.publish("secret/a", "no", QoS.AT_LEAST_ONCE, false);
    assertEquals(ReasonCode.NOT_AUTHORIZED, pub.expect(PubAck.class).reasonCode());
    sub.expectPublish("public/a", "ok");
    sub.expectNothing();
  }
}
