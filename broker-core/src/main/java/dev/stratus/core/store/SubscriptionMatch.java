package dev.stratus.core.store;

import java.util.List;

/**
 * The subscriptions matching one topic name.
 *
 * @param direct every matching non-shared subscription; a client may appear several times when
 *     several of its filters overlap
 * @param shared every matching shared subscription group, each with all its members' matching
 *     subscriptions; the engine delivers one copy per group [MQTT 5.0 §4.8.2]
 */
public record SubscriptionMatch(List<Subscription> direct, List<SharedGroup> shared) {
  public static final SubscriptionMatch EMPTY = new SubscriptionMatch(List.of(), List.of());

  /**
   * The members of one share group ({@code $share/{group}/{filter}}) matching the topic.
   *
   * @param key the group name and filter, e.g. {@code g/sensors/#}: groups with the same name and
   *     different filters are different groups
   */
  public record SharedGroup(String key, List<Subscription> members) {}

  public boolean isEmpty() {
    return direct.isEmpty() && shared.isEmpty();
  }
}
