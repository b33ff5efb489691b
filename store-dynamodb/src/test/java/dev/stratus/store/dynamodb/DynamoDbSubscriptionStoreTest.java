package dev.stratus.store.dynamodb;

import dev.stratus.core.store.SubscriptionStore;
import dev.stratus.core.store.SubscriptionStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbSubscriptionStoreTest extends SubscriptionStoreContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected SubscriptionStore newStore() {
    return new DynamoDbSubscriptionStore(
        CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.SUBSCRIPTIONS));
  }
}
