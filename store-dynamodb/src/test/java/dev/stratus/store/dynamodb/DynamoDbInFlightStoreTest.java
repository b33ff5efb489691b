package dev.stratus.store.dynamodb;

import dev.stratus.core.store.InFlightStore;
import dev.stratus.core.store.InFlightStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbInFlightStoreTest extends InFlightStoreContract {
  // embedded: the contract allocates all 65,535 packet ids one request pair at a time
  private static final DynamoDbClient CLIENT = LocalDynamo.embeddedClient();

  @Override
  protected InFlightStore newStore() {
    return new DynamoDbInFlightStore(
        CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.IN_FLIGHT));
  }
}
