package dev.stratus.codec;

import java.util.List;
import java.util.Objects;

/** SUBSCRIBE: at least one subscription [MQTT-3.8.3-3]. */
public record Subscribe(int packetId, List<TopicSubscription> subscriptions, Properties properties)
    implements Packet {
  public Subscribe {
    subscriptions = List.copyOf(subscriptions);
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.SUBSCRIBE;
  }
}
