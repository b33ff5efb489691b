package dev.stratus.local;

import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * {@code ./stratus dynamodb}: DynamoDB Local on 127.0.0.1 with the Stratus tables created, so that
 * several bridges, the local stack and the AWS CLI share one set of tables. Prints exactly {@code
 * listening dynamodb http://127.0.0.1:PORT} on stdout once the tables exist; runs until SIGTERM or
 * Ctrl-C, then stops the server and exits 0. Exit code 2 for a bad command line or a port in use.
 */
public final class DynamoDbMain {
  static final String USAGE =
      """
      usage: stratus dynamodb [options]
        --port N            port on 127.0.0.1 (default 8000; 0 picks a free one)
        --data-dir DIR      where the tables are kept across restarts
                            (default ./.stratus-data/dynamodb)
        --in-memory         keep nothing on disk (instead of --data-dir)
        --table-prefix P    create the tables as P + sessions, ... (default: STRATUS_TABLE_PREFIX,
                            else stratus-)
        -h, --help          show this help""";

  private DynamoDbMain() {}

  /** The parsed command line; {@code dataDir} is null with {@code --in-memory}. */
  record Options(int port, Path dataDir, String tablePrefix, boolean help) {}

  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  static Options parse(String... args) throws UsageException {
    int port = 8000;
    Path dataDir = Path.of(".stratus-data", "dynamodb");
    boolean dataDirGiven = false;
    boolean inMemory = false;
    String prefix = DynamoDbClients.tablePrefix(System.getenv());
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h", "--help" -> {
          return new Options(port, dataDir, prefix, true);
        }
        case "--in-memory" -> inMemory = true;
        case "--port", "--data-dir", "--table-prefix" -> {
          if (i + 1 >= args.length) {
            throw new UsageException(arg + " needs a value");
          }
          String value = args[++i];
          switch (arg) {
            case "--port" -> {
              try {
                port = Integer.parseInt(value);
              } catch (NumberFormatException e) {
                throw new UsageException("--port: " + value + " is not a number");
              }
              if (port < 0 || port > 65535) {
                throw new UsageException("--port: " + value + " is not a port");
              }
            }
            case "--data-dir" -> {
              dataDir = Path.of(value);
              dataDirGiven = true;
            }
            default -> {
              if (!value.matches("[A-Za-z0-9_.-]{1,200}")) {
                throw new UsageException(
                    "--table-prefix: letters, digits, '_', '-' and '.' only (DynamoDB table names)");
              }
              prefix = value;
            }
          }
        }
        default -> throw new UsageException("unknown option: " + arg);
      }
    }
    if (inMemory && dataDirGiven) {
      throw new UsageException("--in-memory and --data-dir exclude each other");
    }
    return new Options(port, inMemory ? null : dataDir, prefix, false);
  }

  public static void main(String[] args) throws InterruptedException {
    int status = start(args, System.out, System.err);
    if (status >= 0) {
      System.exit(status);
    }
    new CountDownLatch(1).await(); // the shutdown hook stops the server and ends the process
  }

  /** Starts the server; -1 once it runs, else the exit status. */
  static int start(String[] args, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = parse(args);
    } catch (UsageException e) {
      err.println("stratus dynamodb: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (options.help()) {
      out.println(USAGE);
      return 0;
    }
    DynamoDbLocalServer server;
    // While it starts, DynamoDB Local prints a banner on System.out (with its placeholder port) and
    // SLF4J complains on System.err: both are set aside, so that stdout carries only the listening
    // line and a failure is one line; a failure's cause is in the exception reported below.
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
    System.setOut(discard);
    System.setErr(discard);
    try {
      server = DynamoDbLocalServer.start(options.port(), options.dataDir());
    } catch (BindException e) {
      err.println("stratus dynamodb: cannot listen on " + e.getMessage());
      return 2;
    } catch (IOException e) {
      err.println("stratus dynamodb: " + e.getMessage());
      return 2;
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    try (DynamoDbClient client =
        DynamoDbClients.builder(server.endpoint(), "us-east-1", true, List.of()).build()) {
      StratusTables.createAll(client, options.tablePrefix());
    } catch (RuntimeException e) {
      err.println("stratus dynamodb: creating the tables failed: " + e.getMessage());
      server.close();
      return 1;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  err.println("stratus dynamodb: stopped");
                  err.flush();
                  out.flush();
                  // a signal would end the JVM with 128+signal; a clean stop is a normal exit
                  Runtime.getRuntime().halt(0);
                },
                "dynamodb-stop"));
    out.println("listening dynamodb " + server.endpoint());
    err.println(
        "stratus dynamodb: tables "
            + options.tablePrefix()
            + "* ready; data "
            + (options.dataDir() == null
                ? "in memory"
                : "in " + options.dataDir().toAbsolutePath().normalize()));
    out.flush();
    return -1;
  }
}
