package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.num;
import static dev.stratus.store.dynamodb.Attrs.s;

import dev.stratus.codec.QoS;
import dev.stratus.core.store.InFlightStore;
import dev.stratus.core.store.OutboundFlight;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.Select;

/**
 * In-flight state in the {@code inflight} table ({@link StratusTables#IN_FLIGHT}), one partition
 * per client id:
 *
 * <pre>
 * pk "client id"  sk "#"          the counter item: seq N (allocations so far), cnt N (outbound
 *                                 flights held)
 * pk "client id"  sk "O#00042"    an outbound QoS 1/2 flight with packet id 42: seq N (its
 *                                 allocation number: the resend order), msg M (see {@link Attrs}),
 *                                 q N QoS sent, r BOOL RETAIN sent, sids L subscription ids,
 *                                 rel BOOL released (PUBREC received)
 * pk "client id"  sk "I#00042"    inbound QoS 2 packet id 42 received and not yet released
 * </pre>
 *
 * <p><b>Packet ids</b> [MQTT-2.2.1-3]: {@link #allocate} adds 1 to {@code seq} and {@code cnt} in
 * one UpdateItem conditioned on {@code cnt < 65535} (a failed condition: every id is in use, return
 * 0), takes id {@code (seq - 1) mod 65535 + 1}, and writes the flight with {@code
 * attribute_not_exists}: an id still in use (after wrapping past 65535) fails the condition, and
 * the next {@code seq} is tried. Two processes allocating for one client get distinct ids, since
 * each {@code seq} value is handed out once. Normally 2 writes; {@link #remove} is a delete and a
 * decrement of {@code cnt} (2 writes). A process dying between the two leaves {@code cnt} one too
 * high until {@link #clear}: the client's window then looks fuller than it is, which delays
 * delivery but never reuses an id.
 *
 * <p><b>Exactly once</b> [MQTT-4.3.3-9]: {@link #addInbound} is a PutItem with {@code
 * attribute_not_exists(sk)}. Whichever process, or retried Lambda invocation, writes the record
 * first routes the message; every later PUBLISH with that id until PUBREL sees the failed condition
 * and only acknowledges.
 */
public final class DynamoDbInFlightStore implements InFlightStore {
  private static final String COUNTER = "#";
  private final TableClient table;

  public DynamoDbInFlightStore(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.IN_FLIGHT.name(tablePrefix));
  }

  private static Map<String, AttributeValue> key(String clientId, String sk) {
    return Map.of("pk", s(clientId), "sk", s(sk));
  }

  private static String outboundKey(int packetId) {
    return String.format("O#%05d", packetId);
  }

  private static String inboundKey(int packetId) {
    return String.format("I#%05d", packetId);
  }

  private static Map<String, AttributeValue> flightAttributes(OutboundFlight f) {
    Map<String, AttributeValue> a = new HashMap<>();
    a.put("msg", Attrs.message(f.message()));
    a.put("q", n(f.qos().value()));
    a.put("r", Attrs.bool(f.retain()));
    a.put("sids", Attrs.ints(f.subscriptionIds()));
    a.put("rel", Attrs.bool(f.released()));
    return a;
  }

  private static OutboundFlight fromItem(Map<String, AttributeValue> item) {
    return new OutboundFlight(
        Integer.parseInt(item.get("sk").s().substring(2)),
        Attrs.message(item.get("msg")),
        QoS.of((int) num(item, "q", 1)),
        Attrs.flag(item, "r"),
        Attrs.ints(item.get("sids")),
        Attrs.flag(item, "rel"));
  }

  @Override
  public int allocate(String clientId, OutboundFlight flight) {
    return table.call(
        "allocate packet id",
        () -> {
          long seq;
          try {
            seq =
                num(
                    table
                        .client
                        .updateItem(
                            b ->
                                b.tableName(table.name)
                                    .key(key(clientId, COUNTER))
                                    .updateExpression("ADD seq :one, cnt :one")
                                    .conditionExpression("attribute_not_exists(cnt) OR cnt < :max")
                                    .expressionAttributeValues(
                                        Map.of(":one", n(1), ":max", n(65_535)))
                                    .returnValues(ReturnValue.UPDATED_NEW))
                        .attributes(),
                    "seq",
                    0);
          } catch (ConditionalCheckFailedException full) {
            return 0;
          }
          // cnt < 65535 held, so a free id exists; at most 65,535 tries find it
          for (int attempt = 0; attempt < 65_535; attempt++) {
            int id = (int) ((seq - 1) % 65_535) + 1;
            Map<String, AttributeValue> item = new HashMap<>(flightAttributes(flight));
            item.putAll(key(clientId, outboundKey(id)));
            item.put("seq", n(seq));
            try {
              table.client.putItem(
                  b ->
                      b.tableName(table.name)
                          .item(item)
                          .conditionExpression("attribute_not_exists(sk)"));
              return id;
            } catch (ConditionalCheckFailedException inUse) {
              seq =
                  num(
                      table
                          .client
                          .updateItem(
                              b ->
                                  b.tableName(table.name)
                                      .key(key(clientId, COUNTER))
                                      .updateExpression("ADD seq :one")
                                      .expressionAttributeValues(Map.of(":one", n(1)))
                                      .returnValues(ReturnValue.UPDATED_NEW))
                          .attributes(),
                      "seq",
                      0);
            }
          }
          throw new dev.stratus.core.store.StoreException("no free packet id for " + clientId);
        });
  }

  @Override
  public OutboundFlight get(String clientId, int packetId) {
    Map<String, AttributeValue> item =
        table.call(
            "get flight",
            () ->
                table
                    .client
                    .getItem(
                        b ->
                            b.tableName(table.name)
                                .key(key(clientId, outboundKey(packetId)))
                                .consistentRead(true))
                    .item());
    return item == null || item.isEmpty() ? null : fromItem(item);
  }

  @Override
  public boolean replace(String clientId, OutboundFlight flight) {
    Map<String, AttributeValue> values = new HashMap<>();
    Map<String, String> names = new HashMap<>();
    StringBuilder set = new StringBuilder("SET ");
    flightAttributes(flight)
        .forEach(
            (k, v) -> {
              if (set.length() > 4) {
                set.append(", ");
              }
              set.append("#").append(k).append(" = :").append(k);
              names.put("#" + k, k);
              values.put(":" + k, v);
            });
    return table.call(
        "replace flight",
        () -> {
          try {
            // an update, not a put: the flight keeps its seq, so its place in the resend order
            table.client.updateItem(
                b ->
                    b.tableName(table.name)
                        .key(key(clientId, outboundKey(flight.packetId())))
                        .updateExpression(set.toString())
                        .conditionExpression("attribute_exists(sk)")
                        .expressionAttributeNames(names)
                        .expressionAttributeValues(values));
            return true;
          } catch (ConditionalCheckFailedException none) {
            return false;
          }
        });
  }

  @Override
  public OutboundFlight remove(String clientId, int packetId) {
    return table.call(
        "remove flight",
        () -> {
          Map<String, AttributeValue> old =
              table
                  .client
                  .deleteItem(
                      b ->
                          b.tableName(table.name)
                              .key(key(clientId, outboundKey(packetId)))
                              .returnValues(ReturnValue.ALL_OLD))
                  .attributes();
          if (old == null || old.isEmpty()) {
            return null;
          }
          table.client.updateItem(
              b ->
                  b.tableName(table.name)
                      .key(key(clientId, COUNTER))
                      .updateExpression("ADD cnt :minus")
                      .expressionAttributeValues(Map.of(":minus", n(-1))));
          return fromItem(old);
        });
  }

  private QueryRequest.Builder partition(String clientId, String prefix) {
    return QueryRequest.builder()
        .tableName(table.name)
        .keyConditionExpression("pk = :pk AND begins_with(sk, :p)")
        .expressionAttributeValues(Map.of(":pk", s(clientId), ":p", s(prefix)))
        .consistentRead(true);
  }

  @Override
  public List<OutboundFlight> outbound(String clientId) {
    return table.queryAll("list flights", partition(clientId, "O#").build()).stream()
        .sorted(Comparator.comparingLong(i -> num(i, "seq", 0)))
        .map(DynamoDbInFlightStore::fromItem)
        .toList();
  }

  @Override
  public int outboundCount(String clientId) {
    Map<String, AttributeValue> item =
        table.call(
            "count flights",
            () ->
                table
                    .client
                    .getItem(
                        b ->
                            b.tableName(table.name)
                                .key(key(clientId, COUNTER))
                                .consistentRead(true))
                    .item());
    return item == null ? 0 : (int) Math.max(0, num(item, "cnt", 0));
  }

  @Override
  public boolean addInbound(String clientId, int packetId) {
    return table.call(
        "record inbound id",
        () -> {
          try {
            table.client.putItem(
                b ->
                    b.tableName(table.name)
                        .item(key(clientId, inboundKey(packetId)))
                        .conditionExpression("attribute_not_exists(sk)"));
            return true;
          } catch (ConditionalCheckFailedException duplicate) {
            return false;
          }
        });
  }

  @Override
  public boolean removeInbound(String clientId, int packetId) {
    return table.call(
        "release inbound id",
        () ->
            table
                .client
                .deleteItem(
                    b ->
                        b.tableName(table.name)
                            .key(key(clientId, inboundKey(packetId)))
                            .returnValues(ReturnValue.ALL_OLD))
                .hasAttributes());
  }

  @Override
  public int inboundCount(String clientId) {
    return table.call(
        "count inbound ids",
        () -> {
          int n = 0;
          QueryRequest q = partition(clientId, "I#").select(Select.COUNT).build();
          while (true) {
            var page = table.client.query(q);
            n += page.count();
            if (!page.hasLastEvaluatedKey() || page.lastEvaluatedKey().isEmpty()) {
              return n;
            }
            q = q.toBuilder().exclusiveStartKey(page.lastEvaluatedKey()).build();
          }
        });
  }

  @Override
  public void clear(String clientId) {
    table.deletePartition("clear flights", clientId);
  }
}
