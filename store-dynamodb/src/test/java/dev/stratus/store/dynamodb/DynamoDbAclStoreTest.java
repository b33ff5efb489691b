package dev.stratus.store.dynamodb;

import dev.stratus.core.auth.acl.AclStore;
import dev.stratus.core.auth.acl.AclStoreContract;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbAclStoreTest extends AclStoreContract {
  private static final DynamoDbClient CLIENT = LocalDynamo.client();

  @Override
  protected AclStore newStore() {
    return new DynamoDbAclStore(CLIENT, LocalDynamo.newPrefix(CLIENT, StratusTables.ACL));
  }
}
