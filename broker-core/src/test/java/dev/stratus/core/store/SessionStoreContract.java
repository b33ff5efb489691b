package dev.stratus.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link SessionStore} must do. Extend it with a factory for the implementation. */
public abstract class SessionStoreContract {
  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private SessionStore store;

  /** A new, empty store. */
  protected abstract SessionStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
  }

  @Test
  void putThenGetReturnsTheSession() {
    Session s = Session.connected("c1", MqttVersion.V5, 60);
    store.put(s);
    assertEquals(s, store.get("c1"));
    assertNull(store.get("c2"));
    assertEquals(1, store.count());
  }

  @Test
  void putReplacesAndRemoveDeletes() {
    store.put(Session.connected("c1", MqttVersion.V5, 60));
    Session replaced = Session.connected("c1", MqttVersion.V3_1_1, 10);
    store.put(replaced);
    assertEquals(replaced, store.get("c1"));
    assertTrue(store.remove("c1"));
    assertFalse(store.remove("c1"));
    assertNull(store.get("c1"));
    assertEquals(0, store.count());
  }

  @Test
  void expiredListsOnlyDisconnectedSessionsPastTheirExpiry() {
    store.put(Session.connected("live", MqttVersion.V5, 10));
    store.put(Session.connected("due", MqttVersion.V5, 10).disconnected(T0, null, null));
    store.put(Session.connected("later", MqttVersion.V5, 100).disconnected(T0, null, null));
    store.put(
        Session.connected("never", MqttVersion.V5, Session.NEVER).disconnected(T0, null, null));
    var expired = store.expired(T0.plusSeconds(10));
    assertEquals(1, expired.size());
    assertEquals("due", expired.getFirst().clientId());
  }

  @Test
  void willsDueListsSessionsWhoseWillTimeCame() {
    Message will =
        new Message(
            TopicName.of("w"),
            Bytes.utf8("x"),
            QoS.AT_MOST_ONCE,
            false,
            Properties.NONE,
            "a",
            null);
    store.put(
        Session.connected("a", MqttVersion.V5, 100).disconnected(T0, will, T0.plusSeconds(5)));
    store.put(
        Session.connected("b", MqttVersion.V5, 100).disconnected(T0, will, T0.plusSeconds(50)));
    assertTrue(store.willsDue(T0.plusSeconds(4)).isEmpty());
    var due = store.willsDue(T0.plusSeconds(5));
    assertEquals(1, due.size());
    assertEquals(will, due.getFirst().pendingWill());
  }

  @Test
  void listPagesThroughEverySessionOnce() {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    for (int i = 0; i < 9; i++) {
      store.put(Session.connected("s" + i, MqttVersion.V5, i));
      ids.add("s" + i);
    }
    Session off = Session.connected("off", MqttVersion.V3_1_1, 60).disconnected(T0, null, null);
    store.put(off);
    ids.add("off");
    for (int limit : new int[] {1, 4, 1000}) {
      java.util.List<Session> all = Paging.all(store::list, limit);
      assertEquals(ids.size(), all.size(), "each session once, limit " + limit);
      assertEquals(
          ids,
          new java.util.TreeSet<>(all.stream().map(Session::clientId).toList()),
          "limit " + limit);
      assertTrue(all.contains(off), "sessions come back as stored");
    }
    Paging.rejectsBadLimits(store::list);
  }

  @Test
  void ownerIsKeptThroughEveryChange() {
    Session s = Session.connected("c1", MqttVersion.V5, 60, "user:alice");
    store.put(s);
    assertEquals("user:alice", store.get("c1").owner());
    Session offline = s.disconnected(T0, null, null);
    store.put(offline);
    assertEquals(offline, store.get("c1"));
    assertEquals("user:alice", store.get("c1").owner());
    assertTrue(store.get("c1").ownedByOtherThan("user:bob"));
    assertFalse(store.get("c1").ownedByOtherThan("user:alice"));
    // a session recorded without an owner is nobody's
    store.put(Session.connected("c2", MqttVersion.V5, 60));
    assertNull(store.get("c2").owner());
    assertFalse(store.get("c2").ownedByOtherThan("anonymous"));
  }
}
