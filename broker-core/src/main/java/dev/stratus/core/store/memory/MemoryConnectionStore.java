package dev.stratus.core.store.memory;

import dev.stratus.codec.TopicName;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.ConnectionStore;
import dev.stratus.core.store.Page;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Live connections in concurrent maps. {@link #overdue} scans all connections: it runs from the
 * once-a-second timer, never on the publish path.
 */
public final class MemoryConnectionStore implements ConnectionStore {

  private static final class Entry {
    volatile ConnectionRecord record;
    volatile Instant deadline;
    // created on first use: most connections never use topic aliases
    volatile ConcurrentHashMap<Integer, TopicName> inboundAliases;
    volatile ConcurrentHashMap<TopicName, Integer> outboundAliases;

    Entry(ConnectionRecord record) {
      this.record = record;
    }
  }

  private final ConcurrentHashMap<ConnectionId, Entry> entries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConnectionId> byClient = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> userConnections = new ConcurrentHashMap<>();

  @Override
  public void put(ConnectionRecord record) {
    entries.compute(
        record.id(),
        (id, existing) -> {
          if (existing == null) {
            return new Entry(record);
          }
          existing.record = record;
          return existing;
        });
  }

  @Override
  public ConnectionRecord get(ConnectionId id) {
    Entry e = entries.get(id);
    return e == null ? null : e.record;
  }

  @Override
  public ConnectionId bind(String clientId, ConnectionId id) {
    return byClient.put(clientId, id);
  }

  @Override
  public ConnectionId connectionOf(String clientId) {
    return byClient.get(clientId);
  }

  @Override
  public ConnectionRecord remove(ConnectionId id) {
    Entry e = entries.remove(id);
    if (e == null) {
      return null;
    }
    ConnectionRecord r = e.record;
    if (r.clientId() != null) {
      byClient.remove(r.clientId(), id);
    }
    return r;
  }

  @Override
  public void setDeadline(ConnectionId id, Instant deadline) {
    Entry e = entries.get(id);
    if (e != null) {
      e.deadline = deadline;
    }
  }

  @Override
  public List<ConnectionRecord> overdue(Instant now) {
    List<ConnectionRecord> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      Instant d = e.deadline;
      if (d != null && !d.isAfter(now)) {
        out.add(e.record);
      }
    }
    return out;
  }

  @Override
  public TopicName inboundAlias(ConnectionId id, int alias) {
    Entry e = entries.get(id);
    var aliases = e == null ? null : e.inboundAliases;
    return aliases == null ? null : aliases.get(alias);
  }

  @Override
  public void putInboundAlias(ConnectionId id, int alias, TopicName topic) {
    Entry e = entries.get(id);
    if (e != null) {
      synchronized (e) {
        if (e.inboundAliases == null) {
          e.inboundAliases = new ConcurrentHashMap<>(4);
        }
      }
      e.inboundAliases.put(alias, topic);
    }
  }

  @Override
  public OutboundAlias outboundAlias(ConnectionId id, TopicName topic, int maximum) {
    Entry e = entries.get(id);
    if (e == null || maximum <= 0) {
      return null;
    }
    var aliases = e.outboundAliases;
    Integer known = aliases == null ? null : aliases.get(topic);
    if (known != null) {
      return new OutboundAlias(known, true);
    }
    synchronized (e) {
      if (e.outboundAliases == null) {
        e.outboundAliases = new ConcurrentHashMap<>(4);
      }
      known = e.outboundAliases.get(topic);
      if (known != null) {
        return new OutboundAlias(known, true);
      }
      int next = e.outboundAliases.size() + 1;
      if (next > maximum) {
        return null; // aliases are never reassigned: the rest go with their full topic name
      }
      e.outboundAliases.put(topic, next);
      return new OutboundAlias(next, false);
    }
  }

  @Override
  public long addUserConnections(String username, int delta) {
    Long n = userConnections.merge(username, (long) delta, Long::sum);
    if (n != null && n <= 0) {
      userConnections.remove(username, n); // no entry per user who left
      return n;
    }
    return n == null ? 0 : n;
  }

  @Override
  public int connectedCount() {
    return byClient.size();
  }

  @Override
  public Page<ConnectionRecord> list(String cursor, int limit) {
    return MemoryPages.page(
        entries.values().stream().map(e -> e.record).filter(r -> r != null),
        r -> r.id().value(),
        cursor,
        limit);
  }
}
