package dev.stratus.core.store;

import java.time.Instant;
import java.util.List;

/** Sessions by client id. Implementations are thread-safe. */
public interface SessionStore {

  /** The session of this client id, or null. */
  Session get(String clientId);

  /** Creates or replaces the session of {@code session.clientId()}. */
  void put(Session session);

  /** Deletes the session record (not its subscriptions or messages); true if there was one. */
  boolean remove(String clientId);

  /** Disconnected sessions whose {@code expiresAt} is at or before {@code now}. */
  List<Session> expired(Instant now);

  /** Sessions whose pending will is due at or before {@code now}. */
  List<Session> willsDue(Instant now);

  int count();

  /**
   * Sessions in an order stable across calls (the admin API), at most {@code limit} (1..1000) per
   * page, starting after {@code cursor} (null for the first page).
   */
  Page<Session> list(String cursor, int limit);
}
