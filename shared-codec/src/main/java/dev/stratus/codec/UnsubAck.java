package dev.stratus.codec;

import java.util.List;
import java.util.Objects;

/** UNSUBACK. MQTT 5 carries one reason code per filter; 3.1/3.1.1 carry none (an empty list). */
public record UnsubAck(int packetId, List<ReasonCode> reasonCodes, Properties properties)
    implements Packet {
  public UnsubAck {
    reasonCodes = List.copyOf(reasonCodes);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.UNSUBACK;
  }
}
