package dev.stratus.core.auth;

import java.util.List;

/**
 * Broker users, managed by {@code ./stratus users ...}. Implementations are thread-safe; the
 * DynamoDB one lives in store-dynamodb.
 */
public interface UserStore {

  /** The user, or null. */
  User get(String name);

  /** Creates or replaces the user. */
  void put(User user);

  /** Removes the user; false when there was none. */
  boolean remove(String name);

  /** Every user, sorted by name. */
  List<User> list();
}
