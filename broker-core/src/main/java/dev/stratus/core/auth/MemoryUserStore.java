package dev.stratus.core.auth;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Users in memory, for tests and {@code --store memory}. */
public final class MemoryUserStore implements UserStore {
  private final ConcurrentHashMap<String, User> users = new ConcurrentHashMap<>();

  @Override
  public User get(String name) {
    return users.get(name);
  }

  @Override
  public void put(User user) {
    users.put(user.name(), user);
  }

  @Override
  public boolean remove(String name) {
    return users.remove(name) != null;
  }

  @Override
  public List<User> list() {
    List<User> all = new ArrayList<>(users.values());
    all.sort(Comparator.comparing(User::name));
    return all;
  }
}
