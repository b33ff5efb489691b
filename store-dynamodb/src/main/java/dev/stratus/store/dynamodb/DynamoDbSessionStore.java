package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.instant;
import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.num;
import static dev.stratus.store.dynamodb.Attrs.s;
import static dev.stratus.store.dynamodb.Attrs.str;

import dev.stratus.codec.MqttVersion;
import dev.stratus.core.store.Page;
import dev.stratus.core.store.Session;
import dev.stratus.core.store.SessionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/**
 * Sessions in the {@code sessions} table ({@link StratusTables#SESSIONS}), one item per client id:
 *
 * <pre>
 * pk         S  client id
 * v          S  MqttVersion name of the last connection
 * exp        N  session expiry interval, seconds (4294967295 = never)
 * expiresAt  N  when the session is deleted (seconds, 9 decimals); absent while connected
 * expShard   S  "e" when expiresAt is set and finite: puts the item on the sparse "expiry" index
 * will       M  pending will message (see {@link Attrs}), absent when none
 * willAt     N  when the pending will is published; absent when none
 * willShard  S  "w" when willAt is set: puts the item on the sparse "wills" index
 * ttl        N  epoch seconds for DynamoDB TTL: expiresAt + {@link #TTL_GRACE}
 * own        S  the owning principal ({@code Owners}: "user:alice", "anonymous"); absent for a
 *               session recorded before owners were
 * </pre>
 *
 * <p>The sweeper ({@code Broker.runTimers}) finds expired sessions and due wills with one Query on
 * each sparse index ({@code expShard = "e" AND expiresAt <= now}), so it reads only what is due.
 * Index reads are eventually consistent; the engine re-reads each session before acting on it.
 * DynamoDB TTL is a backstop only: it deletes items up to days late and knows nothing of a
 * session's subscriptions and messages, so it is set a day after the expiry, leaving the sweeper
 * (which deletes all of them) time to run first; and the engine treats a session past its {@code
 * expiresAt} as gone at CONNECT whether or not either has run.
 *
 * <p>Both index partition keys are a constant: one index partition absorbs 1,000 writes/s, more
 * than the sessions that disconnect per second of most brokers. A bigger fleet would shard the
 * constant ({@code e0..e9}) and query each shard.
 */
public final class DynamoDbSessionStore implements SessionStore {

  /** How long after a session's expiry DynamoDB TTL may delete its item. */
  public static final Duration TTL_GRACE = Duration.ofDays(1);

  private final TableClient table;

  public DynamoDbSessionStore(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.SESSIONS.name(tablePrefix));
  }

  private static Map<String, AttributeValue> key(String clientId) {
    return Map.of("pk", s(clientId));
  }

  static Map<String, AttributeValue> toItem(Session session) {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put("pk", s(session.clientId()));
    item.put("v", s(session.version().name()));
    item.put("exp", n(session.expirySeconds()));
    if (session.expiresAt() != null) {
      item.put("expiresAt", instant(session.expiresAt()));
      if (!session.expiresAt().equals(Instant.MAX)) {
        item.put("expShard", s("e"));
        item.put("ttl", n(session.expiresAt().plus(TTL_GRACE).getEpochSecond()));
      }
    }
    if (session.pendingWill() != null) {
      item.put("will", Attrs.message(session.pendingWill()));
    }
    if (session.willAt() != null) {
      item.put("willAt", instant(session.willAt()));
      item.put("willShard", s("w"));
    }
    if (session.owner() != null) {
      item.put("own", s(session.owner()));
    }
    return item;
  }

  static Session fromItem(Map<String, AttributeValue> item) {
    return new Session(
        str(item, "pk"),
        MqttVersion.valueOf(str(item, "v")),
        num(item, "exp", 0),
        instant(item.get("expiresAt")),
        Attrs.message(item.get("will")),
        instant(item.get("willAt")),
        str(item, "own"));
  }

  @Override
  public Session get(String clientId) {
    Map<String, AttributeValue> item =
        table.call(
            "get session",
            () ->
                table
                    .client
                    .getItem(b -> b.tableName(table.name).key(key(clientId)).consistentRead(true))
                    .item());
    return item == null || item.isEmpty() ? null : fromItem(item);
  }

  @Override
  public void put(Session session) {
    table.run(
        "put session",
        () -> table.client.putItem(b -> b.tableName(table.name).item(toItem(session))));
  }

  @Override
  public boolean remove(String clientId) {
    return table.call(
        "remove session",
        () ->
            table
                .client
                .deleteItem(
                    b ->
                        b.tableName(table.name)
                            .key(key(clientId))
                            .returnValues(ReturnValue.ALL_OLD))
                .hasAttributes());
  }

  private List<Session> due(String index, String shard, String shardValue, String at, Instant now) {
    QueryRequest q =
        QueryRequest.builder()
            .tableName(table.name)
            .indexName(index)
            .keyConditionExpression("#s = :s AND #t <= :now")
            .expressionAttributeNames(Map.of("#s", shard, "#t", at))
            .expressionAttributeValues(Map.of(":s", s(shardValue), ":now", instant(now)))
            .build();
    return table.queryAll("query " + index, q).stream()
        .map(DynamoDbSessionStore::fromItem)
        .toList();
  }

  @Override
  public List<Session> expired(Instant now) {
    return due("expiry", "expShard", "e", "expiresAt", now);
  }

  @Override
  public List<Session> willsDue(Instant now) {
    return due("wills", "willShard", "w", "willAt", now);
  }

  /** Reads the whole table: for {@code $SYS} statistics, not for the message path. */
  @Override
  public int count() {
    return (int)
        table.scanCount("count sessions", ScanRequest.builder().tableName(table.name).build());
  }

  /** One eventually consistent Scan of at most {@code limit} sessions. */
  @Override
  public Page<Session> list(String cursor, int limit) {
    return Pages.scan(
        table,
        "list sessions",
        ScanRequest.builder().tableName(table.name).build(),
        cursor,
        limit,
        DynamoDbSessionStore::fromItem);
  }
}
