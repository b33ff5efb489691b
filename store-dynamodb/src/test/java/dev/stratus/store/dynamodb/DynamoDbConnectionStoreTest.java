package dev.stratus.store.dynamodb;

import dev.stratus.core.store.ConnectionStore;
import dev.stratus.core.store.ConnectionStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbConnectionStoreTest extends ConnectionStoreContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected ConnectionStore newStore() {
    return new DynamoDbConnectionStore(
        CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.CONNECTIONS));
  }
}
