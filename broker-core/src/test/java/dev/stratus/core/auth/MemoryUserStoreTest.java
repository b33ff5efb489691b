package dev.stratus.core.auth;

class MemoryUserStoreTest extends UserStoreContract {
  @Override
  protected UserStore newStore() {
    return new MemoryUserStore();
  }
}
