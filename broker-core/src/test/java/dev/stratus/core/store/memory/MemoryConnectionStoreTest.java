package dev.stratus.core.store.memory;

import dev.stratus.core.store.ConnectionStore;
import dev.stratus.core.store.ConnectionStoreContract;

class MemoryConnectionStoreTest extends ConnectionStoreContract {
  @Override
  protected ConnectionStore newStore() {
    return new MemoryConnectionStore();
  }
}
