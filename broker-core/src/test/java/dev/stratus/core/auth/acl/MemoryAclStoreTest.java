package dev.stratus.core.auth.acl;

class MemoryAclStoreTest extends AclStoreContract {
  @Override
  protected AclStore newStore() {
    return new MemoryAclStore();
  }
}
