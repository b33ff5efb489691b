package dev.stratus.core.store.memory;

import dev.stratus.core.store.SubscriptionStore;
import dev.stratus.core.store.SubscriptionStoreContract;

class MemorySubscriptionStoreTest extends SubscriptionStoreContract {
  @Override
  protected SubscriptionStore newStore() {
    return new MemorySubscriptionStore();
  }
}
