package dev.stratus.core.store.memory;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.store.Subscription;
import dev.stratus.core.store.SubscriptionMatch;
import dev.stratus.core.store.SubscriptionStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Subscriptions in a topic trie, one node per filter level, for matching in time proportional to
 * the topic's depth rather than to the number of filters.
 *
 * <p>Matching a topic {@code l0/l1/.../ln} walks, at each level, the child named like the level,
 * the {@code +} child (one level, empty included) and the {@code #} child (this level and below,
 * the parent level included [MQTT-4.7.1-2]). At the root, {@code +} and {@code #} are skipped for
 * topics starting with {@code $} [MQTT-4.7.2-1]. Nodes are concurrent maps: {@link #match} takes no
 * lock and sees every subscription whose {@link #put} returned before it started. Emptied nodes are
 * kept (not pruned): cheap, and it avoids racing a concurrent put on the same path.
 */
public final class MemorySubscriptionStore implements SubscriptionStore {

  private static final class Node {
    final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, Subscription> direct = new ConcurrentHashMap<>();
    // share group name -> client id -> subscription
    final ConcurrentHashMap<String, ConcurrentHashMap<String, Subscription>> shared =
        new ConcurrentHashMap<>();
  }

  private final Node root = new Node();
  private final ConcurrentHashMap<String, ConcurrentHashMap<TopicFilter, Subscription>> byClient =
      new ConcurrentHashMap<>();
  private final AtomicLong count = new AtomicLong();

  @Override
  public Subscription put(Subscription subscription) {
    TopicFilter filter = subscription.filter();
    Node node = root;
    for (String level : filter.filter().split("/", -1)) {
      node = node.children.computeIfAbsent(level, k -> new Node());
    }
    if (filter.isShared()) {
      node.shared
          .computeIfAbsent(filter.shareGroup(), k -> new ConcurrentHashMap<>())
          .put(subscription.clientId(), subscription);
    } else {
      node.direct.put(subscription.clientId(), subscription);
    }
    Subscription previous =
        byClient
            .computeIfAbsent(subscription.clientId(), k -> new ConcurrentHashMap<>())
            .put(filter, subscription);
    if (previous == null) {
      count.incrementAndGet();
    }
    return previous;
  }

  @Override
  public boolean remove(String clientId, TopicFilter filter) {
    ConcurrentHashMap<TopicFilter, Subscription> mine = byClient.get(clientId);
    if (mine == null || mine.remove(filter) == null) {
      return false;
    }
    count.decrementAndGet();
    Node node = find(filter);
    if (node != null) {
      if (filter.isShared()) {
        ConcurrentHashMap<String, Subscription> group = node.shared.get(filter.shareGroup());
        if (group != null) {
          group.remove(clientId);
        }
      } else {
        node.direct.remove(clientId);
      }
    }
    return true;
  }

  private Node find(TopicFilter filter) {
    Node node = root;
    for (String level : filter.filter().split("/", -1)) {
      node = node.children.get(level);
      if (node == null) {
        return null;
      }
    }
    return node;
  }

  @Override
  public void removeAll(String clientId) {
    ConcurrentHashMap<TopicFilter, Subscription> mine = byClient.get(clientId);
    if (mine == null) {
      return;
    }
    for (TopicFilter filter : List.copyOf(mine.keySet())) {
      remove(clientId, filter);
    }
    byClient.remove(clientId, mine);
  }

  @Override
  public List<Subscription> forClient(String clientId) {
    ConcurrentHashMap<TopicFilter, Subscription> mine = byClient.get(clientId);
    return mine == null ? List.of() : List.copyOf(mine.values());
  }

  @Override
  public SubscriptionMatch match(TopicName topic) {
    String[] levels = topic.value().split("/", -1);
    List<Subscription> direct = new ArrayList<>();
    List<SubscriptionMatch.SharedGroup> shared = new ArrayList<>();
    walk(root, levels, 0, topic.isSystem(), direct, shared);
    if (direct.isEmpty() && shared.isEmpty()) {
      return SubscriptionMatch.EMPTY;
    }
    return new SubscriptionMatch(direct, shared);
  }

  private static void walk(
      Node node,
      String[] levels,
      int depth,
      boolean system,
      List<Subscription> direct,
      List<SubscriptionMatch.SharedGroup> shared) {
    boolean wildcardsAllowed = !(depth == 0 && system);
    if (wildcardsAllowed) {
      Node hash = node.children.get("#");
      if (hash != null) {
        collect(hash, direct, shared);
      }
    }
    if (depth == levels.length) {
      collect(node, direct, shared);
      return;
    }
    Node exact = node.children.get(levels[depth]);
    if (exact != null) {
      walk(exact, levels, depth + 1, system, direct, shared);
    }
    if (wildcardsAllowed) {
      Node plus = node.children.get("+");
      if (plus != null) {
        walk(plus, levels, depth + 1, system, direct, shared);
      }
    }
  }

  private static void collect(
      Node node, List<Subscription> direct, List<SubscriptionMatch.SharedGroup> shared) {
    direct.addAll(node.direct.values());
    for (var group : node.shared.entrySet()) {
      List<Subscription> members = List.copyOf(group.getValue().values());
      if (!members.isEmpty()) {
        // all members of one group at one node share the filter, so name + filter is the key
        String key = group.getKey() + "/" + members.getFirst().filter().filter();
        shared.add(new SubscriptionMatch.SharedGroup(key, members));
      }
    }
  }

  @Override
  public long count() {
    return count.get();
  }
}
