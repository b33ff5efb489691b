package dev.stratus.core.store;

import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import java.util.Objects;

/**
 * One subscription of one client. A client has at most one subscription per filter: a SUBSCRIBE
 * with the same filter replaces it [MQTT-3.8.4-3].
 *
 * @param subscriptionId the MQTT 5 Subscription Identifier, or 0 when none
 */
public record Subscription(
    String clientId,
    TopicFilter filter,
    QoS maxQos,
    boolean noLocal,
    boolean retainAsPublished,
    RetainHandling retainHandling,
    int subscriptionId) {
  public Subscription {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(maxQos, "maxQos");
    Objects.requireNonNull(retainHandling, "retainHandling");
  }
}
