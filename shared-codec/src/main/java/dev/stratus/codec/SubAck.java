package dev.stratus.codec;

import java.util.List;
import java.util.Objects;

/**
 * SUBACK: one reason code per subscription, in order [MQTT-3.9.3-1]. In 3.1.1 the only failure is
 * 0x80 ({@link ReasonCode#UNSPECIFIED_ERROR}); the encoder writes other failures as 0x80 there.
 */
public record SubAck(int packetId, List<ReasonCode> reasonCodes, Properties properties)
    implements Packet {
  public SubAck {
    reasonCodes = List.copyOf(reasonCodes);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.SUBACK;
  }
}
