package dev.stratus.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.TopicName;
import dev.stratus.core.ConnectionId;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link ConnectionStore} must do. Extend it with a factory for the implementation. */
public abstract class ConnectionStoreContract {
  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private ConnectionStore store;

  protected abstract ConnectionStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
  }

  protected static ConnectionRecord connected(String id, String clientId) {
    return new ConnectionRecord(
        new ConnectionId(id),
        "edge-1",
        "127.0.0.1:1",
        null,
        T0,
        clientId,
        MqttVersion.V5,
        30,
        null,
        0,
        0,
        10,
        Long.MAX_VALUE,
        0,
        null,
        java.util.Set.of(),
        null);
  }

  @Test
  void userConnectionCountsAreAtomicCounters() {
    // BrokerConfig.maxConnectionsPerUser counts through this: +1 per CONNECT, -1 per end
    assertEquals(1, store.addUserConnections("alice", 1));
    assertEquals(2, store.addUserConnections("alice", 1));
    assertEquals(1, store.addUserConnections("bob", 1));
    assertEquals(1, store.addUserConnections("alice", -1));
    assertEquals(0, store.addUserConnections("alice", -1));
    assertEquals(1, store.addUserConnections("alice", 1));
    // the counters are not connections
    assertEquals(0, store.connectedCount());
  }

  @Test
  void principalRolesAndTokenRoundTrip() {
    // the takeover check and the ACL read the principal and roles from the stored record
    // (docs/security.md), and an API Gateway token waits in the record until CONNECT
    ConnectionRecord opened =
        ConnectionRecord.opened(new ConnectionId("t"), "apigw", "10.0.0.1:1", null, "eyJ.a.b", T0);
    store.put(opened);
    assertEquals(opened, store.get(new ConnectionId("t")));
    ConnectionRecord c = connected("u", "client-u");
    ConnectionRecord withPrincipal =
        new ConnectionRecord(
            c.id(),
            c.edge(),
            c.remoteAddress(),
            "CN=device-7",
            c.openedAt(),
            c.clientId(),
            c.version(),
            c.keepAliveSeconds(),
            null,
            0,
            0,
            c.receiveMaximum(),
            c.maximumPacketSize(),
            0,
            "alice",
            java.util.Set.of("admins", "sensors"),
            null);
    store.put(withPrincipal);
    assertEquals(withPrincipal, store.get(new ConnectionId("u")));
    // once connected the record is put without the token, which must not linger
    store.put(connected("t", "client-t"));
    assertEquals(null, store.get(new ConnectionId("t")).bearerToken());
  }

  @Test
  void putGetRemove() {
    ConnectionRecord opened =
        ConnectionRecord.opened(new ConnectionId("x"), "edge-1", "127.0.0.1:1", null, T0);
    store.put(opened);
    assertEquals(opened, store.get(new ConnectionId("x")));
    assertEquals(0, store.connectedCount());
    ConnectionRecord c = connected("x", "client");
    store.put(c);
    assertEquals(c, store.get(new ConnectionId("x")));
    assertEquals(c, store.remove(new ConnectionId("x")));
    assertNull(store.remove(new ConnectionId("x")));
    assertNull(store.get(new ConnectionId("x")));
  }

  @Test
  void bindReturnsThePreviousConnectionOfTheClientId() {
    // [MQTT-3.1.4-3] the server must find the existing connection of a client id
    store.put(connected("one", "c"));
    assertNull(store.bind("c", new ConnectionId("one")));
    store.put(connected("two", "c"));
    assertEquals(new ConnectionId("one"), store.bind("c", new ConnectionId("two")));
    assertEquals(new ConnectionId("two"), store.connectionOf("c"));
    // removing the old connection leaves the newer binding alone
    store.remove(new ConnectionId("one"));
    assertEquals(new ConnectionId("two"), store.connectionOf("c"));
    assertEquals(1, store.connectedCount());
    store.remove(new ConnectionId("two"));
    assertNull(store.connectionOf("c"));
    assertEquals(0, store.connectedCount());
  }

  @Test
  void overdueListsConnectionsPastTheirDeadline() {
    store.put(connected("a", "a"));
    store.put(connected("b", "b"));
    store.put(connected("c", "c"));
    store.setDeadline(new ConnectionId("a"), T0.plusSeconds(10));
    store.setDeadline(new ConnectionId("b"), T0.plusSeconds(20));
    assertTrue(store.overdue(T0.plusSeconds(9)).isEmpty());
    assertEquals(
        List.of(new ConnectionId("a")),
        store.overdue(T0.plusSeconds(10)).stream().map(ConnectionRecord::id).toList());
    store.setDeadline(new ConnectionId("a"), null);
    assertTrue(store.overdue(T0.plusSeconds(15)).isEmpty());
  }

  @Test
  void topicAliasesArePerConnection() {
    store.put(connected("a", "a"));
    store.put(connected("b", "b"));
    ConnectionId a = new ConnectionId("a");
    store.putInboundAlias(a, 1, TopicName.of("t/1"));
    assertEquals(TopicName.of("t/1"), store.inboundAlias(a, 1));
    assertNull(store.inboundAlias(new ConnectionId("b"), 1));

    var first = store.outboundAlias(a, TopicName.of("x"), 2);
    assertEquals(new ConnectionStore.OutboundAlias(1, false), first);
    assertEquals(
        new ConnectionStore.OutboundAlias(1, true), store.outboundAlias(a, TopicName.of("x"), 2));
    assertEquals(2, store.outboundAlias(a, TopicName.of("y"), 2).alias());
    assertNull(store.outboundAlias(a, TopicName.of("z"), 2));
    store.remove(a);
    assertNull(store.inboundAlias(a, 1));
  }

  @Test
  void listPagesThroughEveryRecordOnce() {
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 7; i++) {
      store.put(connected("conn-" + i, "client-" + i));
      store.bind("client-" + i, new ConnectionId("conn-" + i));
      ids.add("conn-" + i);
    }
    store.put(ConnectionRecord.opened(new ConnectionId("half-open"), "edge-1", "ra", null, T0));
    ids.add("half-open");
    for (int limit : new int[] {1, 3, 100}) {
      List<ConnectionRecord> all = Paging.all(store::list, limit);
      assertEquals(
          new java.util.TreeSet<>(ids),
          new java.util.TreeSet<>(all.stream().map(r -> r.id().value()).toList()),
          "limit " + limit);
      assertEquals(ids.size(), all.size(), "each record once, limit " + limit);
    }
    assertEquals(
        connected("conn-3", "client-3"),
        store.list(null, 100).items().stream()
            .filter(r -> r.id().value().equals("conn-3"))
            .findFirst()
            .orElseThrow());
    store.remove(new ConnectionId("conn-3"));
    assertEquals(ids.size() - 1, Paging.all(store::list, 2).size());
    Paging.rejectsBadLimits(store::list);
  }
}
