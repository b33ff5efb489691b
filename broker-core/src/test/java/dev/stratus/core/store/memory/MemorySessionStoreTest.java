package dev.stratus.core.store.memory;

import dev.stratus.core.store.SessionStore;
import dev.stratus.core.store.SessionStoreContract;

class MemorySessionStoreTest extends SessionStoreContract {
  @Override
  protected SessionStore newStore() {
    return new MemorySessionStore();
  }
}
