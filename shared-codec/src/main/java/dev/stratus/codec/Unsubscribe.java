package dev.stratus.codec;

import java.util.List;
import java.util.Objects;

/** UNSUBSCRIBE: at least one filter [MQTT-3.10.3-2]. */
public record Unsubscribe(int packetId, List<TopicFilter> filters, Properties properties)
    implements Packet {
  public Unsubscribe {
    filters = List.copyOf(filters);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.UNSUBSCRIBE;
  }
}
