package dev.stratus.core.store.memory;

import dev.stratus.core.store.Page;
import dev.stratus.core.store.Session;
import dev.stratus.core.store.SessionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sessions in a concurrent map. {@link #expired} and {@link #willsDue} scan every session: they run
 * from the once-a-second timer, not on the publish path.
 */
public final class MemorySessionStore implements SessionStore {
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();

  @Override
  public Session get(String clientId) {
    return sessions.get(clientId);
  }

  @Override
  public void put(Session session) {
    sessions.put(session.clientId(), session);
  }

  @Override
  public boolean remove(String clientId) {
    return sessions.remove(clientId) != null;
  }

  @Override
  public List<Session> expired(Instant now) {
    List<Session> out = new ArrayList<>();
    for (Session s : sessions.values()) {
      if (s.expiresAt() != null && !s.expiresAt().isAfter(now)) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public List<Session> willsDue(Instant now) {
    List<Session> out = new ArrayList<>();
    for (Session s : sessions.values()) {
      if (s.willAt() != null && !s.willAt().isAfter(now)) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public int count() {
    return sessions.size();
  }

  @Override
  public Page<Session> list(String cursor, int limit) {
    return MemoryPages.page(sessions.values().stream(), Session::clientId, cursor, limit);
  }
}
