package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's hostile input, over raw sockets to the bridge (TCP) and over the text profile through
 * the API Gateway emulator (the real handlers): each gets the spec's answer, and after each a
 * bystander client on the bridge still publishes and receives.
 */
class HostileInputTest {
  @TempDir static Path dataDir;
  static LocalStack stack;
  static LocalStackTest.BridgeSub bystander;
  static int round;

  @BeforeAll
  static void start() throws Exception {
    stack =
        LocalStack.start(
            new LocalStack.Options(
                "127.0.0.1",
                0,
                0,
                0,
                -1,
                null,
                LocalStack.StoreKind.MEMORY,
                dataDir,
                0,
                "stratus-",
                ApiGatewayEmulator.Settings.defaults()));
    bystander = LocalStackTest.BridgeSub.of(tcp(), "bystander", "bystander/#", 1);
  }

  @AfterAll
  static void stop() {
    if (bystander != null) {
      bystander.client().disconnect();
    }
    if (stack != null) {
      stack.close();
    }
  }

  /** The broker is still up: the bystander gets what it publishes. */
  @AfterEach
  void bystanderStillWorks() throws Exception {
    String msg = "still here " + (++round);
    bystander
        .client()
        .publishWith()
        .topic("bystander/t")
        .payload(msg.getBytes(StandardCharsets.UTF_8))
        .send();
    assertEquals("bystander/t " + msg, bystander.next());
  }

  static int tcp() {
    return LocalStackTest.tcpPort(stack);
  }

  static RawMqtt connected(MqttVersion v, String id) throws Exception {
    RawMqtt c = new RawMqtt(tcp(), v);
    c.send(new Connect(v, id, true, 60, null, null, null, Properties.NONE));
    assertEquals(ReasonCode.SUCCESS, c.expect(ConnAck.class).reasonCode());
    return c;
  }

  /** A v5 DISCONNECT with this reason code, then the close [MQTT-4.13.1-1]. */
  static void expectDisconnect(RawMqtt c, ReasonCode code) throws Exception {
    Object o = c.next();
    assertInstanceOf(Disconnect.class, o, "expected a DISCONNECT " + code);
    assertEquals(code, ((Disconnect) o).reasonCode());
    c.expectClosed();
  }

  /** A PUBLISH QoS 0 with raw topic bytes (the codec refuses to encode bad topics). */
  static byte[] rawPublish(byte[] topic) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(topic.length >> 8);
    body.write(topic.length & 0xFF);
    body.writeBytes(topic);
    body.write(0); // v5: no properties
    body.writeBytes("x".getBytes(StandardCharsets.UTF_8));
    return packet(0x30, body.toByteArray());
  }

  static byte[] packet(int header, byte[] body) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(header);
    int n = body.length;
    do {
      int b = n % 128;
      n /= 128;
      p.write(n > 0 ? b | 0x80 : b);
    } while (n > 0);
    p.writeBytes(body);
    return p.toByteArray();
  }

  @Test
  void aPacketBeforeConnectClosesTheConnection() throws Exception {
    try (RawMqtt c = new RawMqtt(tcp(), MqttVersion.V5)) {
      c.sendBytes(new byte[] {(byte) 0xC0, 0}); // PINGREQ
      // [MQTT-3.1.0-1] the first packet must be CONNECT: closed without a packet
      assertInstanceOf(RawMqtt.Closed.class, c.next());
    }
  }

  @Test
  void connectTwiceIsAProtocolError() throws Exception {
    try (RawMqtt c = connected(MqttVersion.V5, "twice")) {
      c.send(new Connect(MqttVersion.V5, "twice", true, 60, null, null, null, Properties.NONE));
      // [MQTT-3.1.0-2] a second CONNECT is a Protocol Error
      expectDisconnect(c, ReasonCode.PROTOCOL_ERROR);
    }
    try (RawMqtt c = connected(MqttVersion.V3_1_1, "twice3")) {
      c.send(
          new Connect(MqttVersion.V3_1_1, "twice3", true, 60, null, null, null, Properties.NONE));
      c.expectClosed(); // 3.1.1: closed without a packet
    }
  }

  @Test
  void aTruncatedPacketThenEndOfStreamClosesQuietly() throws Exception {
    try (RawMqtt c = connected(MqttVersion.V5, "trunc")) {
      byte[] full = rawPublish("a/b".getBytes(StandardCharsets.UTF_8));
      c.sendBytes(java.util.Arrays.copyOf(full, full.length - 2));
      c.socket.shutdownOutput();
      c.expectClosed();
    }
  }

  @Test
  void oversizeAndMalformedRemainingLengths() throws Exception {
    try (RawMqtt c = connected(MqttVersion.V5, "huge")) {
      // 268,435,455 bytes announced, far over the maximum packet size the CONNACK announced
      c.sendBytes(new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});
      expectDisconnect(c, ReasonCode.PACKET_TOO_LARGE); // [MQTT-3.2.2-15] 0x95
    }
    try (RawMqtt c = connected(MqttVersion.V5, "fivebytes")) {
      // a variable byte integer of five bytes is malformed [MQTT-1.5.5-1]
      c.sendBytes(new byte[] {0x30, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01});
      expectDisconnect(c, ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void invalidUtf8AndNulInTopicsAreMalformed() throws Exception {
    try (RawMqtt c = connected(MqttVersion.V5, "utf8")) {
      // [MQTT-1.5.4-1] ill-formed UTF-8 is a Malformed Packet
      c.sendBytes(rawPublish(new byte[] {'a', '/', (byte) 0xC3, 0x28}));
      expectDisconnect(c, ReasonCode.MALFORMED_PACKET);
    }
    try (RawMqtt c = connected(MqttVersion.V5, "nul")) {
      // [MQTT-1.5.4-2] U+0000 in a string is a Malformed Packet
      c.sendBytes(rawPublish(new byte[] {'a', 0, 'b'}));
      expectDisconnect(c, ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void aTopicOf65535LevelsIsRefusedByTheLevelLimit() throws Exception {
    String slashes = "/".repeat(65_535); // 65,536 empty levels: the longest topic a string holds
    try (RawMqtt c = connected(MqttVersion.V5, "deep")) {
      c.send(
          new Subscribe(
              1,
              List.of(new TopicSubscription(TopicFilter.of(slashes), QoS.AT_MOST_ONCE)),
              Properties.NONE));
      // docs/security.md, "Limits": more than maxTopicLevels (32) levels: SUBACK 0x8F
      SubAck ack = c.expect(SubAck.class);
      assertEquals(List.of(ReasonCode.TOPIC_FILTER_INVALID), ack.reasonCodes());
      c.send(
          new Publish(
              TopicName.of(slashes),
              QoS.AT_LEAST_ONCE,
              false,
              false,
              2,
              Bytes.utf8("deep"),
              Properties.NONE));
      Object o = c.next();
      // PUBACK 0x90 Topic Name invalid, or a DISCONNECT with it
      ReasonCode code =
          o instanceof PubAck p
              ? p.reasonCode()
              : assertInstanceOf(Disconnect.class, o).reasonCode();
      assertEquals(ReasonCode.TOPIC_NAME_INVALID, code);
    }
  }

  @Test
  void aHundredThousandSubscriptionsMeetTheQuotaAndMemoryStaysBounded() throws Exception {
    long before = usedHeapAfterGc();
    try (RawMqtt c = connected(MqttVersion.V5, "greedy")) {
      int granted = 0;
      int quota = 0;
      for (int packet = 0; packet < 100; packet++) {
        List<TopicSubscription> filters = new ArrayList<>(1000);
        for (int i = 0; i < 1000; i++) {
          filters.add(
              new TopicSubscription(
                  TopicFilter.of("greedy/" + packet + "/" + i), QoS.AT_MOST_ONCE));
        }
        c.send(new Subscribe(packet + 1, filters, Properties.NONE));
        SubAck ack = c.expect(SubAck.class);
        for (ReasonCode r : ack.reasonCodes()) {
          if (r == ReasonCode.GRANTED_QOS_0) {
            granted++;
          } else {
            assertEquals(ReasonCode.QUOTA_EXCEEDED, r); // docs/security.md: SUBACK 0x97
            quota++;
          }
        }
      }
      assertEquals(100, granted); // maxSubscriptionsPerClient
      assertEquals(100_000 - 100, quota);
    }
    long after = usedHeapAfterGc();
    assertTrue(
        after - before < 64L << 20,
        "heap grew by " + ((after - before) >> 20) + " MiB over 100,000 subscriptions");
  }

  static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  // ---- the API Gateway edge, text profile ----

  static TextClient textConnected(String id) throws Exception {
    TextClient c = TextClient.connect(stack.emulator().url(), MqttVersion.V5, false);
    c.send(new Connect(MqttVersion.V5, id, true, 60, null, null, null, Properties.NONE));
    assertEquals(ReasonCode.SUCCESS, c.expect(ConnAck.class).reasonCode());
    return c;
  }

  static void sendRaw(TextClient c, byte[] bytes) {
    c.ws.sendText(Base64.getEncoder().encodeToString(bytes), true).join();
  }

  @Test
  void notBase64TextIsMalformedOnTheApiGatewayEdge() throws Exception {
    try (TextClient c = textConnected("text-notb64")) {
      c.ws.sendText("this is %% not base64!", true).join();
      // docs/text-profile.md: DISCONNECT 0x81 to a v5 client with its CONNACK, then the close
      assertEquals(ReasonCode.MALFORMED_PACKET, c.expect(Disconnect.class).reasonCode());
      c.closeCode();
    }
  }

  @Test
  void aBinaryFrameIsClosedWith1003OnTheApiGatewayEdge() throws Exception {
    try (TextClient c = textConnected("text-binary")) {
      c.ws.sendBinary(ByteBuffer.wrap(new byte[] {(byte) 0xC0, 0}), true).join();
      assertEquals(1003, c.closeCode()); // API Gateway takes text frames only
    }
  }

  @Test
  void hostilePacketsThroughTheTextProfile() throws Exception {
    try (TextClient c = textConnected("text-utf8")) {
      sendRaw(c, rawPublish(new byte[] {'a', '/', (byte) 0xC3, 0x28}));
      assertEquals(ReasonCode.MALFORMED_PACKET, c.expect(Disconnect.class).reasonCode());
      c.closeCode();
    }
    try (TextClient c = textConnected("text-nul")) {
      sendRaw(c, rawPublish(new byte[] {'a', 0, 'b'}));
      assertEquals(ReasonCode.MALFORMED_PACKET, c.expect(Disconnect.class).reasonCode());
      c.closeCode();
    }
    try (TextClient c = textConnected("text-twice")) {
      c.send(
          new Connect(MqttVersion.V5, "text-twice", true, 60, null, null, null, Properties.NONE));
      assertEquals(ReasonCode.PROTOCOL_ERROR, c.expect(Disconnect.class).reasonCode());
      c.closeCode();
    }
    try (TextClient c = textConnected("text-trunc")) {
      byte[] full = rawPublish("a/b".getBytes(StandardCharsets.UTF_8));
      // a message that ends inside a packet is malformed (docs/text-profile.md)
      sendRaw(c, java.util.Arrays.copyOf(full, full.length - 2));
      assertEquals(ReasonCode.MALFORMED_PACKET, c.expect(Disconnect.class).reasonCode());
      c.closeCode();
    }
    try (TextClient c = TextClient.connect(stack.emulator().url(), MqttVersion.V5, false)) {
      sendRaw(c, new byte[] {(byte) 0xC0, 0}); // PINGREQ before CONNECT [MQTT-3.1.0-1]
      c.closeCode(); // closed without a packet
      assertEquals(null, c.poll(java.time.Duration.ofMillis(1)));
    }
    try (TextClient c = textConnected("text-oversize")) {
      sendRaw(c, new byte[] {0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F});
      ReasonCode code = c.expect(Disconnect.class).reasonCode();
      assertTrue(
          code == ReasonCode.PACKET_TOO_LARGE || code == ReasonCode.MALFORMED_PACKET,
          "a length beyond the message: " + code);
      c.closeCode();
    }
  }
}
