package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.s;

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
 * ttl  N  epoch seconds of the message's expiry, for DynamoDB TTL; absent if it never expires
 * </pre>
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

  @Override
  public void put(Message message) {
    Map<String, AttributeValue> item = new HashMap<>(key(message.topic()));
    item.put("msg", Attrs.message(message));
    if (message.expiresAt() != null) {
      item.put("ttl", n(message.expiresAt().getEpochSecond() + 1));
    }
    table.run("retain", () -> table.client.putItem(b -> b.tableName(table.name).item(item)));
  }

  @Override
  public boolean remove(TopicName topic) {
    return table.call(
        "clear retained",
        () ->
            table
                .client
                .deleteItem(
                    b -> b.tableName(table.name).key(key(topic)).returnValues(ReturnValue.ALL_OLD))
                .hasAttributes());
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
              ScanRequest.builder().tableName(table.name).consistentRead(true).build());
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
    return table.scanCount("count retained", ScanRequest.builder().tableName(table.name).build());
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
          ScanRequest.builder().tableName(table.name).build(),
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
