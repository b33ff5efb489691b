package dev.stratus.codec;

import java.util.Objects;

/** PUBREC. 3.1/3.1.1 carry only the packet id: reason {@link ReasonCode#SUCCESS}, no properties. */
public record PubRec(int packetId, ReasonCode reasonCode, Properties properties) implements Packet {
  public PubRec {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  public PubRec(int packetId) {
    this(packetId, ReasonCode.SUCCESS, Properties.NONE);
  }

  @Override
  public PacketType type() {
    return PacketType.PUBREC;
  }
}
