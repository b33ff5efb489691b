package dev.stratus.store.dynamodb;

import dev.stratus.core.store.SessionStore;
import dev.stratus.core.store.SessionStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbSessionStoreTest extends SessionStoreContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected SessionStore newStore() {
    return new DynamoDbSessionStore(CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.SESSIONS));
  }
}
