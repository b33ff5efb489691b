package dev.stratus.store.dynamodb;

import dev.stratus.core.auth.UserStore;
import dev.stratus.core.auth.UserStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbUserStoreTest extends UserStoreContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected UserStore newStore() {
    return new DynamoDbUserStore(CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.USERS));
  }
}
