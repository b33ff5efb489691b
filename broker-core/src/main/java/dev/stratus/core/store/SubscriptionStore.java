package dev.stratus.core.store;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import java.util.List;

/**
 * Subscriptions, indexed both by client and by filter for matching. A subscription added here is
 * visible to the next {@link #match} call on any thread, so that a PUBLISH after the SUBACK reaches
 * it. Implementations are thread-safe.
 */
public interface SubscriptionStore {

  /**
   * Adds or replaces the subscription of {@code subscription.clientId()} for its filter.
   *
   * @return the subscription it replaced, or null if it is new (for Retain Handling 1)
   */
  Subscription put(Subscription subscription);

  /** Removes one subscription; true if it existed. */
  boolean remove(String clientId, TopicFilter filter);

  /** Removes every subscription of the client. */
  void removeAll(String clientId);

  /** The client's subscriptions. */
  List<Subscription> forClient(String clientId);

  /**
   * The subscriptions whose filter matches {@code topic} by the rules of {@link
   * dev.stratus.codec.TopicMatcher}, topics starting with {@code $} excluded from leading wildcards
   * [MQTT-4.7.2-1].
   */
  SubscriptionMatch match(TopicName topic);

  /** The number of subscriptions of all clients. */
  long count();

  /**
   * Subscriptions of all clients in an order stable across calls (the admin API), at most {@code
   * limit} (1..1000) per page, starting after {@code cursor} (null for the first page). A page may
   * hold fewer than {@code limit} items while more follow: only {@link Page#next} says the end.
   */
  Page<Subscription> list(String cursor, int limit);
}
