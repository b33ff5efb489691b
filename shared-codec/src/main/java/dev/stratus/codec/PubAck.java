package dev.stratus.codec;

import java.util.Objects;

/** PUBACK. 3.1/3.1.1 carry only the packet id: reason {@link ReasonCode#SUCCESS}, no properties. */
public record PubAck(int packetId, ReasonCode reasonCode, Properties properties) implements Packet {
  public PubAck {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  public PubAck(int packetId) {
    this(packetId, ReasonCode.SUCCESS, Properties.NONE);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBACK;
  }
}
