package dev.stratus.codec;

import java.util.Objects;

/** AUTH (MQTT 5 only): enhanced authentication exchange. */
public record Auth(ReasonCode reasonCode, Properties properties) implements Packet {
  public Auth {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.AUTH;
  }
}
