package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1;
import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.PingReq;
import dev.stratus.codec.PingResp;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.Will;
import dev.stratus.core.auth.AuthResult;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConnectTest {
  private final Harness h = new Harness();

  static Connect connect(
      dev.stratus.codec.MqttVersion v, String id, boolean clean, int keepAlive, Properties p) {
    return new Connect(v, id, clean, keepAlive, null, null, null, p);
  }

  static Will will(String topic, String payload, Properties props) {
    return new Will(TopicName.of(topic), Bytes.utf8(payload), QoS.AT_MOST_ONCE, false, props);
  }

  @Test
  @DisplayName("[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection")
  void packetBeforeConnect() {
    TestClient c = h.client(V3_1_1);
    h.broker.packetReceived(c.id, PingReq.INSTANCE);
    c.expectNothing();
    c.expectClosed();
  }

  @Test
  @DisplayName("[MQTT-3.1.0-2] a second CONNECT is a protocol error: v5 DISCONNECT 0x82")
  void secondConnectV5() {
    TestClient c = h.connected(V5, "c");
    c.connect("c", true);
    c.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
  }

  @Test
  @DisplayName("[MQTT-3.1.0-2] a second CONNECT closes a 3.1.1 connection and fires its will")
  void secondConnectV311PublishesWill() {
    TestClient watcher = h.connected(V3_1_1, "w");
    watcher.subscribe("will/#", QoS.AT_MOST_ONCE);
    TestClient c = h.client(V3_1_1);
    c.connect(
        new Connect(
            V3_1_1,
            "c",
            true,
            0,
            null,
            null,
            will("will/c", "gone", Properties.NONE),
            Properties.NONE));
    c.expectConnAck();
    c.connect("c", true);
    c.expectNothing();
    c.expectClosed();
    watcher.expectPublish("will/c", "gone");
  }

  @Test
  @DisplayName("[MQTT-3.1.3-6] 3.1.1: an empty client id with clean session 1 is assigned one")
  void emptyIdAssigned311() {
    TestClient c = h.client(V3_1_1);
    c.connect("", true);
    c.expectConnAck();
    assertEquals(1, h.broker.stats().clientsConnected());
  }

  @Test
  @DisplayName("[MQTT-3.1.3-8] 3.1.1: an empty client id with clean session 0 gets return code 2")
  void emptyIdRefused311() {
    TestClient c = h.client(V3_1_1);
    c.connect("", false);
    ConnAck ack = c.expect(ConnAck.class);
    assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, ack.reasonCode());
    assertFalse(ack.sessionPresent());
    c.expectClosed();
  }

  @Test
  @DisplayName("[MQTT-3.2.2-16] v5: an empty client id is assigned and returned in CONNACK")
  void emptyIdAssignedV5() {
    TestClient c = h.client(V5);
    c.connect("", false);
    ConnAck ack = c.expectConnAck();
    assertNotNull(ack.properties().assignedClientIdentifier());
    assertNotNull(h.stores.sessions().get(ack.properties().assignedClientIdentifier()));
  }

  @Test
  @DisplayName("MQTT 3.1 §3.1: a client id longer than 23 characters gets return code 2")
  void longIdRefused31() {
    TestClient c = h.client(V3_1);
    c.connect("x".repeat(24), true);
    assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, c.expect(ConnAck.class).reasonCode());
    c.expectClosed();
    TestClient ok = h.client(V3_1);
    ok.connect("x".repeat(23), true);
    ok.expectConnAck();
  }

  @Test
  @DisplayName("[MQTT-3.1.4-3] takeover: the old v5 connection gets DISCONNECT 0x8E and is closed")
  void takeoverV5() {
    TestClient old = h.connected(V5, "same");
    TestClient fresh = h.connected(V5, "same");
    old.expectDisconnect(ReasonCode.SESSION_TAKEN_OVER);
    fresh.expectOpen();
    assertEquals(1, h.broker.stats().clientsConnected());
    fresh.send(PingReq.INSTANCE);
    fresh.expect(PingResp.class);
  }

  @Test
  @DisplayName("[MQTT-3.1.4-3] takeover: the old 3.1.1 connection is closed, the session kept")
  void takeover311KeepsSession() {
    TestClient old = h.client(V3_1_1);
    old.connect("same", false);
    old.expectConnAck();
    old.subscribe("t", QoS.AT_LEAST_ONCE);
    TestClient fresh = h.client(V3_1_1);
    fresh.connect("same", false);
    assertTrue(fresh.expectConnAck().sessionPresent());
    old.expectNothing();
    old.expectClosed();
    h.connected(V3_1_1, "pub").publish("t", "m", QoS.AT_MOST_ONCE, false);
    fresh.expectPublish("t", "m");
  }

  @Test
  @DisplayName("[MQTT-3.2.2-1] [MQTT-3.2.2-2] 3.1.1 session present reflects a resumed session")
  void sessionPresent() {
    TestClient c = h.client(V3_1_1);
    c.connect("p", false);
    assertFalse(c.expectConnAck().sessionPresent());
    c.drop();
    TestClient again = h.client(V3_1_1);
    again.connect("p", false);
    assertTrue(again.expectConnAck().sessionPresent());
    again.drop();
    TestClient clean = h.client(V3_1_1);
    clean.connect("p", true);
    assertFalse(clean.expectConnAck().sessionPresent()); // [MQTT-3.2.2-1]
  }

  @Test
  @DisplayName("[MQTT-3.1.2-22] no packet for 1.5x keepalive: v5 DISCONNECT 0x8D, will published")
  void keepAliveV5() {
    TestClient watcher = h.connected(V5, "w");
    watcher.subscribe("will", QoS.AT_MOST_ONCE);
    TestClient c = h.client(V5);
    c.connect(
        new Connect(
            V5,
            "k",
            true,
            10,
            null,
            null,
            will("will", "k died", Properties.NONE),
            Properties.NONE));
    c.expectConnAck();
    h.advance(Duration.ofSeconds(14));
    c.expectOpen();
    c.send(PingReq.INSTANCE); // traffic restarts the timer
    c.expect(PingResp.class);
    h.advance(Duration.ofSeconds(14));
    c.expectOpen();
    h.advance(Duration.ofSeconds(1));
    c.expectDisconnect(ReasonCode.KEEP_ALIVE_TIMEOUT);
    watcher.expectPublish("will", "k died");
  }

  @Test
  @DisplayName("[MQTT-3.1.2-24] 3.1.1: no packet for 1.5x keepalive closes the connection")
  void keepAlive311() {
    TestClient c = h.client(V3_1_1);
    c.connect(connect(V3_1_1, "k", true, 4, Properties.NONE));
    c.expectConnAck();
    h.advance(Duration.ofSeconds(5));
    c.expectOpen();
    h.advance(Duration.ofSeconds(1));
    c.expectNothing();
    c.expectClosed();
  }

  @Test
  @DisplayName("[MQTT-3.2.2-21] v5: the server keep alive replaces a too long client keepalive")
  void serverKeepAlive() {
    Harness limited = new Harness(BrokerConfig.development().withMaxKeepAliveSeconds(60));
    TestClient c = limited.client(V5);
    c.connect(connect(V5, "k", true, 600, Properties.NONE));
    assertEquals(60, c.expectConnAck().properties().serverKeepAlive());
    limited.advance(Duration.ofSeconds(90));
    c.expectDisconnect(ReasonCode.KEEP_ALIVE_TIMEOUT);
  }

  @Test
  @DisplayName("[MQTT-3.2.2-6] a refused CONNECT gets the authenticator's code, then close")
  void authenticationRefused() {
    Authenticator onlyAlice =
        r ->
            "alice".equals(r.username())
                ? AuthResult.ACCEPTED
                : new AuthResult.Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    Authorizer all = Authorizer.ALLOW_ALL;
    Harness secured = new Harness(BrokerConfig.development(), onlyAlice, all);
    TestClient v5 = secured.client(V5);
    v5.connect(new Connect(V5, "x", true, 0, "mallory", null, null, Properties.NONE));
    assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, v5.expect(ConnAck.class).reasonCode());
    v5.expectClosed();
    TestClient v3 = secured.client(V3_1_1);
    v3.connect(
        new Connect(V3_1_1, "y", true, 0, "mallory", Bytes.utf8("pw"), null, Properties.NONE));
    ConnAck refused = v3.expect(ConnAck.class);
    assertEquals(4, refused.reasonCode().v3ConnectReturnCode());
    TestClient alice = secured.client(V3_1_1);
    alice.connect(
        new Connect(V3_1_1, "a", true, 0, "alice", Bytes.utf8("pw"), null, Properties.NONE));
    alice.expectConnAck();
  }

  @Test
  @DisplayName("MQTT 5.0 §3.2.2.2 a will on a topic the client may not publish: CONNACK 0x87 / 5")
  void willNotAuthorized() {
    TestClient v5 = h.client(V5);
    v5.connect(
        new Connect(
            V5,
            "a",
            true,
            0,
            null,
            null,
            will("$SYS/broker/uptime", "0", Properties.NONE),
            Properties.NONE));
    assertEquals(ReasonCode.NOT_AUTHORIZED, v5.expect(ConnAck.class).reasonCode());
    v5.expectClosed();
    TestClient v3 = h.client(V3_1_1);
    v3.connect(
        new Connect(
            V3_1_1,
            "b",
            true,
            0,
            null,
            null,
            will("$SYS/x", "0", Properties.NONE),
            Properties.NONE));
    assertEquals(5, v3.expect(ConnAck.class).reasonCode().v3ConnectReturnCode());
    v3.expectClosed();
  }

  @Test
  @DisplayName("allow-all authentication is refused outside development mode")
  void allowAllNeedsDevelopmentMode() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Broker(
                BrokerConfig.defaults(),
                Stores.inMemory(),
                new Harness(),
                InstantSource.system(),
                Authenticator.ALLOW_ALL,
                Authorizer.ALLOW_ALL));
  }

  @Test
  @DisplayName("MQTT 5.0 §4.12: an unsupported authentication method gets CONNACK 0x8C")
  void badAuthenticationMethod() {
    TestClient c = h.client(V5);
    c.connect(
        connect(V5, "c", true, 0, Properties.builder().authenticationMethod("SCRAM").build()));
    assertEquals(ReasonCode.BAD_AUTHENTICATION_METHOD, c.expect(ConnAck.class).reasonCode());
    c.expectClosed();
  }

  @Test
  @DisplayName("[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK return code 1")
  void unsupportedProtocolVersion() throws Exception {
    TestClient c = h.client(V3_1_1);
    byte[] bytes = PacketEncoder.encode(connect(V3_1_1, "c", true, 0, Properties.NONE), V3_1_1);
    bytes[8] = 9; // protocol level byte after 0x10, length, 00 04 'MQTT'
    MqttDecodeException e =
        assertThrows(
            MqttDecodeException.class, () -> PacketDecoder.decode(ByteBuffer.wrap(bytes), null));
    h.broker.decodeFailed(c.id, e);
    assertEquals(ReasonCode.UNSUPPORTED_PROTOCOL_VERSION, e.reasonCode());
    assertEquals(1, c.expect(ConnAck.class).reasonCode().v3ConnectReturnCode());
    c.expectClosed();
  }

  /** Decodes a CONNECT whose connect flags byte was changed, as an edge would, and fails. */
  private void feedBadConnect(TestClient c, MqttVersion v, byte flags) {
    byte[] bytes = PacketEncoder.encode(connect(v, "c", true, 0, Properties.NONE), v);
    bytes[9] = flags; // connect flags after 0x10, length, 00 04 'MQTT', level
    MqttDecodeException e =
        assertThrows(
            MqttDecodeException.class, () -> PacketDecoder.decode(ByteBuffer.wrap(bytes), null));
    assertEquals(v, e.connectVersion());
    h.broker.decodeFailed(c.id, e);
  }

  @Test
  @DisplayName(
      "MQTT 5.0 §3.1.4 [MQTT-3.1.2-3] a v5 CONNECT that fails to decode gets CONNACK 0x81, then"
          + " close")
  void v5ConnectDecodeFailureGetsConnAck() {
    TestClient c = h.client(V5);
    feedBadConnect(c, V5, (byte) 0x03); // clean start + the reserved flag
    ConnAck ack = c.expect(ConnAck.class);
    assertEquals(ReasonCode.MALFORMED_PACKET, ack.reasonCode());
    assertFalse(ack.sessionPresent(), "[MQTT-3.2.2-6]");
    c.expectNothing();
    c.expectClosed();
    assertNull(h.stores.connections().get(c.id));
  }

  @Test
  @DisplayName("MQTT 5.0 §3.1.4 a v5 CONNECT failure whose code a CONNACK cannot carry gets 0x81")
  void v5ConnectDecodeFailureWithANonConnAckCode() {
    TestClient c = h.client(V5);
    h.broker.decodeFailed(
        c.id, new MqttDecodeException(ReasonCode.TOPIC_ALIAS_INVALID, "not a CONNACK code", V5));
    assertEquals(ReasonCode.MALFORMED_PACKET, c.expect(ConnAck.class).reasonCode());
    c.expectClosed();
  }

  @Test
  @DisplayName("MQTT 5.0 §3.1.4 a v5 CONNECT failure keeps a CONNACK code: 0x82 Protocol Error")
  void v5ConnectDecodeFailureKeepsItsCode() throws Exception {
    TestClient c = h.client(V5);
    // receive maximum 0 is a protocol error (MQTT 5.0 §3.1.2.11.3)
    byte[] bytes =
        PacketEncoder.encode(
            connect(V5, "c", true, 0, Properties.builder().receiveMaximum(1).build()), V5);
    bytes[bytes.length - 4] = 0; // low byte of receive maximum (21 00 01), then client id 00 01 'c'
    MqttDecodeException e =
        assertThrows(
            MqttDecodeException.class, () -> PacketDecoder.decode(ByteBuffer.wrap(bytes), null));
    h.broker.decodeFailed(c.id, e);
    assertEquals(ReasonCode.PROTOCOL_ERROR, c.expect(ConnAck.class).reasonCode());
    c.expectClosed();
  }

  @Test
  @DisplayName("[MQTT-4.13.1-1] a 3.1.1 CONNECT that fails to decode is closed without CONNACK")
  void v311ConnectDecodeFailureClosesPlainly() {
    TestClient c = h.client(V3_1_1);
    feedBadConnect(c, V3_1_1, (byte) 0x03);
    c.expectNothing();
    c.expectClosed();
  }

  @Test
  @DisplayName("a connection that sends no CONNECT is closed after the connect timeout")
  void connectTimeout() {
    TestClient c = h.client(V5);
    h.advance(Duration.ofSeconds(9));
    c.expectOpen();
    h.advance(Duration.ofSeconds(1));
    c.expectClosed();
    assertNull(h.stores.connections().get(c.id));
  }
}
