package dev.stratus.core.store;

import dev.stratus.codec.QoS;
import dev.stratus.core.Message;
import java.util.List;
import java.util.Objects;

/**
 * A message waiting for its recipient: the client is offline, or its receive maximum is reached. It
 * gets a packet id only when it is sent.
 */
public record QueuedDelivery(
    Message message, QoS qos, boolean retain, List<Integer> subscriptionIds) {
  public QueuedDelivery {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(qos, "qos");
    subscriptionIds = List.copyOf(subscriptionIds);
  }
}
