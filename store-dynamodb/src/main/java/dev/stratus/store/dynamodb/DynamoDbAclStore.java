package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.s;
import static dev.stratus.store.dynamodb.Attrs.str;

import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.acl.AclRule;
import dev.stratus.core.auth.acl.AclStore;
import dev.stratus.core.auth.acl.MemoryAclStore;
import dev.stratus.core.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/**
 * ACL rules in the {@code acl} table ({@link StratusTables#ACL}), one item per rule, keyed by the
 * rule's own text in the ACL file format, so that a rule is stored once and reads back through the
 * same parser as a file:
 *
 * <pre>
 * pk  S  section line: "user alice", "role admins", "all" or "anonymous"
 * sk  S  rule line with its rights in canonical order: "allow publish,receive devices/%u/#"
 * </pre>
 *
 * {@link #list} scans the table: the engine's {@code AclAuthorizer} rereads it at most once per
 * refresh interval per process (30 s by default), so an ACL of a few hundred rules costs a few read
 * units a minute per process.
 */
public final class DynamoDbAclStore implements AclStore {
  private final TableClient table;

  public DynamoDbAclStore(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.ACL.name(tablePrefix));
  }

  private static Map<String, AttributeValue> key(AclRule rule) {
    return Map.of("pk", s(rule.sectionLine()), "sk", s(rule.ruleLine()));
  }

  @Override
  public List<AclRule> list() {
    List<AclRule> rules = new ArrayList<>();
    for (Map<String, AttributeValue> item :
        table.scanAll("list ACL rules", ScanRequest.builder().tableName(table.name).build())) {
      try {
        rules.addAll(AclFile.parse(table.name, List.of(str(item, "pk"), str(item, "sk"))));
      } catch (AclFile.AclSyntaxException e) {
        throw new StoreException("unreadable ACL rule in " + table.name + ": " + e.getMessage(), e);
      }
    }
    rules.sort(MemoryAclStore.ORDER);
    return rules;
  }

  @Override
  public boolean add(AclRule rule) {
    return table.call(
        "add ACL rule",
        () -> {
          try {
            table.client.putItem(
                b ->
                    b.tableName(table.name)
                        .item(key(rule))
                        .conditionExpression("attribute_not_exists(pk)"));
            return true;
          } catch (ConditionalCheckFailedException exists) {
            return false;
          }
        });
  }

  @Override
  public boolean remove(AclRule rule) {
    return table.call(
        "remove ACL rule",
        () -> {
          Map<String, AttributeValue> old =
              table
                  .client
                  .deleteItem(
                      b -> b.tableName(table.name).key(key(rule)).returnValues(ReturnValue.ALL_OLD))
                  .attributes();
          return old != null && !old.isEmpty();
        });
  }
}
