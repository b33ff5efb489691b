package dev.stratus.core.store.memory;

import dev.stratus.core.store.QueueStore;
import dev.stratus.core.store.QueueStoreContract;

class MemoryQueueStoreTest extends QueueStoreContract {
  @Override
  protected QueueStore newStore() {
    return new MemoryQueueStore();
  }
}
