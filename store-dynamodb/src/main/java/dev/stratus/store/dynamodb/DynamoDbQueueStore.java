package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.num;
import static dev.stratus.store.dynamodb.Attrs.s;

import dev.stratus.codec.QoS;
import dev.stratus.core.store.QueueStore;
import dev.stratus.core.store.QueuedDelivery;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * Offline queues in the {@code queues} table ({@link StratusTables#QUEUES}), one partition per
 * client id, the sort key numeric:
 *
 * <pre>
 * pk "client id"  sk 0   the counter item: tail N (entries ever appended), size N (entries held)
 * pk "client id"  sk n   the n-th entry appended: msg M (see {@link Attrs}), q N QoS,
 *                        r BOOL RETAIN, sids L subscription identifiers
 * </pre>
 *
 * <p>{@link #offer} adds 1 to {@code tail} and {@code size} in one UpdateItem conditioned on {@code
 * size < capacity} (tail drop: a full queue fails the condition and the message is refused), then
 * writes the entry under the new {@code tail}: 2 writes, entries in the order their numbers were
 * handed out. {@link #poll} reads the head with one Query ({@code sk > 0}, ascending, {@code Limit
 * max}) and deletes each entry with a returned-values delete, so that two pollers never both take
 * one entry, then subtracts what it took from {@code size}. The entry is stored once per recipient:
 * a queued message costs its size in write units for each offline subscriber.
 */
public final class DynamoDbQueueStore implements QueueStore {
  // "size" is a DynamoDB reserved word: expressions name the counters through placeholders
  private static final Map<String, String> NAMES = Map.of("#tail", "tail", "#size", "size");
  private final TableClient table;

  public DynamoDbQueueStore(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.QUEUES.name(tablePrefix));
  }

  private static Map<String, AttributeValue> key(String clientId, long seq) {
    return Map.of("pk", s(clientId), "sk", n(seq));
  }

  @Override
  public boolean offer(String clientId, QueuedDelivery d, int capacity) {
    return table.call(
        "enqueue",
        () -> {
          long tail;
          try {
            tail =
                num(
                    table
                        .client
                        .updateItem(
                            b ->
                                b.tableName(table.name)
                                    .key(key(clientId, 0))
                                    .updateExpression("ADD #tail :one, #size :one")
                                    .conditionExpression(
                                        "attribute_not_exists(#size) OR #size < :cap")
                                    .expressionAttributeNames(NAMES)
                                    .expressionAttributeValues(
                                        Map.of(":one", n(1), ":cap", n(capacity)))
                                    .returnValues(ReturnValue.UPDATED_NEW))
                        .attributes(),
                    "tail",
                    0);
          } catch (ConditionalCheckFailedException full) {
            return false;
          }
          Map<String, AttributeValue> item = new HashMap<>(key(clientId, tail));
          item.put("msg", Attrs.message(d.message()));
          item.put("q", n(d.qos().value()));
          item.put("r", Attrs.bool(d.retain()));
          item.put("sids", Attrs.ints(d.subscriptionIds()));
          table.client.putItem(b -> b.tableName(table.name).item(item));
          return true;
        });
  }

  @Override
  public List<QueuedDelivery> poll(String clientId, int max) {
    if (max <= 0) {
      return List.of();
    }
    return table.call(
        "dequeue",
        () -> {
          QueryRequest q =
              QueryRequest.builder()
                  .tableName(table.name)
                  .keyConditionExpression("pk = :pk AND sk > :zero")
                  .expressionAttributeValues(Map.of(":pk", s(clientId), ":zero", n(0)))
                  .limit(max)
                  .consistentRead(true)
                  .build();
          List<QueuedDelivery> out = new ArrayList<>();
          for (Map<String, AttributeValue> head : table.client.query(q).items()) {
            Map<String, AttributeValue> old =
                table
                    .client
                    .deleteItem(
                        b ->
                            b.tableName(table.name)
                                .key(Map.of("pk", head.get("pk"), "sk", head.get("sk")))
                                .returnValues(ReturnValue.ALL_OLD))
                    .attributes();
            if (old != null && !old.isEmpty()) {
              out.add(
                  new QueuedDelivery(
                      Attrs.message(old.get("msg")),
                      QoS.of((int) num(old, "q", 1)),
                      Attrs.flag(old, "r"),
                      Attrs.ints(old.get("sids"))));
            }
          }
          if (!out.isEmpty()) {
            table.client.updateItem(
                b ->
                    b.tableName(table.name)
                        .key(key(clientId, 0))
                        .updateExpression("ADD #size :taken")
                        .expressionAttributeNames(Map.of("#size", "size"))
                        .expressionAttributeValues(Map.of(":taken", n(-out.size()))));
          }
          return out;
        });
  }

  @Override
  public int size(String clientId) {
    Map<String, AttributeValue> item =
        table.call(
            "queue size",
            () ->
                table
                    .client
                    .getItem(
                        b -> b.tableName(table.name).key(key(clientId, 0)).consistentRead(true))
                    .item());
    return item == null ? 0 : (int) Math.max(0, num(item, "size", 0));
  }

  @Override
  public void clear(String clientId) {
    table.deletePartition("clear queue", clientId);
  }
}
