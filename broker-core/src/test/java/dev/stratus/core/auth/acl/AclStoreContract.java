package dev.stratus.core.auth.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link AclStore} does; the DynamoDB implementation extends it. */
public abstract class AclStoreContract {
  protected AclStore store;

  protected abstract AclStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
  }

  private static AclRule rule(
      AclRule.Scope scope, String subject, boolean allow, String p, Right... r) {
    return new AclRule(scope, subject, allow, EnumSet.copyOf(List.of(r)), p);
  }

  @Test
  void addListRemove() {
    AclRule a = rule(AclRule.Scope.USER, "alice", true, "a/%u/#", Right.PUBLISH, Right.RECEIVE);
    AclRule b = rule(AclRule.Scope.ROLE, "admins", true, "$SYS/#", Right.SUBSCRIBE, Right.RECEIVE);
    AclRule c = rule(AclRule.Scope.ALL, "", false, "secret/#", Right.SUBSCRIBE);
    AclRule d = rule(AclRule.Scope.ANONYMOUS, "", true, "public/#", Right.RECEIVE);
    assertEquals(List.of(), store.list());
    assertTrue(store.add(a));
    assertTrue(store.add(b));
    assertTrue(store.add(c));
    assertTrue(store.add(d));
    assertFalse(
        store.add(rule(AclRule.Scope.USER, "alice", true, "a/%u/#", Right.RECEIVE, Right.PUBLISH)));
    // sorted by section line, then rule line
    assertEquals(List.of(c, d, b, a), store.list());
    assertTrue(store.remove(b));
    assertFalse(store.remove(b));
    assertEquals(List.of(c, d, a), store.list());
  }

  @Test
  void rulesDifferingOnlyInRightsOrAllowAreDistinct() {
    AclRule allow = rule(AclRule.Scope.USER, "bob", true, "x/#", Right.PUBLISH);
    AclRule deny = rule(AclRule.Scope.USER, "bob", false, "x/#", Right.PUBLISH);
    AclRule more = rule(AclRule.Scope.USER, "bob", true, "x/#", Right.PUBLISH, Right.SUBSCRIBE);
    assertTrue(store.add(allow));
    assertTrue(store.add(deny));
    assertTrue(store.add(more));
    assertEquals(Set.of(allow, deny, more), Set.copyOf(store.list()));
    assertTrue(store.remove(deny));
    assertEquals(Set.of(allow, more), Set.copyOf(store.list()));
  }
}
