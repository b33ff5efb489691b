package dev.stratus.core.auth.acl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.ManualClock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AclAuthorizerTest {
  @Test
  void storeRulesApplyAfterTheRefreshInterval() {
    ManualClock clock = new ManualClock();
    MemoryAclStore store = new MemoryAclStore();
    AclRule fixed =
        new AclRule(AclRule.Scope.ALL, "", true, EnumSet.of(Right.SUBSCRIBE), "public/#");
    AclAuthorizer a = AclAuthorizer.withStore(List.of(fixed), store, clock, Duration.ofSeconds(30));
    assertTrue(a.maySubscribe("c", "bob", Set.of(), TopicFilter.of("public/x")));
    assertFalse(a.mayPublish("c", "bob", Set.of(), TopicName.of("bob/x")));
    store.add(new AclRule(AclRule.Scope.USER, "bob", true, EnumSet.of(Right.PUBLISH), "%u/#"));
    clock.advance(Duration.ofSeconds(10));
    assertFalse(a.mayPublish("c", "bob", Set.of(), TopicName.of("bob/x")), "not reread yet");
    clock.advance(Duration.ofSeconds(21));
    assertTrue(a.mayPublish("c", "bob", Set.of(), TopicName.of("bob/x")));
    // the fixed rules stay, a removed store rule goes
    store.remove(store.list().getFirst());
    clock.advance(Duration.ofSeconds(31));
    assertFalse(a.mayPublish("c", "bob", Set.of(), TopicName.of("bob/x")));
    assertTrue(a.maySubscribe("c", "bob", Set.of(), TopicFilter.of("$share/g/public/x")));
    assertTrue(a.checksReceive());
  }

  @Test
  void aFailingStoreKeepsTheLastRules() {
    ManualClock clock = new ManualClock();
    boolean[] fail = {false};
    MemoryAclStore inner = new MemoryAclStore();
    inner.add(new AclRule(AclRule.Scope.ALL, "", true, EnumSet.of(Right.RECEIVE), "x"));
    AclStore flaky =
        new AclStore() {
          @Override
          public List<AclRule> list() {
            if (fail[0]) {
              throw new IllegalStateException("store down");
            }
            return inner.list();
          }

          @Override
          public boolean add(AclRule rule) {
            return inner.add(rule);
          }

          @Override
          public boolean remove(AclRule rule) {
            return inner.remove(rule);
          }
        };
    AclAuthorizer a = AclAuthorizer.withStore(List.of(), flaky, clock, Duration.ofSeconds(1));
    fail[0] = true;
    clock.advance(Duration.ofSeconds(2));
    assertTrue(a.mayReceive("c", null, Set.of(), TopicName.of("x")));
  }
}
