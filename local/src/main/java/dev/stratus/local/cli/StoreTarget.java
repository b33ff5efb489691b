package dev.stratus.local.cli;

import dev.stratus.local.DynamoDbLocalServer;
import dev.stratus.store.dynamodb.DynamoDbAclStore;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbUserStore;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Where {@code ./stratus users} and {@code ./stratus acl} find the users and acl tables, chosen by
 * the common options:
 *
 * <ul>
 *   <li>{@code --dynamodb-endpoint URL}: a DynamoDB (Local) endpoint, tables named by {@code
 *       --table-prefix};
 *   <li>{@code --aws}: the deployed tables, through the default AWS credential chain and {@code
 *       --region} (else AWS_REGION);
 *   <li>otherwise the local stack's data directory ({@code --data-dir}, default ./.stratus-data):
 *       the DynamoDB Local of a running {@code ./stratus local} (its endpoint is in {@link
 *       #ENDPOINT_FILE}), or, when none runs, an embedded DynamoDB Local opened on the same files.
 * </ul>
 */
public final class StoreTarget implements AutoCloseable {
  /** The file in the data directory where a running local stack writes its DynamoDB endpoint. */
  public static final String ENDPOINT_FILE = "dynamodb.endpoint";

  /** The parsed common options; {@code rest} holds the command's own arguments. */
  public record Options(
      Path dataDir, URI endpoint, boolean aws, String region, String prefix, List<String> rest) {}

  private final DynamoDbClient client;
  private final DynamoDbLocalServer embedded;
  private final String prefix;
  private final String description;

  private StoreTarget(
      DynamoDbClient client, DynamoDbLocalServer embedded, String prefix, String description) {
    this.client = client;
    this.embedded = embedded;
    this.prefix = prefix;
    this.description = description;
  }

  /** Takes the common options out of {@code args}. */
  static Options parse(List<String> args) throws UsageException {
    Path dataDir = Path.of(".stratus-data");
    URI endpoint = null;
    boolean aws = false;
    String region = null;
    String prefix = DynamoDbClients.tablePrefix(System.getenv());
    List<String> rest = new java.util.ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
        case "--dynamodb-endpoint" -> {
          String v = value(args, ++i, a);
          try {
            endpoint = URI.create(v);
          } catch (IllegalArgumentException e) {
            throw new UsageException("--dynamodb-endpoint: not a URL: " + v);
          }
          if (endpoint.getScheme() == null || endpoint.getHost() == null) {
            throw new UsageException("--dynamodb-endpoint: not a URL: " + v);
          }
        }
        case "--aws" -> aws = true;
        case "--region" -> region = value(args, ++i, a);
        case "--table-prefix" -> {
          prefix = value(args, ++i, a);
          if (!prefix.matches("[A-Za-z0-9_.-]{1,200}")) {
            throw new UsageException(
                "--table-prefix: letters, digits, '_', '-' and '.' only (DynamoDB table names)");
          }
        }
        default -> rest.add(a);
      }
    }
    if (aws && endpoint != null) {
      throw new UsageException("--aws and --dynamodb-endpoint exclude each other");
    }
    return new Options(dataDir, endpoint, aws, region, prefix, List.copyOf(rest));
  }

  static String value(List<String> args, int i, String flag) throws UsageException {
    if (i >= args.size()) {
      throw new UsageException(flag + " needs a value");
    }
    return args.get(i);
  }

  /** Opens the tables the options name. */
  static StoreTarget open(Options o) throws IOException {
    if (o.aws()) {
      var b =
          DynamoDbClient.builder()
              .overrideConfiguration(c -> c.retryStrategy(DynamoDbClients.retryStrategy()));
      if (o.region() != null) {
        b.region(software.amazon.awssdk.regions.Region.of(o.region()));
      }
      return new StoreTarget(b.build(), null, o.prefix(), "AWS tables " + o.prefix() + "*");
    }
    if (o.endpoint() != null) {
      return new StoreTarget(
          client(o.endpoint(), o.region()),
          null,
          o.prefix(),
          "DynamoDB at " + o.endpoint() + ", tables " + o.prefix() + "*");
    }
    URI running = runningEndpoint(o.dataDir());
    if (running != null) {
      DynamoDbClient c = client(running, o.region());
      if (answers(c)) {
        return new StoreTarget(
            c, null, o.prefix(), "the running local stack's DynamoDB Local at " + running);
      }
      c.close(); // a stale file from a stack that did not stop cleanly
    }
    // DynamoDB Local prints a banner on System.out while it starts: set aside.
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    DynamoDbLocalServer server;
    try {
      server = DynamoDbLocalServer.start(0, o.dataDir().resolve("dynamodb"));
    } finally {
      System.setOut(stdout);
    }
    DynamoDbClient c = client(server.endpoint(), o.region());
    try {
      // the users and acl tables (and the others) exist before the first ./stratus local
      StratusTables.createAll(c, o.prefix());
    } catch (RuntimeException e) {
      c.close();
      server.close();
      throw e;
    }
    return new StoreTarget(
        c,
        server,
        o.prefix(),
        "DynamoDB Local files in " + o.dataDir().resolve("dynamodb").toAbsolutePath().normalize());
  }

  private static DynamoDbClient client(URI endpoint, String region) {
    return DynamoDbClients.builder(
            endpoint, region == null ? "us-east-1" : region, dummyCredentials(), List.of())
        .build();
  }

  /** DynamoDB Local accepts any credentials: fixed ones unless this machine has some. */
  private static boolean dummyCredentials() {
    Map<String, String> env = System.getenv();
    return env.get("AWS_ACCESS_KEY_ID") == null && env.get("AWS_PROFILE") == null;
  }

  private static boolean answers(DynamoDbClient c) {
    try {
      c.listTables(r -> r.limit(1));
      return true;
    } catch (SdkException e) {
      return false;
    }
  }

  /** The endpoint a running local stack wrote into its data directory, or null. */
  static URI runningEndpoint(Path dataDir) throws IOException {
    try {
      String s = Files.readString(dataDir.resolve(ENDPOINT_FILE), StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? null : URI.create(s);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Writes the endpoint file for a starting local stack. */
  public static void writeEndpoint(Path dataDir, URI endpoint) throws IOException {
    Files.createDirectories(dataDir);
    Path tmp = dataDir.resolve(ENDPOINT_FILE + ".tmp");
    Files.writeString(tmp, endpoint + "\n", StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dataDir.resolve(ENDPOINT_FILE),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Removes the endpoint file of a stopping local stack. */
  public static void removeEndpoint(Path dataDir) {
    try {
      Files.deleteIfExists(dataDir.resolve(ENDPOINT_FILE));
    } catch (IOException e) {
      // a stale file is detected by the next command (the endpoint does not answer)
    }
  }

  DynamoDbUserStore users() {
    return new DynamoDbUserStore(client, prefix);
  }

  DynamoDbAclStore acl() {
    return new DynamoDbAclStore(client, prefix);
  }

  String description() {
    return description;
  }

  @Override
  public void close() {
    client.close();
    if (embedded != null) {
      embedded.close();
    }
  }

  /** A bad command line: exit 2 with the usage. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
