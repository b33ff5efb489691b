package dev.stratus.codec;

import java.util.Objects;

/** DISCONNECT. 3.1/3.1.1 carry no reason: {@link ReasonCode#NORMAL_DISCONNECTION}. */
public record Disconnect(ReasonCode reasonCode, Properties properties) implements Packet {
  public static final Disconnect NORMAL =
      new Disconnect(ReasonCode.NORMAL_DISCONNECTION, Properties.NONE);

  public Disconnect {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.DISCONNECT;
  }
}
