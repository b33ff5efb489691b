package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.instant;
import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.num;
import static dev.stratus.store.dynamodb.Attrs.s;
import static dev.stratus.store.dynamodb.Attrs.str;

import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.TopicName;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.ConnectionStore;
import dev.stratus.core.store.Page;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/**
 * Live connections in the {@code connections} table ({@link StratusTables#CONNECTIONS}):
 *
 * <pre>
 * pk "K#" connection id   the connection record:
 *     edge S (the edge holding the socket, e.g. "bridge-1a2b/tcp" or "apigw": where deliveries
 *     go), ra S remote address, cs S certificate subject, at N opened at, cid S client id,
 *     v S MqttVersion name, ka N keepalive, will M will message, wd N will delay,
 *     se N session expiry, rm N receive maximum, mps N maximum packet size, tam N topic alias
 *     maximum, user S the principal's user name, roles SS its roles, tok S a bearer token from the
 *     edge awaiting CONNECT (absent attributes: null, empty or not connected);
 *     deadline N keepalive deadline and dlShard S "d" while one is set (the sparse "deadlines"
 *     index); ia M inbound aliases {alias: topic}; oa M outbound aliases {topic: alias} and
 *     oan N the last outbound alias given
 * pk "B#" client id       the binding: conn S the connection id that holds the client id
 * pk "U#" user name       n N live connections of that user, kept only while the engine enforces
 *                         a per-user connection limit: one atomic ADD per connect and per end
 * </pre>
 *
 * <p><b>Takeover</b> [MQTT-3.1.4-3]: {@link #bind} is one PutItem on the binding with {@code
 * ReturnValues ALL_OLD}, atomic in DynamoDB: of two concurrent CONNECTs with one client id, on two
 * processes, exactly one sees the other's connection and takes it over. {@link #remove} deletes the
 * binding only with the condition {@code conn = <this connection>}, so a connection that was taken
 * over never unbinds its successor.
 *
 * <p>{@link #put} is an UpdateItem rather than a PutItem, so that the deadline and the alias maps
 * survive a record update. {@link #overdue} queries the sparse index for deadlines at or before now
 * (eventually consistent; the engine re-reads before closing). {@link #connectedCount} scans the
 * table (for {@code $SYS}).
 */
public final class DynamoDbConnectionStore implements ConnectionStore {
  private final TableClient table;
  private final double deadlinePad;

  /** The deadline and keepalive of the record this thread read last (see {@link #setDeadline}). */
  private record LastRead(ConnectionId id, Instant deadline, int keepAliveSeconds) {}

  private final ThreadLocal<LastRead> lastRead = new ThreadLocal<>();

  public DynamoDbConnectionStore(DynamoDbClient client, String tablePrefix) {
    this(client, tablePrefix, 0);
  }

  /**
   * A store that pads keepalive deadlines to save writes (docs/cost.md, "Cheap keepalive").
   *
   * @param deadlinePad 0 to store every deadline exactly (the store contract's default); above 0, a
   *     deadline is stored {@code deadlinePad} keepalive periods later than asked, and a new
   *     deadline that does not pass the stored one (known from the record the engine just read,
   *     {@link #get}) is not written at all. A connection silent for 1.5 keepalives is then found
   *     overdue up to {@code deadlinePad} keepalives late, never early.
   */
  public DynamoDbConnectionStore(DynamoDbClient client, String tablePrefix, double deadlinePad) {
    if (!(deadlinePad >= 0)) {
      throw new IllegalArgumentException("deadlinePad must be >= 0: " + deadlinePad);
    }
    this.table = new TableClient(client, StratusTables.CONNECTIONS.name(tablePrefix));
    this.deadlinePad = deadlinePad;
  }

  private static Map<String, AttributeValue> key(ConnectionId id) {
    return Map.of("pk", s("K#" + id.value()));
  }

  private static Map<String, AttributeValue> binding(String clientId) {
    return Map.of("pk", s("B#" + clientId));
  }

  /** The record's attributes; a null value means the attribute is removed. */
  private static Map<String, AttributeValue> attributes(ConnectionRecord r) {
    Map<String, AttributeValue> a = new LinkedHashMap<>();
    a.put("edge", s(r.edge()));
    a.put("ra", r.remoteAddress() == null ? null : s(r.remoteAddress()));
    a.put("cs", r.certificateSubject() == null ? null : s(r.certificateSubject()));
    a.put("at", instant(r.openedAt()));
    a.put("cid", r.clientId() == null ? null : s(r.clientId()));
    a.put("v", r.version() == null ? null : s(r.version().name()));
    a.put("ka", n(r.keepAliveSeconds()));
    a.put("will", r.will() == null ? null : Attrs.message(r.will()));
    a.put("wd", n(r.willDelaySeconds()));
    a.put("se", n(r.sessionExpirySeconds()));
    a.put("rm", n(r.receiveMaximum()));
    a.put("mps", n(r.maximumPacketSize()));
    a.put("tam", n(r.topicAliasMaximum()));
    a.put("user", r.username() == null ? null : s(r.username()));
    // a string set cannot be empty in DynamoDB: no roles is no attribute
    a.put("roles", r.roles().isEmpty() ? null : AttributeValue.fromSs(List.copyOf(r.roles())));
    a.put("tok", r.bearerToken() == null ? null : s(r.bearerToken()));
    return a;
  }

  private static ConnectionRecord fromItem(Map<String, AttributeValue> item) {
    String v = str(item, "v");
    return new ConnectionRecord(
        new ConnectionId(str(item, "pk").substring(2)),
        str(item, "edge"),
        str(item, "ra"),
        str(item, "cs"),
        instant(item.get("at")),
        str(item, "cid"),
        v == null ? null : MqttVersion.valueOf(v),
        (int) num(item, "ka", 0),
        Attrs.message(item.get("will")),
        num(item, "wd", 0),
        num(item, "se", 0),
        (int) num(item, "rm", 65_535),
        num(item, "mps", Long.MAX_VALUE),
        (int) num(item, "tam", 0),
        str(item, "user"),
        item.containsKey("roles") ? Set.copyOf(item.get("roles").ss()) : Set.of(),
        str(item, "tok"));
  }

  @Override
  public void put(ConnectionRecord record) {
    Map<String, String> names = new HashMap<>();
    Map<String, AttributeValue> values = new HashMap<>();
    List<String> set = new ArrayList<>();
    List<String> remove = new ArrayList<>();
    attributes(record)
        .forEach(
            (k, v) -> {
              names.put("#" + k, k);
              if (v == null) {
                remove.add("#" + k);
              } else {
                set.add("#" + k + " = :" + k);
                values.put(":" + k, v);
              }
            });
    // the alias maps exist from the start, so that one alias can be set by a nested path
    names.put("#ia", "ia");
    names.put("#oa", "oa");
    values.put(":empty", AttributeValue.fromM(Map.of()));
    set.add("#ia = if_not_exists(#ia, :empty)");
    set.add("#oa = if_not_exists(#oa, :empty)");
    String update =
        "SET "
            + String.join(", ", set)
            + (remove.isEmpty() ? "" : " REMOVE " + String.join(", ", remove));
    table.run(
        "put connection",
        () ->
            table.client.updateItem(
                b ->
                    b.tableName(table.name)
                        .key(key(record.id()))
                        .updateExpression(update)
                        .expressionAttributeNames(names)
                        .expressionAttributeValues(values)));
  }

  private Map<String, AttributeValue> item(ConnectionId id) {
    Map<String, AttributeValue> item =
        table.call(
            "get connection",
            () ->
                table
                    .client
                    .getItem(b -> b.tableName(table.name).key(key(id)).consistentRead(true))
                    .item());
    return item == null || item.isEmpty() ? null : item;
  }

  @Override
  public ConnectionRecord get(ConnectionId id) {
    Map<String, AttributeValue> item = item(id);
    if (deadlinePad > 0) {
      // the engine reads the record at each packet just before it moves the deadline: remember
      // the stored deadline, which the same GetItem returned, so setDeadline may skip its write
      lastRead.set(
          item == null
              ? null
              : new LastRead(
                  id,
                  item.containsKey("deadline") ? instant(item.get("deadline")) : null,
                  (int) num(item, "ka", 0)));
    }
    return item == null ? null : fromItem(item);
  }

  @Override
  public ConnectionId bind(String clientId, ConnectionId id) {
    Map<String, AttributeValue> old =
        table.call(
            "bind client id",
            () ->
                table
                    .client
                    .putItem(
                        b ->
                            b.tableName(table.name)
                                .item(Map.of("pk", s("B#" + clientId), "conn", s(id.value())))
                                .returnValues(ReturnValue.ALL_OLD))
                    .attributes());
    return old == null || old.isEmpty() ? null : new ConnectionId(str(old, "conn"));
  }

  @Override
  public ConnectionId connectionOf(String clientId) {
    Map<String, AttributeValue> item =
        table.call(
            "connection of client id",
            () ->
                table
                    .client
                    .getItem(
                        b -> b.tableName(table.name).key(binding(clientId)).consistentRead(true))
                    .item());
    return item == null || item.isEmpty() ? null : new ConnectionId(str(item, "conn"));
  }

  @Override
  public ConnectionRecord remove(ConnectionId id) {
    return table.call(
        "remove connection",
        () -> {
          Map<String, AttributeValue> old =
              table
                  .client
                  .deleteItem(
                      b -> b.tableName(table.name).key(key(id)).returnValues(ReturnValue.ALL_OLD))
                  .attributes();
          if (old == null || old.isEmpty()) {
            return null;
          }
          ConnectionRecord r = fromItem(old);
          if (r.clientId() != null) {
            try {
              table.client.deleteItem(
                  b ->
                      b.tableName(table.name)
                          .key(binding(r.clientId()))
                          .conditionExpression("conn = :id")
                          .expressionAttributeValues(Map.of(":id", s(id.value()))));
            } catch (ConditionalCheckFailedException takenOver) {
              // a newer connection holds the client id: its binding stays
            }
          }
          return r;
        });
  }

  @Override
  public void setDeadline(ConnectionId id, Instant asked) {
    Instant deadline = asked;
    if (deadlinePad > 0 && asked != null) {
      LastRead known = lastRead.get();
      lastRead.remove();
      if (known != null && known.id().equals(id)) {
        if (known.deadline() != null && !asked.isAfter(known.deadline())) {
          return; // the stored (padded) deadline is still later: nothing closes early
        }
        deadline = asked.plusMillis(Math.round(known.keepAliveSeconds() * 1000.0 * deadlinePad));
      }
    }
    Instant stored = deadline;
    table.run(
        "set deadline",
        () -> {
          try {
            if (stored == null) {
              table.client.updateItem(
                  b ->
                      b.tableName(table.name)
                          .key(key(id))
                          .updateExpression("REMOVE deadline, dlShard")
                          .conditionExpression("attribute_exists(pk)"));
            } else {
              table.client.updateItem(
                  b ->
                      b.tableName(table.name)
                          .key(key(id))
                          .updateExpression("SET deadline = :d, dlShard = :s")
                          .conditionExpression("attribute_exists(pk)")
                          .expressionAttributeValues(Map.of(":d", instant(stored), ":s", s("d"))));
            }
          } catch (ConditionalCheckFailedException gone) {
            // the connection was removed meanwhile: no deadline to keep
          }
        });
  }

  @Override
  public List<ConnectionRecord> overdue(Instant now) {
    QueryRequest q =
        QueryRequest.builder()
            .tableName(table.name)
            .indexName("deadlines")
            .keyConditionExpression("dlShard = :s AND deadline <= :now")
            .expressionAttributeValues(Map.of(":s", s("d"), ":now", instant(now)))
            .build();
    return table.queryAll("overdue connections", q).stream()
        .map(DynamoDbConnectionStore::fromItem)
        .toList();
  }

  @Override
  public TopicName inboundAlias(ConnectionId id, int alias) {
    Map<String, AttributeValue> item = item(id);
    if (item == null || !item.containsKey("ia")) {
      return null;
    }
    AttributeValue topic = item.get("ia").m().get(Integer.toString(alias));
    return topic == null ? null : TopicName.of(topic.s());
  }

  @Override
  public void putInboundAlias(ConnectionId id, int alias, TopicName topic) {
    table.run(
        "put inbound alias",
        () -> {
          try {
            table.client.updateItem(
                b ->
                    b.tableName(table.name)
                        .key(key(id))
                        .updateExpression("SET ia.#a = :t")
                        .conditionExpression("attribute_exists(ia)")
                        .expressionAttributeNames(Map.of("#a", Integer.toString(alias)))
                        .expressionAttributeValues(Map.of(":t", s(topic.value()))));
          } catch (ConditionalCheckFailedException gone) {
            // the connection was removed meanwhile
          }
        });
  }

  @Override
  public OutboundAlias outboundAlias(ConnectionId id, TopicName topic, int maximum) {
    if (maximum <= 0) {
      return null;
    }
    return table.call(
        "outbound alias",
        () -> {
          // optimistic: read, then claim the next alias on condition nobody else changed oan
          while (true) {
            Map<String, AttributeValue> item = item(id);
            if (item == null || !item.containsKey("oa")) {
              return null;
            }
            AttributeValue known = item.get("oa").m().get(topic.value());
            if (known != null) {
              return new OutboundAlias(Integer.parseInt(known.n()), true);
            }
            long last = num(item, "oan", 0);
            if (last >= maximum) {
              return null; // aliases are never reassigned: the rest go with their full name
            }
            int next = (int) last + 1;
            Map<String, AttributeValue> values = new HashMap<>();
            values.put(":n", n(next));
            String condition;
            if (last == 0) {
              condition = "attribute_exists(oa) AND attribute_not_exists(oan)";
            } else {
              condition = "attribute_exists(oa) AND oan = :last";
              values.put(":last", n(last));
            }
            try {
              table.client.updateItem(
                  b ->
                      b.tableName(table.name)
                          .key(key(id))
                          .updateExpression("SET oa.#t = :n, oan = :n")
                          .conditionExpression(condition)
                          .expressionAttributeNames(Map.of("#t", topic.value()))
                          .expressionAttributeValues(values));
              return new OutboundAlias(next, false);
            } catch (ConditionalCheckFailedException raced) {
              continue; // another delivery took an alias (or the connection went): read again
            }
          }
        });
  }

  /** Reads the whole table: for {@code $SYS} statistics, not for the message path. */
  @Override
  public int connectedCount() {
    return (int)
        table.scanCount(
            "count connected",
            ScanRequest.builder()
                .tableName(table.name)
                .filterExpression("begins_with(pk, :b)")
                .expressionAttributeValues(Map.of(":b", s("B#")))
                .build());
  }

  /**
   * One Scan of at most {@code limit} items, the connection records ({@code K#}) among them; the
   * bindings ({@code B#}) it also reads are filtered out, so a page may hold fewer than {@code
   * limit} records. Eventually consistent: a listing, not a decision.
   */
  @Override
  public Page<ConnectionRecord> list(String cursor, int limit) {
    return Pages.scan(
        table,
        "list connections",
        ScanRequest.builder()
            .tableName(table.name)
            .filterExpression("begins_with(pk, :k)")
            .expressionAttributeValues(Map.of(":k", s("K#")))
            .build(),
        cursor,
        limit,
        DynamoDbConnectionStore::fromItem);
  }

  @Override
  public long addUserConnections(String username, int delta) {
    Map<String, AttributeValue> after =
        table.call(
            "count user connections",
            () ->
                table
                    .client
                    .updateItem(
                        b ->
                            b.tableName(table.name)
                                .key(Map.of("pk", s("U#" + username)))
                                .updateExpression("ADD n :d")
                                .expressionAttributeValues(Map.of(":d", n(delta)))
                                .returnValues(ReturnValue.UPDATED_NEW))
                    .attributes());
    return num(after, "n", 0);
  }
}
