package dev.stratus.core.store.memory;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import dev.stratus.core.store.Page;
import dev.stratus.core.store.RetainedStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retained messages in a trie of topic levels, so that a wildcard filter visits only the branches
 * it can match: {@code +} visits every child of one level, {@code #} the whole subtree including
 * its parent level [MQTT-4.7.1-2]; at the root both skip topics starting with {@code $}
 * [MQTT-4.7.2-1].
 *
 * <p>Concurrency: reads take no lock. One topic's trie node and map entry change together under the
 * node's monitor. Emptied nodes are unlinked and marked dead, exactly as in {@link
 * MemorySubscriptionStore}: a put that raced with the unlinking undoes itself and retries.
 */
public final class MemoryRetainedStore implements RetainedStore {

  private static final class Node {
    final Node parent;
    final String level;
    final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(2);
    volatile Message message;
    String owner; // guarded by the node's monitor
    volatile boolean dead;

    Node(Node parent, String level) {
      this.parent = parent;
      this.level = level;
    }
  }

  private final Node root = new Node(null, "");
  private final ConcurrentHashMap<TopicName, Message> byTopic = new ConcurrentHashMap<>();

  /** Topics owned per owner; an owner with none has no entry. */
  private final ConcurrentHashMap<String, Long> owned = new ConcurrentHashMap<>();

  @Override
  public boolean put(Message message, String owner, long maxOwned) {
    String[] levels = message.topic().value().split("/", -1);
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
        String previous = node.message == null ? null : node.owner;
        if (owner != null && !owner.equals(previous) && !acquire(owner, maxOwned)) {
          return false;
        }
        if (previous != null && !previous.equals(owner)) {
          release(previous);
        }
        node.message = message;
        node.owner = owner;
        byTopic.put(message.topic(), message);
        return true;
      }
    }
  }

  /** One more topic for {@code owner}, unless it owns {@code max} already (0: no limit). */
  private boolean acquire(String owner, long max) {
    boolean[] taken = {false};
    owned.compute(
        owner,
        (k, n) -> {
          long count = n == null ? 0 : n;
          if (max > 0 && count >= max) {
            return n;
          }
          taken[0] = true;
          return count + 1;
        });
    return taken[0];
  }

  private void release(String owner) {
    owned.computeIfPresent(owner, (k, n) -> n <= 1 ? null : n - 1);
  }

  @Override
  public long ownedCount(String owner) {
    return owned.getOrDefault(owner, 0L);
  }

  /**
   * As in {@link MemorySubscriptionStore}: children are created under the live parent's monitor.
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

  private void prune(Node node) {
    while (node != root) {
      Node parent = node.parent;
      synchronized (node) {
        if (node.dead || node.message != null || !node.children.isEmpty()) {
          return;
        }
        node.dead = true;
        parent.children.remove(node.level, node);
      }
      node = parent;
    }
  }

  @Override
  public boolean remove(TopicName topic) {
    String[] levels = topic.value().split("/", -1);
    retry:
    while (true) {
      Node node = root;
      for (String level : levels) {
        node = node.children.get(level);
        if (node == null) {
          return false;
        }
      }
      boolean removed;
      synchronized (node) {
        if (node.dead) {
          continue retry; // unlinked meanwhile; a newer node may hold the topic now
        }
        removed = node.message != null;
        if (removed) {
          if (node.owner != null) {
            release(node.owner);
          }
          node.message = null;
          node.owner = null;
          byTopic.remove(topic);
        }
      }
      prune(node);
      return removed;
    }
  }

  @Override
  public Message get(TopicName topic) {
    return byTopic.get(topic);
  }

  @Override
  public List<Message> match(TopicFilter filter) {
    List<Message> out = new ArrayList<>();
    walk(root, filter.filter().split("/", -1), 0, out);
    return out;
  }

  private static void walk(Node node, String[] levels, int depth, List<Message> out) {
    if (depth == levels.length) {
      add(node, out);
      return;
    }
    String level = levels[depth];
    switch (level) {
      case "#" -> {
        add(node, out); // "a/#" matches "a" itself
        for (var child : node.children.entrySet()) {
          if (depth > 0 || !child.getKey().startsWith("$")) {
            subtree(child.getValue(), out);
          }
        }
      }
      case "+" -> {
        for (var child : node.children.entrySet()) {
          if (depth > 0 || !child.getKey().startsWith("$")) {
            walk(child.getValue(), levels, depth + 1, out);
          }
        }
      }
      default -> {
        Node child = node.children.get(level);
        if (child != null) {
          walk(child, levels, depth + 1, out);
        }
      }
    }
  }

  private static void add(Node node, List<Message> out) {
    Message m = node.message;
    if (m != null) {
      out.add(m);
    }
  }

  private static void subtree(Node node, List<Message> out) {
    add(node, out);
    for (Node child : node.children.values()) {
      subtree(child, out);
    }
  }

  @Override
  public long count() {
    return byTopic.mappingCount();
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
  public Page<Message> list(String prefix, String cursor, int limit) {
    String under = prefix + "/";
    return MemoryPages.page(
        byTopic.values().stream()
            .filter(
                m ->
                    prefix.isEmpty()
                        || m.topic().value().equals(prefix)
                        || m.topic().value().startsWith(under)),
        m -> m.topic().value(),
        cursor,
        limit);
  }
}
