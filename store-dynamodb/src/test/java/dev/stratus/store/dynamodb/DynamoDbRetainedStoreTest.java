package dev.stratus.store.dynamodb;

import dev.stratus.core.store.RetainedStore;
import dev.stratus.core.store.RetainedStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbRetainedStoreTest extends RetainedStoreContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected RetainedStore newStore() {
    return new DynamoDbRetainedStore(CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.RETAINED));
  }
}
