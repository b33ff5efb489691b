package dev.stratus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Auth;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConformanceCase;
import dev.stratus.codec.ConformanceCases;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketType;
import dev.stratus.codec.PingReq;
import dev.stratus.codec.PingResp;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.UnsubAck;
import dev.stratus.codec.Unsubscribe;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every codec conformance case (shared-codec test-jar) against the engine, as an edge would
 * feed it: framer, decoder, then {@link Inbound}. Invalid bytes must close only that connection,
 * with a v5 DISCONNECT carrying the case's reason code after CONNECT; valid packets get the answer
 * their type calls for.
 */
class ConformanceReplayTest {

  @TestFactory
  Stream<DynamicTest> everyConformanceCase() {
    return ConformanceCases.all().stream()
        .map(c -> DynamicTest.dynamicTest(c.id() + " " + c.spec(), () -> replay(c)));
  }

  private static void replay(ConformanceCase c) {
    Harness h =
        new Harness(BrokerConfig.development().withMaximumPacketSize(c.maximumPacketSize()));
    // a refusal before CONNECT is written in the 3.1.1 format, the only one every client reads,
    // unless the failing CONNECT said it was v5 (MQTT 5.0 §3.1.4: a v5 CONNACK, then close)
    MqttVersion failedConnect = c.needsConnectFirst() || c.isValid() ? null : connectVersionOf(c);
    TestClient client =
        h.client(
            c.needsConnectFirst() || c.isValid()
                ? c.version()
                : failedConnect != null ? failedConnect : MqttVersion.V3_1_1);
    boolean connected = false;
    if (c.needsConnectFirst()) {
      // the case's maximum packet size is for the packet under test, not for this CONNECT
      feed(
          h,
          client,
          ConformanceCases.minimalConnect(c.version()),
          ConformanceCase.DEFAULT_MAXIMUM_PACKET_SIZE,
          null);
      client.expectConnAck();
      connected = true;
    }
    feed(h, client, c.bytes(), c.maximumPacketSize(), connected ? c.version() : null);
    List<Packet> out = client.drain();
    boolean v5 = c.version().isV5();

    if (c.framing() == ConformanceCase.Framing.INCOMPLETE) {
      // the framer waits for more bytes: the engine has seen nothing yet
      assertTrue(out.isEmpty(), () -> "sent " + out);
      client.expectOpen();
      return;
    }
    if (!c.isValid()) {
      client.expectClosed();
      if (connected && v5) {
        Disconnect d = assertInstanceOf(Disconnect.class, out.getLast());
        ReasonCode expected =
            c.error().allowedIn(PacketType.DISCONNECT) ? c.error() : ReasonCode.MALFORMED_PACKET;
        assertEquals(expected, d.reasonCode());
      } else if (failedConnect != null && failedConnect.isV5()) {
        ConnAck ack = assertInstanceOf(ConnAck.class, single(out));
        ReasonCode expected =
            c.error().allowedIn(PacketType.CONNACK) ? c.error() : ReasonCode.MALFORMED_PACKET;
        assertEquals(expected, ack.reasonCode());
        assertFalse(ack.sessionPresent(), "[MQTT-3.2.2-6]");
      } else {
        // before CONNECT only a refusing CONNACK may be sent (unsupported protocol version)
        assertTrue(out.stream().allMatch(p -> p instanceof ConnAck), () -> "sent " + out);
      }
      assertEquals(0, h.broker.stats().clientsConnected());
      return;
    }
    expectAnswer(c.expected(), out, client, v5, connected);
  }

  private static void expectAnswer(
      Packet in, List<Packet> out, TestClient client, boolean v5, boolean connected) {
    switch (in) {
      case Connect connect -> {
        ConnAck ack = assertInstanceOf(ConnAck.class, out.getFirst());
        if (ack.reasonCode().isError()) {
          client.expectClosed();
        } else {
          client.expectOpen();
        }
      }
      case Publish p -> {
        if (!p.properties().subscriptionIdentifiers().isEmpty()) {
          // [MQTT-3.3.4-6] only the server may send subscription identifiers
          assertEquals(
              ReasonCode.PROTOCOL_ERROR,
              assertInstanceOf(Disconnect.class, single(out)).reasonCode());
          client.expectClosed();
          return;
        }
        if (p.properties().topicAlias() != null
            && !out.isEmpty()
            && out.getLast() instanceof Disconnect d) {
          // an alias the connection never set, or above the maximum
          assertTrue(
              d.reasonCode() == ReasonCode.TOPIC_ALIAS_INVALID
                  || d.reasonCode() == ReasonCode.PROTOCOL_ERROR);
          return;
        }
        switch (p.qos()) {
          case AT_MOST_ONCE -> assertTrue(out.isEmpty(), () -> "sent " + out);
          case AT_LEAST_ONCE ->
              assertEquals(p.packetId(), assertInstanceOf(PubAck.class, single(out)).packetId());
          case EXACTLY_ONCE ->
              assertEquals(p.packetId(), assertInstanceOf(PubRec.class, single(out)).packetId());
        }
        client.expectOpen();
      }
      case PubAck a -> assertOpenAndSilent(out, client);
      case PubComp a -> assertOpenAndSilent(out, client);
      case PubRec r ->
          assertEquals(r.packetId(), assertInstanceOf(PubRel.class, single(out)).packetId());
      case PubRel r ->
          assertEquals(r.packetId(), assertInstanceOf(PubComp.class, single(out)).packetId());
      case Subscribe s -> {
        if (v5 && s.subscriptions().stream().anyMatch(t -> t.filter().isShared() && t.noLocal())) {
          assertEquals(
              ReasonCode.PROTOCOL_ERROR,
              assertInstanceOf(Disconnect.class, single(out)).reasonCode());
          return;
        }
        SubAck ack = assertInstanceOf(SubAck.class, out.getFirst());
        assertEquals(s.packetId(), ack.packetId());
        assertEquals(s.subscriptions().size(), ack.reasonCodes().size());
      }
      case Unsubscribe u ->
          assertEquals(u.packetId(), assertInstanceOf(UnsubAck.class, single(out)).packetId());
      case PingReq p -> assertInstanceOf(PingResp.class, single(out));
      case Disconnect d -> {
        client.expectClosed();
        Long expiry = d.properties().sessionExpiryInterval();
        if (v5 && expiry != null && expiry != 0) {
          // the minimal CONNECT had session expiry 0 [MQTT-3.14.2-2]
          assertEquals(
              ReasonCode.PROTOCOL_ERROR,
              assertInstanceOf(Disconnect.class, single(out)).reasonCode());
        } else {
          assertTrue(out.isEmpty(), () -> "sent " + out);
        }
      }
      case Auth a -> expectProtocolError(out, client, v5);
      // packets only a server sends
      case ConnAck a -> expectProtocolError(out, client, v5);
      case SubAck a -> expectProtocolError(out, client, v5);
      case UnsubAck a -> expectProtocolError(out, client, v5);
      case PingResp a -> expectProtocolError(out, client, v5);
    }
  }

  private static Packet single(List<Packet> out) {
    assertEquals(1, out.size(), () -> "sent " + out);
    return out.getFirst();
  }

  private static void assertOpenAndSilent(List<Packet> out, TestClient client) {
    assertTrue(out.isEmpty(), () -> "sent " + out);
    client.expectOpen();
  }

  private static void expectProtocolError(List<Packet> out, TestClient client, boolean v5) {
    client.expectClosed();
    if (v5) {
      assertEquals(
          ReasonCode.PROTOCOL_ERROR, assertInstanceOf(Disconnect.class, single(out)).reasonCode());
    } else {
      assertTrue(out.isEmpty(), () -> "sent " + out);
    }
  }

  /** The version of the CONNECT an invalid case fails in, once its level was read; else null. */
  private static MqttVersion connectVersionOf(ConformanceCase c) {
    try {
      FrameResult r = new Framer(c.maximumPacketSize()).next(c.bytes().asReadOnlyBuffer());
      if (r instanceof FrameResult.Frame f) {
        PacketDecoder.decode(f.packet(), null);
      }
      return null;
    } catch (MqttDecodeException e) {
      return e.connectVersion();
    }
  }

  /** What an edge does with bytes: frame, decode, hand to the engine. */
  private static void feed(
      Harness h, TestClient client, Bytes bytes, int maximumPacketSize, MqttVersion version) {
    Framer framer = new Framer(maximumPacketSize);
    ByteBuffer in = bytes.asReadOnlyBuffer();
    MqttVersion v = version;
    try {
      while (true) {
        FrameResult r = framer.next(in);
        if (!(r instanceof FrameResult.Frame f)) {
          return;
        }
        Packet p = PacketDecoder.decode(f.packet(), v);
        h.broker.packetReceived(client.id, p);
        if (p instanceof Connect connect) {
          v = connect.version();
        }
      }
    } catch (MqttDecodeException e) {
      h.broker.decodeFailed(client.id, e);
    }
    assertFalse(
        client.isClosed() && h.stores.connections().get(client.id) != null,
        "a closed connection left its record behind");
  }
}
