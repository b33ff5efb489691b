package dev.stratus.codec;

import java.util.Objects;

/**
 * PUBLISH as it is on the wire. {@code packetId} is 0 for QoS 0 (which has none [MQTT-2.2.1-2]).
 * {@code topic} is {@link TopicName#EMPTY} only in a v5 PUBLISH that names its topic by alias.
 */
public record Publish(
    TopicName topic,
    QoS qos,
    boolean retain,
    boolean dup,
    int packetId,
    Bytes payload,
    Properties properties)
    implements Packet {
  public Publish {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(qos, "qos");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.PUBLISH;
  }
}
