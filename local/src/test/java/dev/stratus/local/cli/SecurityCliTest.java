package dev.stratus.local.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.core.auth.PasswordHash;
import dev.stratus.local.DynamoDbLocalServer;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbUserStore;
import dev.stratus.store.dynamodb.StratusTables;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * {@code ./stratus users} and {@code ./stratus acl} against a DynamoDB endpoint (one DynamoDB Local
 * for the class), and once against a data dir nobody runs (the embedded path).
 */
class SecurityCliTest {
  @TempDir static Path tmp;
  static DynamoDbLocalServer dynamo;
  static DynamoDbClient client;
  static String endpoint;

  @BeforeAll
  static void start() throws Exception {
    dynamo = DynamoDbLocalServer.start(0, tmp.resolve("server"));
    endpoint = dynamo.endpoint().toString();
    client = DynamoDbClients.builder(dynamo.endpoint(), "us-east-1", true, List.of()).build();
    StratusTables.createAll(client, "cli-");
  }

  @AfterAll
  static void stop() {
    client.close();
    dynamo.close();
  }

  static CliRunner.Result users(String stdin, String... args) {
    return CliRunner.users(stdin, with(args));
  }

  static CliRunner.Result acl(String... args) {
    return CliRunner.acl(with(args));
  }

  static String[] with(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--dynamodb-endpoint";
    all[args.length + 1] = endpoint;
    all[args.length + 2] = "--table-prefix";
    all[args.length + 3] = "cli-";
    return all;
  }

  @Test
  void usersAddPasswdRolesRemoveAndList() {
    var store = new DynamoDbUserStore(client, "cli-");
    assertEquals(0, users(null, "add", "dave", "--password", "one", "--role", "a").status());
    assertTrue(PasswordHash.verify("one".getBytes(), store.get("dave").passwordHash()));
    // the password from stdin: the first line, without its newline
    assertEquals(0, users("two words\nignored\n", "passwd", "dave", "--password-stdin").status());
    assertTrue(
        PasswordHash.verify(
            "two words".getBytes(StandardCharsets.UTF_8), store.get("dave").passwordHash()));
    assertEquals(0, users(null, "roles", "dave", "--role", "x", "--role", "y").status());
    CliRunner.Result list = users(null, "list");
    assertEquals("dave\troles: x,y\tpassword: yes\n", list.out());
    assertFalse(list.out().contains(store.get("dave").passwordHash()));
    var again = users(null, "add", "dave", "--password", "three");
    assertEquals(1, again.status());
    assertTrue(again.err().contains("user 'dave' exists"), again.err());
    assertEquals(0, users(null, "remove", "dave").status());
    assertEquals(null, store.get("dave"));
  }

  @Test
  void unknownUsersAndBadCommandLines() {
    var r = users(null, "remove", "nobody");
    assertEquals(1, r.status());
    assertEquals("stratus users: unknown user 'nobody'\n", r.err());
    r = users(null, "passwd", "nobody", "--password", "p");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("unknown user 'nobody'"), r.err());
    r = users(null, "add", "eve");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("add needs one of --password PASS and --password-stdin"));
    r = users("", "add", "eve", "--password-stdin");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("the password is empty"), r.err());
    r = users(null, "add", "eve", "--password", "p", "--role", "has space");
    assertEquals(2, r.status());
    r = users(null, "frobnicate");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
  }

  @Test
  void aclAddListRemoveAndTheParsersMessages() throws Exception {
    assertEquals(
        0, acl("add", "user", "alice", "allow", "publish,receive", "devices/%u/#").status());
    assertEquals(0, acl("add", "all", "deny", "all", "secret/#").status());
    var again = acl("add", "all", "deny", "all", "secret/#");
    assertEquals(0, again.status());
    assertTrue(again.out().startsWith("already there: "), again.out());
    Path file = tmp.resolve("more.acl");
    Files.writeString(file, "role ops\n  allow subscribe $SYS/#\n");
    assertEquals(0, acl("add", "--file", file.toString()).status());
    CliRunner.Result list = acl("list");
    assertEquals(0, list.status());
    String expected = list.out();
    // the listing is an ACL file: it parses back into the same rules
    assertEquals(
        3,
        dev.stratus.core.auth.acl.AclFile.parse("list", expected.lines().toList()).size(),
        expected);
    assertTrue(expected.contains("user alice\n  allow publish,receive devices/%u/#"), expected);

    var bad = acl("add", "user", "alice", "allow", "read", "x/#");
    assertEquals(1, bad.status());
    assertEquals(
        "stratus acl: rule:2: unknown right 'read' (publish, subscribe, receive, all)\n",
        bad.err());
    bad = acl("add", "user", "alice");
    assertEquals(1, bad.status());
    assertTrue(bad.err().contains("expected 'allow RIGHTS PATTERN'"), bad.err());
    bad = acl("add", "user", "alice", "allow", "all", "a/#/b");
    assertEquals(1, bad.status(), bad.err());
    assertTrue(bad.err().startsWith("stratus acl: rule:2: "), bad.err());

    var missing = acl("remove", "all", "allow", "all", "#");
    assertEquals(1, missing.status());
    assertTrue(missing.err().contains("no such rule"), missing.err());
    assertEquals(0, acl("remove", "all", "deny", "all", "secret/#").status());
    assertEquals(0, acl("remove", "--file", file.toString()).status());
    assertEquals("user alice\n  allow publish,receive devices/%u/#\n", acl("list").out());
  }

  @Test
  void aDataDirNobodyRunsIsOpenedWithAnEmbeddedDynamoDbLocal() {
    Path dir = tmp.resolve("data");
    var r = CliRunner.users(null, "add", "frank", "--password", "p", "--data-dir", dir.toString());
    assertEquals(0, r.status(), r.err());
    r = CliRunner.users(null, "list", "--data-dir", dir.toString());
    assertEquals("frank\troles: -\tpassword: yes\n", r.out());
    assertTrue(Files.isDirectory(dir.resolve("dynamodb")));
    assertFalse(Files.exists(dir.resolve(StoreTarget.ENDPOINT_FILE)));
  }
}
