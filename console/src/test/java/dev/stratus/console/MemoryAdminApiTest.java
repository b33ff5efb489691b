package dev.stratus.console;

import dev.stratus.core.store.Stores;

class MemoryAdminApiTest extends AdminApiContract {
  @Override
  protected Stores newStores() {
    return Stores.inMemory();
  }
}
