package dev.stratus.store.dynamodb;

import dev.stratus.core.store.Stores;
import java.util.Objects;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Every store port on DynamoDB, for {@code new Broker(config, stores, ...)}. The tables must exist
 * (see {@link StratusTables#createAll} and {@code template.yaml}).
 *
 * <p>The stores keep no state of their own between calls, so any number of processes (bridge tasks,
 * Lambda invocations) can share one set of tables; they take their time from the engine, which
 * passes instants in, and {@code clock} is accepted so that callers wire one clock everywhere.
 */
public final class DynamoDbStores {
  private DynamoDbStores() {}

  /** Stores on the tables named {@code tablePrefix} + suffix (e.g. {@code stratus-sessions}). */
  public static Stores create(DynamoDbClient client, String tablePrefix) {
    return create(client, tablePrefix, 0);
  }

  /**
   * Stores whose keepalive deadlines are padded by {@code deadlinePad} keepalive periods (see
   * {@link DynamoDbConnectionStore#DynamoDbConnectionStore(DynamoDbClient, String, double)}).
   */
  public static Stores create(DynamoDbClient client, String tablePrefix, double deadlinePad) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(tablePrefix, "tablePrefix");
    return new Stores(
        new DynamoDbSessionStore(client, tablePrefix),
        new DynamoDbSubscriptionStore(client, tablePrefix),
        new DynamoDbRetainedStore(client, tablePrefix),
        new DynamoDbInFlightStore(client, tablePrefix),
        new DynamoDbQueueStore(client, tablePrefix),
        new DynamoDbConnectionStore(client, tablePrefix, deadlinePad));
  }
}
