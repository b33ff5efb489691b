package dev.stratus.store.dynamodb;

import dev.stratus.core.store.QueueStore;
import dev.stratus.core.store.QueueStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbQueueStoreTest extends QueueStoreContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected QueueStore newStore() {
    return new DynamoDbQueueStore(CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.QUEUES));
  }
}
