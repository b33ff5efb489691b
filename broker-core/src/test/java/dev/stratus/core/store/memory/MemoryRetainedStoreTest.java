package dev.stratus.core.store.memory;

import dev.stratus.core.store.RetainedStore;
import dev.stratus.core.store.RetainedStoreContract;

class MemoryRetainedStoreTest extends RetainedStoreContract {
  @Override
  protected RetainedStore newStore() {
    return new MemoryRetainedStore();
  }
}
