package dev.stratus.codec;

import java.util.Objects;

/**
 * PUBCOMP. 3.1/3.1.1 carry only the packet id: reason {@link ReasonCode#SUCCESS}, no properties.
 */
public record PubComp(int packetId, ReasonCode reasonCode, Properties properties)
    implements Packet {
  public PubComp {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  public PubComp(int packetId) {
    this(packetId, ReasonCode.SUCCESS, Properties.NONE);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBCOMP;
  }
}
