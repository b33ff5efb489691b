package dev.stratus.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link UserStore} does; the DynamoDB implementation extends it. */
public abstract class UserStoreContract {
  /** Few iterations: the store keeps the string, the cost is not what is tested here. */
  protected static final String HASH =
      PasswordHash.hash("secret".getBytes(StandardCharsets.UTF_8), PasswordHash.MIN_ITERATIONS);

  protected UserStore store;

  protected abstract UserStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
  }

  @Test
  void putGetRemove() {
    assertNull(store.get("alice"));
    User alice = new User("alice", HASH, Set.of("admins", "sensors"));
    store.put(alice);
    assertEquals(alice, store.get("alice"));
    assertTrue(
        PasswordHash.verify(
            "secret".getBytes(StandardCharsets.UTF_8), store.get("alice").passwordHash()));
    assertTrue(store.remove("alice"));
    assertFalse(store.remove("alice"));
    assertNull(store.get("alice"));
  }

  @Test
  void putReplaces() {
    store.put(new User("alice", HASH, Set.of("a")));
    User changed = new User("alice", null, Set.of());
    store.put(changed);
    assertEquals(changed, store.get("alice"));
  }

  @Test
  void listIsSortedByName() {
    store.put(new User("carol", HASH, Set.of()));
    store.put(new User("alice", HASH, Set.of("x")));
    store.put(new User("bob", null, Set.of("y", "z")));
    assertEquals(List.of("alice", "bob", "carol"), store.list().stream().map(User::name).toList());
    assertEquals(new User("bob", null, Set.of("y", "z")), store.list().get(1));
  }

  @Test
  void namesAreExact() {
    store.put(new User("Alice", HASH, Set.of()));
    assertNull(store.get("alice"));
    assertNull(store.get("Alice "));
  }
}
