package dev.stratus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One in-memory connection to the engine. Every packet the engine sends is decoded with the codec
 * in the client's version (so the engine's encoding is checked too) and queued for {@link #next}.
 */
public final class TestClient {
  private final Harness harness;
  public final ConnectionId id;
  private MqttVersion version;
  private final ArrayDeque<Packet> inbox = new ArrayDeque<>();
  private final List<byte[]> raw = new ArrayList<>();
  private boolean closed;
  private int nextPacketId = 1;

  TestClient(Harness harness, ConnectionId id, MqttVersion version) {
    this.harness = harness;
    this.id = id;
    this.version = version;
  }

  synchronized void received(byte[] bytes) {
    raw.add(bytes);
    try {
      inbox.add(PacketDecoder.decode(ByteBuffer.wrap(bytes), version));
    } catch (MqttDecodeException e) {
      fail("the engine sent a packet the codec rejects: " + e);
    }
  }

  synchronized void closedByServer() {
    closed = true;
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /** Every packet received so far as bytes, to check arrays are not modified after sending. */
  public synchronized List<byte[]> rawPackets() {
    return List.copyOf(raw);
  }

  public void send(Packet p) {
    // encode and decode, as a transport would, so that only valid packets reach the engine
    try {
      Packet decoded =
          PacketDecoder.decode(
              ByteBuffer.wrap(PacketEncoder.encode(p, version)),
              p instanceof Connect ? null : version);
      harness.broker.packetReceived(id, decoded);
    } catch (MqttDecodeException e) {
      harness.broker.decodeFailed(id, e);
    }
  }

  /** The network connection drops without DISCONNECT. */
  public void drop() {
    harness.lost(id);
  }

  public void connect(String clientId, boolean cleanStart) {
    connect(new Connect(version, clientId, cleanStart, 0, null, null, null, Properties.NONE));
  }

  public void connect(Connect c) {
    this.version = c.version();
    send(c);
  }

  public ConnAck expectConnAck() {
    ConnAck ack = expect(ConnAck.class);
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode(), "CONNACK refused");
    return ack;
  }

  public synchronized Packet next() {
    Packet p = inbox.poll();
    if (p == null) {
      fail("expected a packet, got none" + (closed ? " (connection closed)" : ""));
    }
    return p;
  }

  public <T extends Packet> T expect(Class<T> type) {
    return assertInstanceOf(type, next());
  }

  public synchronized void expectNothing() {
    assertTrue(inbox.isEmpty(), () -> "unexpected packets: " + inbox);
  }

  public synchronized List<Packet> drain() {
    List<Packet> all = new ArrayList<>(inbox);
    inbox.clear();
    return all;
  }

  public void expectClosed() {
    assertTrue(isClosed(), "connection should be closed");
  }

  public void expectOpen() {
    assertFalse(isClosed(), "connection should be open");
  }

  /** Expects a v5 DISCONNECT with this reason, then the close. */
  public void expectDisconnect(ReasonCode reason) {
    Disconnect d = expect(Disconnect.class);
    assertEquals(reason, d.reasonCode());
    expectClosed();
  }

  public int packetId() {
    return nextPacketId++;
  }

  public SubAck subscribe(String filter, QoS qos) {
    return subscribe(new TopicSubscription(TopicFilter.of(filter), qos), Properties.NONE);
  }

  public SubAck subscribe(TopicSubscription s, Properties props) {
    int pid = packetId();
    send(new Subscribe(pid, List.of(s), props));
    SubAck ack = expect(SubAck.class);
    assertEquals(pid, ack.packetId());
    return ack;
  }

  public void publish(String topic, String payload, QoS qos, boolean retain) {
    publish(topic, payload, qos, retain, Properties.NONE);
  }

  public void publish(String topic, String payload, QoS qos, boolean retain, Properties props) {
    int pid = qos == QoS.AT_MOST_ONCE ? 0 : packetId();
    send(
        new Publish(
            topic.isEmpty() ? TopicName.EMPTY : TopicName.of(topic),
            qos,
            retain,
            false,
            pid,
            Bytes.utf8(payload),
            props));
  }

  public Publish expectPublish(String topic, String payload) {
    Publish p = expect(Publish.class);
    assertEquals(topic, p.topic().value());
    assertEquals(payload, p.payload().asUtf8());
    return p;
  }
}
