package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.num;
import static dev.stratus.store.dynamodb.Attrs.s;
import static dev.stratus.store.dynamodb.Attrs.str;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicMatcher;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import dev.stratus.core.store.Page;
import dev.stratus.core.store.RetainedStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/**
 * Retained messages in the {@code retained} table ({@link StratusTables#RETAINED}), one item per
 * topic [MQTT-3.3.1-5]:
 *
 * <pre>
 * pk   S  "L#" + the topic's first level ("L#" alone for a topic starting with "/")
 * sk   S  the topic
 * msg  M  the message (see {@link Attrs})
 * own  S  its owner ({@code Owners}: "user:alice", "anonymous"), absent when it has none
 * ttl  N  epoch seconds of the message's expiry, for DynamoDB TTL; absent if it never expires or
 *         has an owner
 * </pre>
 *
 * <p>and one counter item per owner:
 *
 * <pre>
 * pk   S  "O#" + owner
 * sk   S  "#"
 * n    N  retained topics the owner owns
 * </pre>
 *
 * <p><b>Owned topics</b> ({@code BrokerConfig.maxRetainedPerUser}). {@link #put(Message, String,
 * long)} first adds one to the owner's counter on the condition that it is below the limit (one
 * UpdateItem), then writes the message returning the old item (one PutItem); if the old item was
 * the owner's already, the counter is set back (one more UpdateItem); if it was another owner's,
 * that owner's counter drops by one. At the limit, a failed condition is followed by one GetItem
 * that lets the owner replace a topic it owns already. So a new topic costs two writes and a
 * replacement three, only while the limit is set. Owned messages get no TTL attribute: DynamoDB TTL
 * would delete them without adjusting the counter. An expired owned message is skipped like any
 * other and counts until its topic is replaced or cleared; the limit bounds how many there are.
 * Counter items are kept out of {@link #match}, {@link #count} and {@link #list} by a filter on the
 * {@code L#} prefix.
 *
 * <p>Lookup by filter ({@link #match}), what each costs:
 *
 * <ul>
 *   <li>no wildcard: one GetItem;
 *   <li>literal first level ({@code sensors/+/temp}, {@code a/b/#}): one Query of that first
 *       level's partition with {@code begins_with(sk, <literal levels before the first wildcard>)},
 *       then exact matching in code; reads the retained messages under that literal prefix, never
 *       the rest of the table;
 *   <li>wildcard first level ({@code #}, {@code +/status}): a Scan of the whole table, matched in
 *       code. It reads every retained message (1 read unit per 4 KB, strongly consistent), so its
 *       cost grows with the table; subscriptions like these are rare and happen at SUBSCRIBE, not
 *       per message.
 * </ul>
 *
 * <p>Expired messages are returned until TTL deletes them; the engine skips them. {@link #count}
 * scans the table (for {@code $SYS}).
 */
public final class DynamoDbRetainedStore implements RetainedStore {
  private final TableClient table;

  public DynamoDbRetainedStore(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.RETAINED.name(tablePrefix));
  }

  private static String partition(String topicOrFilter) {
    int slash = topicOrFilter.indexOf('/');
    return "L#" + (slash < 0 ? topicOrFilter : topicOrFilter.substring(0, slash));
  }

  private static Map<String, AttributeValue> key(TopicName topic) {
    return Map.of("pk", s(partition(topic.value())), "sk", s(topic.value()));
  }

  private static Map<String, AttributeValue> counterKey(String owner) {
    return Map.of("pk", s("O#" + owner), "sk", s("#"));
  }

  /** Keeps counter items out of scans: topics live in {@code L#} partitions. */
  private static ScanRequest.Builder topicsOnly(ScanRequest.Builder b) {
    return b.filterExpression("begins_with(pk, :topics)")
        .expressionAttributeValues(Map.of(":topics", s("L#")));
  }

  @Override
  public boolean put(Message message, String owner, long maxOwned) {
    boolean counted = false;
    if (owner != null) {
      counted = acquire(owner, maxOwned);
      if (!counted && !owner.equals(ownerOf(message.topic()))) {
        return false; // at the limit, and the topic is not one the owner has already
      }
    }
    Map<String, AttributeValue> item = new HashMap<>(key(message.topic()));
    item.put("msg", Attrs.message(message));
    if (owner != null) {
      item.put("own", s(owner));
    } else if (message.expiresAt() != null) {
      item.put("ttl", n(message.expiresAt().getEpochSecond() + 1));
    }
    Map<String, AttributeValue> old =
        table.call(
            "retain",
            () ->
                table
                    .client
                    .putItem(
                        b -> b.tableName(table.name).item(item).returnValues(ReturnValue.ALL_OLD))
                    .attributes());
    String previous = old == null ? null : str(old, "own");
    if (owner != null) {
      boolean owns = !owner.equals(previous);
      if (counted && !owns) {
        addOwned(owner, -1); // it was the owner's topic already: it does not count twice
      } else if (!counted && owns) {
        addOwned(owner, 1); // another owner took the topic between our read and our write
      }
    }
    if (previous != null && !previous.equals(owner)) {
      addOwned(previous, -1);
    }
    return true;
  }

  /** Adds one to the owner's counter if it is below {@code max} (0: no limit); true if added. */
  private boolean acquire(String owner, long max) {
    return table.call(
        "count retained",
        () -> {
          try {
            table.client.updateItem(
                b -> {
                  b.tableName(table.name).key(counterKey(owner)).updateExpression("ADD n :one");
                  if (max > 0) {
                    b.conditionExpression("attribute_not_exists(n) OR n < :max")
                        .expressionAttributeValues(Map.of(":one", n(1), ":max", n(max)));
                  } else {
                    b.expressionAttributeValues(Map.of(":one", n(1)));
                  }
                });
            return true;
          } catch (ConditionalCheckFailedException atLimit) {
            return false;
          }
        });
  }

  private void addOwned(String owner, int delta) {
    table.run(
        "count retained",
        () ->
            table.client.updateItem(
                b ->
                    b.tableName(table.name)
                        .key(counterKey(owner))
                        .updateExpression("ADD n :d")
                        .expressionAttributeValues(Map.of(":d", n(delta)))));
  }

  private String ownerOf(TopicName topic) {
    Map<String, AttributeValue> item =
        table.call(
            "get retained owner",
            () ->
                table
                    .client
                    .getItem(
                        b ->
                            b.tableName(table.name)
                                .key(key(topic))
                                .projectionExpression("own")
                                .consistentRead(true))
                    .item());
    return item == null ? null : str(item, "own");
  }

  @Override
  public long ownedCount(String owner) {
    Map<String, AttributeValue> item =
        table.call(
            "get retained count",
            () ->
                table
                    .client
                    .getItem(
                        b -> b.tableName(table.name).key(counterKey(owner)).consistentRead(true))
                    .item());
    return item == null ? 0 : num(item, "n", 0);
  }

  @Override
  public boolean remove(TopicName topic) {
    Map<String, AttributeValue> old =
        table.call(
            "clear retained",
            () ->
                table
                    .client
                    .deleteItem(
                        b ->
                            b.tableName(table.name)
                                .key(key(topic))
                                .returnValues(ReturnValue.ALL_OLD))
                    .attributes());
    if (old == null || old.isEmpty()) {
      return false;
    }
    String owner = str(old, "own");
    if (owner != null) {
      addOwned(owner, -1);
    }
    return true;
  }

  @Override
  public Message get(TopicName topic) {
    Map<String, AttributeValue> item =
        table.call(
            "get retained",
            () ->
                table
                    .client
                    .getItem(b -> b.tableName(table.name).key(key(topic)).consistentRead(true))
                    .item());
    return item == null || item.isEmpty() ? null : Attrs.message(item.get("msg"));
  }

  @Override
  public List<Message> match(TopicFilter topicFilter) {
    String filter = topicFilter.filter(); // $share/{group}/ is not part of the match
    if (!topicFilter.hasWildcard()) {
      Message m = get(TopicName.of(filter));
      return m == null ? List.of() : List.of(m);
    }
    String[] levels = filter.split("/", -1);
    List<Map<String, AttributeValue>> items;
    if (levels[0].equals("+") || levels[0].equals("#")) {
      items =
          table.scanAll(
              "scan retained",
              topicsOnly(ScanRequest.builder().tableName(table.name).consistentRead(true)).build());
    } else {
      StringBuilder literal = new StringBuilder(levels[0]);
      for (int i = 1; i < levels.length && !levels[i].equals("+") && !levels[i].equals("#"); i++) {
        literal.append('/').append(levels[i]);
      }
      QueryRequest q =
          QueryRequest.builder()
              .tableName(table.name)
              .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
              .expressionAttributeValues(
                  Map.of(":pk", s(partition(filter)), ":prefix", s(literal.toString())))
              .consistentRead(true)
              .build();
      items = table.queryAll("query retained", q);
    }
    return items.stream()
        .filter(i -> TopicMatcher.matches(filter, i.get("sk").s()))
        .map(i -> Attrs.message(i.get("msg")))
        .toList();
  }

  /** Reads the whole table: for {@code $SYS} statistics, not for the message path. */
  @Override
  public long count() {
    return table.scanCount(
        "count retained", topicsOnly(ScanRequest.builder().tableName(table.name)).build());
  }

  /**
   * With a prefix: one eventually consistent Query of at most {@code limit} items on the prefix's
   * first-level partition with {@code begins_with(sk, prefix)}; topics that merely share the
   * characters ({@code a/bc} for {@code a/b}) are dropped in code, since a Query cannot filter on a
   * key attribute. With the empty prefix: one Scan of at most {@code limit} items (partitions in
   * DynamoDB's order, topics in order within each).
   */
  @Override
  public Page<Message> list(String prefix, String cursor, int limit) {
    if (prefix.isEmpty()) {
      return Pages.scan(
          table,
          "list retained",
          topicsOnly(ScanRequest.builder().tableName(table.name)).build(),
          cursor,
          limit,
          i -> Attrs.message(i.get("msg")));
    }
    String under = prefix + "/";
    return Pages.query(
        table,
        "list retained",
        QueryRequest.builder()
            .tableName(table.name)
            .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
            .expressionAttributeValues(Map.of(":pk", s(partition(prefix)), ":prefix", s(prefix)))
            .build(),
        cursor,
        limit,
        i -> {
          String topic = i.get("sk").s();
          return topic.equals(prefix) || topic.startsWith(under)
              ? Attrs.message(i.get("msg"))
              : null;
        });
  }
}
