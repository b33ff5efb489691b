package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.n;
import static dev.stratus.store.dynamodb.Attrs.s;
import static dev.stratus.store.dynamodb.Attrs.str;

import dev.stratus.core.ConnectionId;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * Which bridge task holds a connection, and where that task's internal {@code @connections}
 * endpoint is: the registry in the {@code tasks} table ({@link StratusTables#TASKS}).
 *
 * <pre>
 * pk "T#" task id   url S the task's internal endpoint (http://10.0.1.7:8081),
 *                   ttl N epoch seconds after which the registration is void
 * </pre>
 *
 * <p><b>Task ids and connection ids.</b> A task id is {@code bridge-} followed by 1 to 32 letters
 * and digits; each connection id a task hands out is its task id, a dash and a hex counter ({@code
 * bridge-1a2b3c4d5e6f-2a}), so any process can tell from a connection id alone which task holds it
 * ({@link #taskOf}). API Gateway connection ids (base64, e.g. {@code L0SM9cOFvHcCIhw=}) never have
 * that form.
 *
 * <p><b>Heartbeat.</b> A task {@link #register}s on start and again well within {@code ttl}; a task
 * that dies stops renewing, and its registration is void once {@code ttl} passes. DynamoDB's TTL
 * deletes the item late (up to days), so {@link #lookup} checks the time itself.
 */
public final class BridgeTasks {
  private static final Pattern TASK_ID = Pattern.compile("bridge-[A-Za-z0-9]{1,32}");
  private static final Pattern CONNECTION_ID =
      Pattern.compile("(bridge-[A-Za-z0-9]{1,32})-[0-9a-f]+");

  private final TableClient table;
  private final TableClient connections;

  public BridgeTasks(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.TASKS.name(tablePrefix));
    this.connections = new TableClient(client, StratusTables.CONNECTIONS.name(tablePrefix));
  }

  /**
   * The tasks whose registration expired at {@code now} but is still in the table (TTL deletes it
   * late): tasks that died without deregistering. Scans the tasks table, one small item per task.
   */
  public List<String> expired(Instant now) {
    List<String> dead = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse r =
          table.call(
              "scan tasks",
              () ->
                  table.client.scan(
                      b -> {
                        b.tableName(table.name)
                            .filterExpression("#ttl <= :now")
                            .expressionAttributeNames(Map.of("#ttl", "ttl"))
                            .expressionAttributeValues(Map.of(":now", n(now.getEpochSecond())))
                            .consistentRead(true);
                        if (from != null) {
                          b.exclusiveStartKey(from);
                        }
                      }));
      for (Map<String, AttributeValue> item : r.items()) {
        String pk = str(item, "pk");
        if (pk != null && pk.startsWith("T#")) {
          dead.add(pk.substring(2));
        }
      }
      start =
          r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    return dead;
  }

  /**
   * The connections recorded as held by a task: a scan of the connections table filtered by the
   * task's connection id prefix. Costs a read of the whole table, so it is for a task found dead
   * ({@link #expired}), a rare event, never for the message path.
   */
  public List<ConnectionId> connectionsOf(String taskId) {
    if (!isTaskId(taskId)) {
      throw new IllegalArgumentException("not a bridge task id: " + taskId);
    }
    List<ConnectionId> held = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse r =
          connections.call(
              "scan connections of " + taskId,
              () ->
                  connections.client.scan(
                      b -> {
                        b.tableName(connections.name)
                            .filterExpression("begins_with(pk, :p)")
                            .projectionExpression("pk")
                            .expressionAttributeValues(Map.of(":p", s("K#" + taskId + "-")))
                            .consistentRead(true);
                        if (from != null) {
                          b.exclusiveStartKey(from);
                        }
                      }));
      for (Map<String, AttributeValue> item : r.items()) {
        ConnectionId id = new ConnectionId(str(item, "pk").substring(2));
        if (taskId.equals(taskOf(id))) {
          held.add(id);
        }
      }
      start =
          r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    return held;
  }

  /** True when {@code taskId} has the form of a bridge task id. */
  public static boolean isTaskId(String taskId) {
    return TASK_ID.matcher(taskId).matches();
  }

  /** The task that holds a bridge connection, or null for any other connection id. */
  public static String taskOf(ConnectionId connection) {
    var m = CONNECTION_ID.matcher(connection.value());
    return m.matches() ? m.group(1) : null;
  }

  private static Map<String, AttributeValue> key(String taskId) {
    return Map.of("pk", s("T#" + taskId));
  }

  /** Registers (or renews) the task's endpoint until {@code now + ttl}. */
  public void register(String taskId, URI endpoint, Instant now, Duration ttl) {
    if (!isTaskId(taskId)) {
      throw new IllegalArgumentException("not a bridge task id: " + taskId);
    }
    Objects.requireNonNull(endpoint, "endpoint");
    long expires = now.plus(ttl).getEpochSecond();
    table.run(
        "register task",
        () ->
            table.client.putItem(
                b ->
                    b.tableName(table.name)
                        .item(
                            Map.of(
                                "pk", s("T#" + taskId),
                                "url", s(endpoint.toString()),
                                "ttl", n(expires)))));
  }

  /** The task's endpoint, or null when it is not registered or its registration has expired. */
  public URI lookup(String taskId, Instant now) {
    Map<String, AttributeValue> item =
        table.call(
            "look up task",
            () ->
                table
                    .client
                    .getItem(b -> b.tableName(table.name).key(key(taskId)).consistentRead(true))
                    .item());
    if (item == null || item.isEmpty()) {
      return null;
    }
    AttributeValue ttl = item.get("ttl");
    if (ttl != null && Long.parseLong(ttl.n()) <= now.getEpochSecond()) {
      return null; // expired, not yet deleted by TTL
    }
    return URI.create(str(item, "url"));
  }

  /** Removes the registration, on a clean stop. */
  public void deregister(String taskId) {
    table.run(
        "deregister task",
        () -> table.client.deleteItem(b -> b.tableName(table.name).key(key(taskId))));
  }
}
