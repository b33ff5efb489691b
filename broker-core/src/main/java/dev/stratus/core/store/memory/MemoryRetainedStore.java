package dev.stratus.core.store.memory;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import dev.stratus.core.store.RetainedStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Retained messages in a trie of topic levels, so that a wildcard filter visits only the branches
 * it can match: {@code +} visits every child of one level, {@code #} the whole subtree including
 * its parent level [MQTT-4.7.1-2]; at the root both skip topics starting with {@code $}
 * [MQTT-4.7.2-1]. Emptied nodes are kept.
 */
public final class MemoryRetainedStore implements RetainedStore {

  private static final class Node {
    final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>();
    volatile Message message;
  }

  private final Node root = new Node();
  private final ConcurrentHashMap<TopicName, Message> byTopic = new ConcurrentHashMap<>();
  private final AtomicLong count = new AtomicLong();

  @Override
  public void put(Message message) {
    Node node = root;
    for (String level : message.topic().value().split("/", -1)) {
      node = node.children.computeIfAbsent(level, k -> new Node());
    }
    // the map decides whether the topic is new, so the count stays exact under races
    if (byTopic.put(message.topic(), message) == null) {
      count.incrementAndGet();
    }
    node.message = message;
  }

  @Override
  public boolean remove(TopicName topic) {
    if (byTopic.remove(topic) == null) {
      return false;
    }
    count.decrementAndGet();
    Node node = root;
    for (String level : topic.value().split("/", -1)) {
      node = node.children.get(level);
      if (node == null) {
        return true;
      }
    }
    node.message = null;
    return true;
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
    return count.get();
  }
}
