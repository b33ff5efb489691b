package dev.stratus.loadgen;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import java.nio.charset.StandardCharsets;

/**
 * {@code count} identical PUBLISH packets encoded once, back to back, so that a publisher sends a
 * whole batch with one write. QoS 1 packets need distinct packet ids: {@link #assignPacketIds}
 * patches them in place, at the offset the encoder put them (after the topic name [MQTT-3.3.2-1]).
 * The payload is the last field of a PUBLISH, so {@link #payloadOffset} lets the latency scenario
 * write a timestamp into it.
 */
final class PublishBatch {
  private final byte[] bytes;
  private final int packetSize;
  private final int count;
  private final int packetIdOffset;
  private final int payloadOffset;
  private int nextPacketId = 1;

  PublishBatch(TopicName topic, QoS qos, int payloadBytes, MqttVersion version, int count) {
    byte[] payload = new byte[payloadBytes];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) ('a' + i % 26);
    }
    int templateId = qos == QoS.AT_MOST_ONCE ? 0 : 1;
    Publish publish =
        new Publish(topic, qos, false, false, templateId, Bytes.wrap(payload), Properties.NONE);
    byte[] one = PacketEncoder.encode(publish, version);
    this.packetSize = one.length;
    this.count = count;
    this.bytes = new byte[packetSize * count];
    for (int i = 0; i < count; i++) {
      System.arraycopy(one, 0, bytes, i * packetSize, packetSize);
    }
    int remainingLengthBytes = 1;
    while ((one[remainingLengthBytes] & 0x80) != 0) {
      remainingLengthBytes++;
    }
    int topicOffset = 1 + remainingLengthBytes;
    this.packetIdOffset = topicOffset + 2 + topic.value().getBytes(StandardCharsets.UTF_8).length;
    this.payloadOffset = packetSize - payloadBytes;
    if (qos != QoS.AT_MOST_ONCE && (one[packetIdOffset] != 0 || one[packetIdOffset + 1] != 1)) {
      throw new IllegalStateException("the encoder did not put the packet id after the topic");
    }
  }

  /** Gives the packets the next {@code n} packet ids, 1..65535 then again from 1. */
  void assignPacketIds(int n) {
    for (int i = 0; i < n; i++) {
      int at = i * packetSize + packetIdOffset;
      bytes[at] = (byte) (nextPacketId >>> 8);
      bytes[at + 1] = (byte) nextPacketId;
      nextPacketId = nextPacketId == 0xFFFF ? 1 : nextPacketId + 1;
    }
  }

  /** Writes {@code nanos} big-endian into the first 8 payload bytes of packet {@code index}. */
  void stampPayload(int index, long nanos) {
    int at = index * packetSize + payloadOffset;
    for (int i = 0; i < 8; i++) {
      bytes[at + i] = (byte) (nanos >>> (56 - 8 * i));
    }
  }

  byte[] bytes() {
    return bytes;
  }

  int packetSize() {
    return packetSize;
  }

  int count() {
    return count;
  }

  /**
   * A PUBACK encoded once per connection; {@link #putPubAck} copies it with another packet id. The
   * packet id is at the same place (bytes 2 and 3) in 3.1.1 and 5 [MQTT-3.4.2-1].
   */
  static byte[] pubAckTemplate(MqttVersion version) {
    byte[] template = PacketEncoder.encode(new PubAck(1), version);
    if (template.length < 4 || template[2] != 0 || template[3] != 1) {
      throw new IllegalStateException("unexpected PUBACK encoding");
    }
    return template;
  }

  /** Appends a PUBACK for {@code packetId} at {@code offset}; returns the offset after it. */
  static int putPubAck(byte[] template, int packetId, byte[] out, int offset) {
    System.arraycopy(template, 0, out, offset, template.length);
    out[offset + 2] = (byte) (packetId >>> 8);
    out[offset + 3] = (byte) packetId;
    return offset + template.length;
  }
}
