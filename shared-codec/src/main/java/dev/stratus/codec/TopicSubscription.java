package dev.stratus.codec;

import java.util.Objects;

/**
 * One entry of a SUBSCRIBE: a filter and its options. {@code noLocal}, {@code retainAsPublished}
 * and {@code retainHandling} are MQTT 5 options; 3.1.1 subscriptions carry false, false, SEND.
 */
public record TopicSubscription(
    TopicFilter filter,
    QoS maxQos,
    boolean noLocal,
    boolean retainAsPublished,
    RetainHandling retainHandling) {
  public TopicSubscription {
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(maxQos, "maxQos");
    Objects.requireNonNull(retainHandling, "retainHandling");
  }

  public TopicSubscription(TopicFilter filter, QoS maxQos) {
    this(filter, maxQos, false, false, RetainHandling.SEND);
  }
}
