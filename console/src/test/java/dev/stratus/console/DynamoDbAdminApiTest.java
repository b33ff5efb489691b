package dev.stratus.console;

import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.LocalDynamo;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The admin API on DynamoDB Local, through the same HTTP cases as on the in-memory stores. */
class DynamoDbAdminApiTest extends AdminApiContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected Stores newStores() {
    return DynamoDbStores.create(CLIENT, LocalDynamo.newPrefix(CLIENT));
  }

  /**
   * A DynamoDB cursor is an encoded key: anything else is the caller's mistake, not the store's.
   */
  @Test
  void aMalformedCursorIsABadRequest() throws Exception {
    fails(400, "GET", "/api/connections?cursor=not-a-cursor");
    fails(400, "GET", "/api/retained/tree?prefix=a&cursor=%21%21");
  }
}
