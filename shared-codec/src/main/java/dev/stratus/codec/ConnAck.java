package dev.stratus.codec;

import java.util.Objects;

/**
 * CONNACK. In 3.1/3.1.1 the reason is written as the return code {@link
 * ReasonCode#v3ConnectReturnCode()}.
 */
public record ConnAck(boolean sessionPresent, ReasonCode reasonCode, Properties properties)
    implements Packet {
  public ConnAck {
    Objects.requireNonNull(reasonCode, "reasonCode");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.CONNACK;
  }
}
