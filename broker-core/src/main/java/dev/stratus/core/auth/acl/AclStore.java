package dev.stratus.core.auth.acl;

import java.util.List;

/**
 * ACL rules kept in a store, managed by {@code ./stratus acl ...}. Rules form a set: adding an
 * existing rule changes nothing. Implementations are thread-safe; the DynamoDB one lives in
 * store-dynamodb.
 */
public interface AclStore {

  /** Every rule, in a stable order (by section, then rule line). */
  List<AclRule> list();

  /** Adds the rule; false when it was there already. */
  boolean add(AclRule rule);

  /** Removes the rule; false when there was none. */
  boolean remove(AclRule rule);
}
