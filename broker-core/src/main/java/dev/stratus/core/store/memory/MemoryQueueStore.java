package dev.stratus.core.store.memory;

import dev.stratus.core.store.QueueStore;
import dev.stratus.core.store.QueuedDelivery;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** One deque per client, guarded by its own monitor. */
public final class MemoryQueueStore implements QueueStore {
  private final ConcurrentHashMap<String, ArrayDeque<QueuedDelivery>> queues =
      new ConcurrentHashMap<>();

  @Override
  public boolean offer(String clientId, QueuedDelivery delivery, int capacity) {
    ArrayDeque<QueuedDelivery> q = queues.computeIfAbsent(clientId, k -> new ArrayDeque<>());
    synchronized (q) {
      if (q.size() >= capacity) {
        return false;
      }
      q.addLast(delivery);
      return true;
    }
  }

  @Override
  public List<QueuedDelivery> poll(String clientId, int max) {
    ArrayDeque<QueuedDelivery> q = queues.get(clientId);
    if (q == null) {
      return List.of();
    }
    synchronized (q) {
      List<QueuedDelivery> out = new ArrayList<>(Math.min(max, q.size()));
      while (out.size() < max && !q.isEmpty()) {
        out.add(q.pollFirst());
      }
      return out;
    }
  }

  @Override
  public int size(String clientId) {
    ArrayDeque<QueuedDelivery> q = queues.get(clientId);
    if (q == null) {
      return 0;
    }
    synchronized (q) {
      return q.size();
    }
  }

  @Override
  public void clear(String clientId) {
    queues.remove(clientId);
  }
}
