package dev.stratus.core.store.memory;

import dev.stratus.core.store.InFlightStore;
import dev.stratus.core.store.InFlightStoreContract;

class MemoryInFlightStoreTest extends InFlightStoreContract {
  @Override
  protected InFlightStore newStore() {
    return new MemoryInFlightStore();
  }
}
