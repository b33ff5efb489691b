package dev.stratus.core.store.memory;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.store.Page;
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
 * topics starting with {@code $} [MQTT-4.7.2-1].
 *
 * <p>Concurrency: nodes hold concurrent maps, so {@link #match} takes no lock and sees every
 * subscription whose {@link #put} returned before it started. Subscriptions of one node change
 * under that node's monitor. A node left with no subscription and no child is unlinked from its
 * parent and marked dead (so devices that come and go do not grow the trie forever); a {@link #put}
 * that raced with the unlinking finds a dead node on its path, undoes its insert and retries.
 */
public final class MemorySubscriptionStore implements SubscriptionStore {

  /**
   * One filter level. The subscriber maps are created on first use: most nodes of a large trie hold
   * one subscriber or none, and an idle connection's subscription should cost little memory.
   */
  private static final class Node {
    final Node parent;
    final String level;
    final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(2);
    // guarded by this for writes; read without lock by match
    volatile ConcurrentHashMap<String, Subscription> direct;
    // share group name -> client id -> subscription
    volatile ConcurrentHashMap<String, ConcurrentHashMap<String, Subscription>> shared;
    // set under this, once, when the node is unlinked from its parent
    volatile boolean dead;

    Node(Node parent, String level) {
      this.parent = parent;
      this.level = level;
    }

    /** Called under this node's monitor. */
    boolean holdsNothing() {
      ConcurrentHashMap<String, Subscription> d = direct;
      ConcurrentHashMap<String, ConcurrentHashMap<String, Subscription>> g = shared;
      return children.isEmpty() && (d == null || d.isEmpty()) && (g == null || g.isEmpty());
    }
  }

  private final Node root = new Node(null, "");
  private final ConcurrentHashMap<String, ConcurrentHashMap<TopicFilter, Subscription>> byClient =
      new ConcurrentHashMap<>();
  private final AtomicLong count = new AtomicLong();

  @Override
  public Subscription put(Subscription subscription) {
    TopicFilter filter = subscription.filter();
    String[] levels = filter.filter().split("/", -1);
    retry:
    while (true) {
      Node node = root;
      for (String level : levels) {
        node = child(node, level);
        if (node == null) {
          continue retry; // a node on the path was unlinked while we walked
        }
      }
      synchronized (node) {
        if (node.dead) {
          continue;
        }
        insert(node, subscription);
        break;
      }
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

  /**
   * The child of {@code parent} for {@code level}, created if missing; null if {@code parent} was
   * unlinked. Children are only created under the parent's monitor, after checking that it is
   * alive, so a live node's ancestors are all linked.
   */
  private static Node child(Node parent, String level) {
    Node c = parent.children.get(level);
    if (c != null) {
      return c;
    }
    synchronized (parent) {
      if (parent.dead) {
        return null;
      }
      return parent.children.computeIfAbsent(level, k -> new Node(parent, k));
    }
  }

  /** Called under the node's monitor. */
  private static void insert(Node node, Subscription subscription) {
    TopicFilter filter = subscription.filter();
    if (filter.isShared()) {
      if (node.shared == null) {
        node.shared = new ConcurrentHashMap<>(2);
      }
      node.shared
          .computeIfAbsent(filter.shareGroup(), k -> new ConcurrentHashMap<>(2))
          .put(subscription.clientId(), subscription);
    } else {
      if (node.direct == null) {
        node.direct = new ConcurrentHashMap<>(2);
      }
      node.direct.put(subscription.clientId(), subscription);
    }
  }

  /** Called under the node's monitor. */
  private static void detach(Node node, String clientId, TopicFilter filter) {
    if (filter.isShared()) {
      var groups = node.shared;
      var group = groups == null ? null : groups.get(filter.shareGroup());
      if (group != null) {
        group.remove(clientId);
        if (group.isEmpty()) {
          groups.remove(filter.shareGroup(), group);
        }
      }
    } else if (node.direct != null) {
      node.direct.remove(clientId);
    }
  }

  /**
   * Unlinks empty nodes from {@code node} upwards. A node's children are added under its monitor,
   * which is held here, so an empty child map cannot hide a child being added.
   */
  private void prune(Node node) {
    while (node != root) {
      Node parent = node.parent;
      synchronized (node) {
        if (node.dead || !node.holdsNothing()) {
          return;
        }
        node.dead = true;
        parent.children.remove(node.level, node);
      }
      node = parent;
    }
  }

  @Override
  public boolean remove(String clientId, TopicFilter filter) {
    ConcurrentHashMap<TopicFilter, Subscription> mine = byClient.get(clientId);
    if (mine == null || mine.remove(filter) == null) {
      return false;
    }
    count.decrementAndGet();
    while (true) {
      Node node = find(filter);
      if (node == null) {
        return true;
      }
      synchronized (node) {
        if (node.dead) {
          continue; // unlinked meanwhile: look again
        }
        detach(node, clientId, filter);
      }
      prune(node);
      return true;
    }
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
    var d = node.direct;
    if (d != null) {
      direct.addAll(d.values());
    }
    var groups = node.shared;
    if (groups == null) {
      return;
    }
    for (var group : groups.entrySet()) {
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

  /** Trie nodes below the root, for tests of pruning. */
  int nodeCount() {
    return countBelow(root);
  }

  private static int countBelow(Node node) {
    int n = 0;
    for (Node child : node.children.values()) {
      n += 1 + countBelow(child);
    }
    return n;
  }

  @Override
  public Page<Subscription> list(String cursor, int limit) {
    // client ids and filters never contain U+0000 [MQTT-1.5.4-2], so it separates them
    return MemoryPages.page(
        byClient.values().stream().flatMap(m -> m.values().stream()),
        s -> s.clientId() + "\u0000" + s.filter().value(),
        cursor,
        limit);
  }
}
