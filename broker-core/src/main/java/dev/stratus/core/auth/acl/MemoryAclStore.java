package dev.stratus.core.auth.acl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** ACL rules in memory, for tests and {@code --store memory}. */
public final class MemoryAclStore implements AclStore {
  /** The order {@link AclStore#list} promises. */
  public static final Comparator<AclRule> ORDER =
      Comparator.comparing(AclRule::sectionLine).thenComparing(AclRule::ruleLine);

  private final Set<AclRule> rules = ConcurrentHashMap.newKeySet();

  @Override
  public List<AclRule> list() {
    List<AclRule> all = new ArrayList<>(rules);
    all.sort(ORDER);
    return all;
  }

  @Override
  public boolean add(AclRule rule) {
    return rules.add(rule);
  }

  @Override
  public boolean remove(AclRule rule) {
    return rules.remove(rule);
  }
}
