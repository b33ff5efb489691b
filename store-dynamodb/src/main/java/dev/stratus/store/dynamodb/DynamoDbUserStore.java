package dev.stratus.store.dynamodb;

import static dev.stratus.store.dynamodb.Attrs.s;
import static dev.stratus.store.dynamodb.Attrs.str;

import dev.stratus.core.auth.User;
import dev.stratus.core.auth.UserStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/**
 * Users in the {@code users} table ({@link StratusTables#USERS}), one item per user:
 *
 * <pre>
 * pk     S   user name
 * hash   S   PasswordHash string (pbkdf2-sha512$iterations$salt$hash); absent: certificate only
 * roles  SS  role names; absent when none (a string set cannot be empty)
 * </pre>
 *
 * A login is one strongly consistent GetItem (so a removed user or changed password takes effect at
 * the next CONNECT); {@link #list} scans the table, for {@code ./stratus users list}.
 */
public final class DynamoDbUserStore implements UserStore {
  private final TableClient table;

  public DynamoDbUserStore(DynamoDbClient client, String tablePrefix) {
    this.table = new TableClient(client, StratusTables.USERS.name(tablePrefix));
  }

  private static User fromItem(Map<String, AttributeValue> item) {
    AttributeValue roles = item.get("roles");
    return new User(
        str(item, "pk"), str(item, "hash"), roles == null ? Set.of() : Set.copyOf(roles.ss()));
  }

  @Override
  public User get(String name) {
    Map<String, AttributeValue> item =
        table.call(
            "get user",
            () ->
                table
                    .client
                    .getItem(
                        b ->
                            b.tableName(table.name).key(Map.of("pk", s(name))).consistentRead(true))
                    .item());
    return item == null || item.isEmpty() ? null : fromItem(item);
  }

  @Override
  public void put(User user) {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put("pk", s(user.name()));
    if (user.passwordHash() != null) {
      item.put("hash", s(user.passwordHash()));
    }
    if (!user.roles().isEmpty()) {
      item.put("roles", AttributeValue.fromSs(List.copyOf(user.roles())));
    }
    table.run("put user", () -> table.client.putItem(b -> b.tableName(table.name).item(item)));
  }

  @Override
  public boolean remove(String name) {
    return table.call(
        "remove user",
        () -> {
          Map<String, AttributeValue> old =
              table
                  .client
                  .deleteItem(
                      b ->
                          b.tableName(table.name)
                              .key(Map.of("pk", s(name)))
                              .returnValues(ReturnValue.ALL_OLD))
                  .attributes();
          return old != null && !old.isEmpty();
        });
  }

  @Override
  public List<User> list() {
    List<User> all = new ArrayList<>();
    for (Map<String, AttributeValue> item :
        table.scanAll("list users", ScanRequest.builder().tableName(table.name).build())) {
      all.add(fromItem(item));
    }
    all.sort(Comparator.comparing(User::name));
    return all;
  }
}
