package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.flag;
import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.num;
import static dev.stratus.store.dynamodb.Attrs.s;
import static dev.stratus.store.dynamodb.Attrs.str;

import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.store.Page;
import dev.stratus.core.store.Subscription;
import dev.stratus.core.store.SubscriptionMatch;
import dev.stratus.core.store.SubscriptionStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Subscriptions in the {@code subscriptions} table ({@link StratusTables#SUBSCRIPTIONS}), with a
 * trie of filter prefixes so that matching a topic reads only what can match it.
 *
 * <p><b>Items</b> (partition key {@code pk}, sort key {@code sk}, both strings):
 *
 * <pre>
 * by client    pk "C#" client id   sk the filter as subscribed ("$share/g/s/#" included)
 * by filter    pk "F#" filter      sk "D#" client id, or "S#" share name "/" client id
 *              (the matching filter, without $share: one partition lists every subscriber)
 * trie node    pk "T#" depth "#" prefix   sk "-"   e.g. "T#2#a/+" for the prefix a/+
 *              ("T#0#" is the root); refs N, ends N, hash N
 *
 * subscription attributes (client and filter items): q N max QoS, nl BOOL No Local,
 *   rap BOOL Retain As Published, rh N Retain Handling, sid N subscription identifier (absent: 0)
 * </pre>
 *
 * <p>Node counters count subscriptions (client, filter pairs), kept by {@code UpdateItem ADD} when
 * a subscription is new or gone: {@code refs} those whose filter passes through or ends at the
 * prefix, {@code ends} those whose filter is exactly the prefix, {@code hash} those whose filter is
 * the prefix followed by {@code /#} (for the root: {@code #}). A node whose {@code refs} reaches 0
 * is deleted with a condition ({@code refs <= 0}), so a concurrent subscribe that recreates it
 * wins.
 *
 * <p><b>Matching</b> a topic {@code t1/../tm} walks the trie level by level, one strongly
 * consistent {@code BatchGetItem} per level: level 1 reads the root, {@code t1} and {@code +};
 * level k+1 reads, for each node found at level k, its children {@code tk+1} and {@code +}. A node
 * with {@code hash > 0} matches (its prefix {@code /#}); a node at level m with {@code ends > 0}
 * matches. Then one strongly consistent Query per matching filter reads its subscribers. So a
 * publish costs at most m batch reads plus one query per matching filter, however many other
 * filters and subscribers exist, and the reads see every write acknowledged before them: a
 * subscription is in place, trie and subscriber item, before {@link #put} returns and the engine
 * sends SUBACK. Leading wildcards skip topics starting with {@code $} [MQTT-4.7.2-1]. Nodes
 * multiply only through {@code +} filters: level k reads at most 2^k keys, and only as many as
 * there are filters with that shape.
 *
 * <p>A new subscription to an m-level filter writes m + 2 items (client, filter, m trie nodes);
 * replacing one writes two. {@link #count} scans the table (for {@code $SYS}, not for messages).
 */
public final class DynamoDbSubscriptionStore implements SubscriptionStore {

  private static final String NODE_SK = "-";
  private final TableClient table;

  public DynamoDbSubscriptionStore(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.SUBSCRIPTIONS.name(tablePrefix));
  }

  // --- keys and mapping -------------------------------------------------------------------------

  private static Map<String, AttributeValue> clientKey(String clientId, TopicFilter filter) {
    return Map.of("pk", s("C#" + clientId), "sk", s(filter.value()));
  }

  private static Map<String, AttributeValue> filterKey(Subscription sub) {
    return filterKey(sub.clientId(), sub.filter());
  }

  private static Map<String, AttributeValue> filterKey(String clientId, TopicFilter f) {
    String sk = f.isShared() ? "S#" + f.shareGroup() + "/" + clientId : "D#" + clientId;
    return Map.of("pk", s("F#" + f.filter()), "sk", s(sk));
  }

  static String nodeKey(int depth, String prefix) {
    return "T#" + depth + "#" + prefix;
  }

  private static Map<String, AttributeValue> node(int depth, String prefix) {
    return Map.of("pk", s(nodeKey(depth, prefix)), "sk", s(NODE_SK));
  }

  private static Map<String, AttributeValue> withAttributes(
      Map<String, AttributeValue> key, Subscription sub) {
    Map<String, AttributeValue> item = new HashMap<>(key);
    item.put("q", n(sub.maxQos().value()));
    item.put("nl", Attrs.bool(sub.noLocal()));
    item.put("rap", Attrs.bool(sub.retainAsPublished()));
    item.put("rh", n(sub.retainHandling().value()));
    if (sub.subscriptionId() != 0) {
      item.put("sid", n(sub.subscriptionId()));
    }
    return item;
  }

  private static Subscription fromClientItem(Map<String, AttributeValue> item) {
    return subscription(str(item, "pk").substring(2), TopicFilter.of(str(item, "sk")), item);
  }

  private static Subscription subscription(
      String clientId, TopicFilter filter, Map<String, AttributeValue> item) {
    return new Subscription(
        clientId,
        filter,
        QoS.of((int) num(item, "q", 0)),
        flag(item, "nl"),
        flag(item, "rap"),
        RetainHandling.of((int) num(item, "rh", 0)),
        (int) num(item, "sid", 0));
  }

  /**
   * The trie nodes a filter touches, each with the counters one subscription adds: every prefix
   * gets {@code refs}; the last literal prefix gets {@code ends}, or {@code hash} when {@code #}
   * follows it.
   */
  static List<NodeDelta> nodeDeltas(String filter) {
    String[] levels = filter.split("/", -1);
    List<NodeDelta> out = new ArrayList<>(levels.length);
    boolean hash = levels[levels.length - 1].equals("#");
    int literal = hash ? levels.length - 1 : levels.length;
    if (literal == 0) {
      out.add(new NodeDelta(0, "", 0, 1)); // the filter "#": the root's hash
      return out;
    }
    StringBuilder prefix = new StringBuilder();
    for (int d = 1; d <= literal; d++) {
      if (d > 1) {
        prefix.append('/');
      }
      prefix.append(levels[d - 1]);
      boolean last = d == literal;
      out.add(new NodeDelta(d, prefix.toString(), last && !hash ? 1 : 0, last && hash ? 1 : 0));
    }
    return out;
  }

  /** What one subscription adds to one trie node ({@code refs} is always 1). */
  record NodeDelta(int depth, String prefix, int ends, int hash) {}

  // --- writes -----------------------------------------------------------------------------------

  @Override
  public Subscription put(Subscription sub) {
    return table.call(
        "subscribe",
        () -> {
          Map<String, AttributeValue> old =
              table
                  .client
                  .putItem(
                      b ->
                          b.tableName(table.name)
                              .item(withAttributes(clientKey(sub.clientId(), sub.filter()), sub))
                              .returnValues(ReturnValue.ALL_OLD))
                  .attributes();
          if (old == null || old.isEmpty()) {
            // counted once per (client, filter): only the put that created the client item adds
            for (NodeDelta d : nodeDeltas(sub.filter().filter())) {
              adjust(d, 1);
            }
          }
          table.client.putItem(
              b -> b.tableName(table.name).item(withAttributes(filterKey(sub), sub)));
          return old == null || old.isEmpty() ? null : fromClientItem(old);
        });
  }

  private void adjust(NodeDelta d, int sign) {
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":r", n(sign));
    // "hash" is a DynamoDB reserved word; the others are named the same way for uniformity
    Map<String, String> names = new HashMap<>();
    names.put("#refs", "refs");
    StringBuilder update = new StringBuilder("ADD #refs :r");
    if (d.ends() != 0) {
      names.put("#ends", "ends");
      update.append(", #ends :e");
      values.put(":e", n(sign * d.ends()));
    }
    if (d.hash() != 0) {
      names.put("#hash", "hash");
      update.append(", #hash :h");
      values.put(":h", n(sign * d.hash()));
    }
    Map<String, AttributeValue> after =
        table
            .client
            .updateItem(
                b ->
                    b.tableName(table.name)
                        .key(node(d.depth(), d.prefix()))
                        .updateExpression(update.toString())
                        .expressionAttributeNames(names)
                        .expressionAttributeValues(values)
                        .returnValues(ReturnValue.UPDATED_NEW))
            .attributes();
    if (sign < 0 && num(after, "refs", 0) <= 0) {
      try {
        table.client.deleteItem(
            b ->
                b.tableName(table.name)
                    .key(node(d.depth(), d.prefix()))
                    .conditionExpression("#refs <= :zero")
                    .expressionAttributeNames(Map.of("#refs", "refs"))
                    .expressionAttributeValues(Map.of(":zero", n(0))));
      } catch (ConditionalCheckFailedException resubscribed) {
        // a subscribe reached the node between the decrement and the delete: it stays
      }
    }
  }

  @Override
  public boolean remove(String clientId, TopicFilter filter) {
    return table.call(
        "unsubscribe",
        () -> {
          boolean existed =
              table
                  .client
                  .deleteItem(
                      b ->
                          b.tableName(table.name)
                              .key(clientKey(clientId, filter))
                              .returnValues(ReturnValue.ALL_OLD))
                  .hasAttributes();
          if (!existed) {
            return false;
          }
          table.client.deleteItem(b -> b.tableName(table.name).key(filterKey(clientId, filter)));
          for (NodeDelta d : nodeDeltas(filter.filter())) {
            adjust(d, -1);
          }
          return true;
        });
  }

  @Override
  public void removeAll(String clientId) {
    for (Subscription s : forClient(clientId)) {
      remove(clientId, s.filter());
    }
  }

  @Override
  public List<Subscription> forClient(String clientId) {
    QueryRequest q =
        QueryRequest.builder()
            .tableName(table.name)
            .keyConditionExpression("pk = :pk")
            .expressionAttributeValues(Map.of(":pk", s("C#" + clientId)))
            .consistentRead(true)
            .build();
    return table.queryAll("subscriptions of a client", q).stream()
        .map(DynamoDbSubscriptionStore::fromClientItem)
        .toList();
  }

  // --- matching ---------------------------------------------------------------------------------

  @Override
  public SubscriptionMatch match(TopicName topic) {
    List<String> filters = matchingFilters(topic.value());
    if (filters.isEmpty()) {
      return SubscriptionMatch.EMPTY;
    }
    List<Subscription> direct = new ArrayList<>();
    Map<String, List<Subscription>> shared = new LinkedHashMap<>();
    for (String f : filters) {
      QueryRequest q =
          QueryRequest.builder()
              .tableName(table.name)
              .keyConditionExpression("pk = :pk")
              .expressionAttributeValues(Map.of(":pk", s("F#" + f)))
              .consistentRead(true)
              .build();
      for (Map<String, AttributeValue> item : table.queryAll("subscribers of " + f, q)) {
        String sk = str(item, "sk");
        if (sk.startsWith("D#")) {
          direct.add(subscription(sk.substring(2), TopicFilter.of(f), item));
        } else {
          String rest = sk.substring(2);
          int slash = rest.indexOf('/');
          String group = rest.substring(0, slash);
          TopicFilter tf = TopicFilter.of("$share/" + group + "/" + f);
          shared
              .computeIfAbsent(group + "/" + f, k -> new ArrayList<>())
              .add(subscription(rest.substring(slash + 1), tf, item));
        }
      }
    }
    List<SubscriptionMatch.SharedGroup> groups = new ArrayList<>(shared.size());
    shared.forEach((k, v) -> groups.add(new SubscriptionMatch.SharedGroup(k, v)));
    return new SubscriptionMatch(direct, groups);
  }

  /** The filters with at least one subscription that match the topic: the trie walk. */
  List<String> matchingFilters(String topic) {
    String[] levels = topic.split("/", -1);
    boolean system = topic.startsWith("$");
    List<String> matched = new ArrayList<>();
    // the prefixes found at the previous depth; the root (depth 0) is always walked from
    List<String> live = List.of("");
    for (int depth = 1; depth <= levels.length && !live.isEmpty(); depth++) {
      List<Map<String, AttributeValue>> keys = new ArrayList<>();
      if (depth == 1) {
        keys.add(node(0, ""));
      }
      for (String parent : live) {
        String head = depth == 1 ? "" : parent + "/";
        keys.add(node(depth, head + levels[depth - 1]));
        if (!(depth == 1 && system)) {
          keys.add(node(depth, head + "+"));
        }
      }
      List<String> next = new ArrayList<>();
      for (Map<String, AttributeValue> item : batchGet(keys)) {
        String pk = str(item, "pk");
        int sep = pk.indexOf('#', 2);
        int d = Integer.parseInt(pk.substring(2, sep));
        String prefix = pk.substring(sep + 1);
        if (num(item, "hash", 0) > 0 && !(d == 0 && system)) {
          matched.add(d == 0 ? "#" : prefix + "/#");
        }
        if (d == depth) {
          if (depth == levels.length && num(item, "ends", 0) > 0) {
            matched.add(prefix);
          }
          if (num(item, "refs", 0) > 0) {
            next.add(prefix);
          }
        }
      }
      live = next;
    }
    return matched;
  }

  /** Strongly consistent reads of up to 100 keys per request, unprocessed keys read again. */
  private List<Map<String, AttributeValue>> batchGet(List<Map<String, AttributeValue>> keys) {
    return table.call(
        "match",
        () -> {
          List<Map<String, AttributeValue>> out = new ArrayList<>();
          for (int i = 0; i < keys.size(); i += 100) {
            Map<String, KeysAndAttributes> pending =
                Map.of(
                    table.name,
                    KeysAndAttributes.builder()
                        .keys(keys.subList(i, Math.min(keys.size(), i + 100)))
                        .consistentRead(true)
                        .build());
            for (int attempt = 1; !pending.isEmpty(); attempt++) {
              if (attempt > TableClient.BATCH_ATTEMPTS) {
                throw new dev.stratus.core.store.StoreException(
                    "match on " + table.name + ": keys still unprocessed");
              }
              if (attempt > 1) {
                TableClient.backOff(attempt);
              }
              Map<String, KeysAndAttributes> request = pending;
              BatchGetItemResponse r = table.client.batchGetItem(b -> b.requestItems(request));
              out.addAll(r.responses().getOrDefault(table.name, List.of()));
              pending = r.hasUnprocessedKeys() ? r.unprocessedKeys() : Map.of();
            }
          }
          return out;
        });
  }

  /** Reads the whole table: for {@code $SYS} statistics, not for the message path. */
  @Override
  public long count() {
    return table.scanCount(
        "count subscriptions",
        ScanRequest.builder()
            .tableName(table.name)
            .filterExpression("begins_with(pk, :c)")
            .expressionAttributeValues(Map.of(":c", s("C#")))
            .build());
  }

  // --- bulk loading -----------------------------------------------------------------------------

  /**
   * Every item that subscribing each of {@code subs} one by one would leave in an empty table, with
   * the trie counters summed, as BatchWriteItem puts: loads many subscriptions in few requests
   * (tests, migrations). The subscriptions must be distinct (client, filter) pairs.
   */
  static List<WriteRequest> bulkItems(Collection<Subscription> subs) {
    Map<String, long[]> nodes = new LinkedHashMap<>();
    List<WriteRequest> out = new ArrayList<>();
    for (Subscription sub : subs) {
      out.add(TableClient.putOf(withAttributes(clientKey(sub.clientId(), sub.filter()), sub)));
      out.add(TableClient.putOf(withAttributes(filterKey(sub), sub)));
      for (NodeDelta d : nodeDeltas(sub.filter().filter())) {
        long[] c = nodes.computeIfAbsent(nodeKey(d.depth(), d.prefix()), k -> new long[3]);
        c[0]++;
        c[1] += d.ends();
        c[2] += d.hash();
      }
    }
    nodes.forEach(
        (pk, c) -> {
          Map<String, AttributeValue> item = new HashMap<>();
          item.put("pk", s(pk));
          item.put("sk", s(NODE_SK));
          item.put("refs", n(c[0]));
          if (c[1] > 0) {
            item.put("ends", n(c[1]));
          }
          if (c[2] > 0) {
            item.put("hash", n(c[2]));
          }
          out.add(TableClient.putOf(item));
        });
    return out;
  }

  /**
   * One eventually consistent Scan of at most {@code limit} items, the client items ({@code C#})
   * among them: the filter and trie items it also reads are filtered out, so a page may hold fewer
   * than {@code limit} subscriptions (about a third of the items are client items when most filters
   * have few levels).
   */
  @Override
  public Page<Subscription> list(String cursor, int limit) {
    return Pages.scan(
        table,
        "list subscriptions",
        ScanRequest.builder()
            .tableName(table.name)
            .filterExpression("begins_with(pk, :c)")
            .expressionAttributeValues(Map.of(":c", s("C#")))
            .build(),
        cursor,
        limit,
        DynamoDbSubscriptionStore::fromClientItem);
  }
}
