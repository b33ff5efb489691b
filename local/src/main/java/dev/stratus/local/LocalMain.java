package dev.stratus.local;

import dev.stratus.bridge.Tls;
import dev.stratus.store.dynamodb.DynamoDbClients;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * {@code ./stratus local}: the whole stack in one process ({@link LocalStack}). Prints one {@code
 * listening ...} line per endpoint on stdout, then runs until SIGTERM or Ctrl-C, stops cleanly and
 * exits 0. Exit code 2 for a bad command line or a port in use.
 */
public final class LocalMain {
  static final String USAGE =
      """
      usage: stratus local [options]
        --apigw-port N          API Gateway emulator (WebSocket + Management API) (default 3001)
        --tcp-port N            bridge MQTT over TCP (default 1883)
        --ws-port N             bridge MQTT over WebSocket, path /mqtt (default 8080)
        --tls-port N            bridge MQTT over TLS (default: off); a self-signed certificate for
                                localhost is generated into DATA-DIR/tls unless --tls-cert is given
        --tls-cert PEM          certificate chain for --tls-port (with --tls-key)
        --tls-key PEM           its private key (PKCS#8 PEM)
        --dynamodb-port N       embedded DynamoDB Local (default 8000)
        --console-port N        the web console, with both edges prefilled (default 8088)
        --store dynamodb|memory state in DynamoDB Local under DATA-DIR (default), or in memory
        --data-dir DIR          where DynamoDB Local keeps its tables (DIR/dynamodb) and the TLS
                                certificate (DIR/tls) (default ./.stratus-data): a restart keeps
                                sessions and retained messages
        --dispatch MODE         sequential (default): one connection's messages are handled one
                                after another; concurrent: in parallel on several handler
                                containers, as API Gateway may
        --stage NAME            the API Gateway stage, the URL's path (default local)
        --idle-timeout D        close API Gateway connections idle this long (default 10m)
        --max-connection-age D  close API Gateway connections this old (default 2h)
        --table-prefix P        DynamoDB table names P + sessions, ... (default stratus-)
        --allow-anonymous B     true (default, for development): clients without credentials
                                are admitted; false: only users of the users table
                                (./stratus users add ...) on every endpoint
        --acl-file FILE         ACL rules (docs/security.md) for both edges, besides those of the
                                acl table (./stratus acl ...); without a file and without rules
                                in the table every client may use every topic
        -h, --help              show this help
      Ports: 0 picks a free port. Durations: 500ms, 30s, 10m, 2h. Users and ACL rules are read
      from DATA-DIR's DynamoDB Local (./stratus users / acl work against it, running or not).""";

  private LocalMain() {}

  /** The parsed command line. */
  record Options(
      LocalStack.Options stack,
      Path tlsCert,
      Path tlsKey,
      int consolePort,
      boolean help,
      LocalStack.SecurityOptions security) {
    Options(LocalStack.Options stack, Path tlsCert, Path tlsKey, int consolePort, boolean help) {
      this(stack, tlsCert, tlsKey, consolePort, help, LocalStack.SecurityOptions.development());
    }
  }

  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  static Options parse(String... args) throws UsageException {
    int apigw = 3001;
    int tcp = 1883;
    int ws = 8080;
    int tls = -1;
    int dynamodb = 8000;
    int console = 8088;
    Path tlsCert = null;
    Path tlsKey = null;
    LocalStack.StoreKind store = LocalStack.StoreKind.DYNAMODB;
    Path dataDir = Path.of(".stratus-data");
    String prefix = DynamoDbClients.tablePrefix(System.getenv());
    ApiGatewayEmulator.Settings settings = ApiGatewayEmulator.Settings.defaults();
    Duration idle = settings.idleTimeout();
    Duration age = settings.maxConnectionAge();
    boolean allowAnonymous = true;
    Path aclFile = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return new Options(null, null, null, -1, true);
      }
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument: " + arg);
      }
      if (i + 1 >= args.length) {
        throw new UsageException(
            switch (arg) {
              case "--apigw-port",
                  "--tcp-port",
                  "--ws-port",
                  "--tls-port",
                  "--dynamodb-port",
                  "--console-port",
                  "--tls-cert",
                  "--tls-key",
                  "--store",
                  "--data-dir",
                  "--dispatch",
                  "--stage",
                  "--idle-timeout",
                  "--max-connection-age",
                  "--table-prefix",
                  "--allow-anonymous",
                  "--acl-file" ->
                  arg + " needs a value";
              default -> "unknown option: " + arg;
            });
      }
      String v = args[++i];
      switch (arg) {
        case "--apigw-port" -> apigw = port(arg, v);
        case "--tcp-port" -> tcp = port(arg, v);
        case "--ws-port" -> ws = port(arg, v);
        case "--tls-port" -> tls = port(arg, v);
        case "--dynamodb-port" -> dynamodb = port(arg, v);
        case "--console-port" -> console = port(arg, v);
        case "--tls-cert" -> tlsCert = Path.of(v);
        case "--tls-key" -> tlsKey = Path.of(v);
        case "--data-dir" -> dataDir = Path.of(v);
        case "--store" ->
            store =
                switch (v) {
                  case "dynamodb" -> LocalStack.StoreKind.DYNAMODB;
                  case "memory" -> LocalStack.StoreKind.MEMORY;
                  default ->
                      throw new UsageException("--store: dynamodb or memory, not '" + v + "'");
                };
        case "--dispatch" -> {
          try {
            settings = settings.withDispatch(ApiGatewayEmulator.Dispatch.parse(v));
          } catch (IllegalArgumentException e) {
            throw new UsageException("--dispatch: sequential or concurrent, not '" + v + "'");
          }
        }
        case "--stage" -> {
          if (!v.matches("[A-Za-z0-9_-]{1,128}")) {
            throw new UsageException("--stage: letters, digits, '_' and '-' only");
          }
          settings = settings.withStage(v);
        }
        case "--idle-timeout" -> idle = duration(arg, v);
        case "--max-connection-age" -> age = duration(arg, v);
        case "--table-prefix" -> {
          if (!v.matches("[A-Za-z0-9_.-]{1,200}")) {
            throw new UsageException(
                "--table-prefix: letters, digits, '_', '-' and '.' only (DynamoDB table names)");
          }
          prefix = v;
        }
        case "--allow-anonymous" ->
            allowAnonymous =
                switch (v) {
                  case "true" -> true;
                  case "false" -> false;
                  default ->
                      throw new UsageException("--allow-anonymous: true or false, not '" + v + "'");
                };
        case "--acl-file" -> aclFile = Path.of(v);
        default -> throw new UsageException("unknown option: " + arg);
      }
    }
    if (!allowAnonymous && store == LocalStack.StoreKind.MEMORY) {
      throw new UsageException(
          "--allow-anonymous false needs --store dynamodb (users live in its users table)");
    }
    LocalStack.SecurityOptions security = LocalStack.SecurityOptions.development();
    if (aclFile != null) {
      String text;
      try {
        text = Files.readString(aclFile, java.nio.charset.StandardCharsets.UTF_8);
        // checked here, so that a bad line stops the start with the parser's message
        dev.stratus.core.auth.acl.AclFile.parse(aclFile.toString(), text.lines().toList());
      } catch (IOException e) {
        throw new UsageException("--acl-file: cannot read " + aclFile + ": " + e.getMessage());
      } catch (dev.stratus.core.auth.acl.AclFile.AclSyntaxException e) {
        throw new UsageException("--acl-file: " + e.getMessage());
      }
      security =
          new LocalStack.SecurityOptions(
              allowAnonymous, text, aclFile.toString(), security.aclRefresh());
    } else {
      security = new LocalStack.SecurityOptions(allowAnonymous, null, null, security.aclRefresh());
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new UsageException("--tls-cert and --tls-key go together");
    }
    if (tlsCert != null && tls < 0) {
      throw new UsageException("--tls-cert needs --tls-port");
    }
    settings = settings.withTimeouts(idle, age);
    return new Options(
        new LocalStack.Options(
            "127.0.0.1", apigw, tcp, ws, tls, null, store, dataDir, dynamodb, prefix, settings),
        tlsCert,
        tlsKey,
        console,
        false,
        security);
  }

  private static int port(String flag, String v) throws UsageException {
    try {
      int p = Integer.parseInt(v);
      if (p >= 0 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(flag + ": '" + v + "' is not a port (0-65535; 0 picks a free one)");
  }

  /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, or an ISO-8601 duration. */
  static Duration duration(String flag, String v) throws UsageException {
    Duration d = null;
    try {
      if (v.matches("\\d+ms")) {
        d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      } else if (v.matches("\\d+[smh]")) {
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        d =
            switch (v.charAt(v.length() - 1)) {
              case 's' -> Duration.ofSeconds(n);
              case 'm' -> Duration.ofMinutes(n);
              default -> Duration.ofHours(n);
            };
      } else {
        d = Duration.parse(v);
      }
    } catch (NumberFormatException | DateTimeParseException e) {
      // reported below
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw new UsageException(flag + ": '" + v + "' is not a positive duration (e.g. 30s, 10m)");
    }
    return d;
  }

  public static void main(String[] args) throws InterruptedException {
    int status = start(args, System.out, System.err);
    if (status >= 0) {
      System.exit(status);
    }
    new CountDownLatch(1).await(); // the shutdown hook stops the stack and ends the process
  }

  /** Starts the stack; -1 once it runs, else the exit status. */
  static int start(String[] args, PrintStream out, PrintStream err) {
    Options options;
    try {
      options = parse(args);
    } catch (UsageException e) {
      err.println("stratus local: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (options.help()) {
      out.println(USAGE);
      return 0;
    }
    LocalStack.Options o = options.stack();
    if (o.tlsPort() >= 0) {
      try {
        SSLContext context =
            options.tlsCert() != null
                ? Tls.serverContext(options.tlsCert(), options.tlsKey())
                : selfSigned(o.dataDir().resolve("tls"), err);
        o =
            new LocalStack.Options(
                o.host(),
                o.apigwPort(),
                o.tcpPort(),
                o.wsPort(),
                o.tlsPort(),
                context,
                o.store(),
                o.dataDir(),
                o.dynamodbPort(),
                o.tablePrefix(),
                o.apigw());
      } catch (IOException | GeneralSecurityException e) {
        err.println("stratus local: TLS: " + e.getMessage());
        return 2;
      }
    }
    LocalStack stack;
    // DynamoDB Local prints a banner on System.out while it starts and SLF4J complains on
    // System.err: both are set aside, so that stdout carries only the listening lines.
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
    System.setOut(discard);
    System.setErr(discard);
    try {
      stack = LocalStack.start(o, options.security());
      try {
        stack.startConsole(o.host(), options.consolePort());
      } catch (IOException | RuntimeException e) {
        stack.close();
        throw e;
      }
    } catch (BindException e) {
      System.setOut(stdout);
      System.setErr(stderr);
      err.println("stratus local: cannot listen on " + e.getMessage());
      return 2;
    } catch (IOException | RuntimeException e) {
      System.setOut(stdout);
      System.setErr(stderr);
      err.println("stratus local: " + e.getMessage());
      return 2;
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stack.close();
                  err.println("stratus local: stopped");
                  err.flush();
                  out.flush();
                  // a signal would end the JVM with 128+signal; a clean stop is a normal exit
                  Runtime.getRuntime().halt(0);
                },
                "local-stop"));
    for (String e : stack.endpoints()) {
      out.println("listening " + e);
    }
    out.flush();
    LocalStack.SecurityOptions sec = options.security();
    if (sec.allowAnonymous()) {
      err.println(
          "stratus local: anonymous access is on (development); --allow-anonymous false to require"
              + " users (./stratus users add NAME --password-stdin)");
    } else {
      err.println(
          "stratus local: anonymous access is off: clients log in as users of the users table"
              + " (./stratus users list)");
    }
    err.println(
        "stratus local: ACL: "
            + (sec.aclText() != null ? sec.aclSource() + " and the acl table" : "")
            + (sec.aclText() == null && stack.aclTableUsed() ? "the acl table" : "")
            + (sec.aclText() == null && !stack.aclTableUsed()
                ? "none (every client may use every topic; rules added with ./stratus acl apply"
                    + " from the next start)"
                : ""));
    err.println(
        "stratus local: API Gateway dispatch "
            + o.apigw().dispatch().name().toLowerCase(java.util.Locale.ROOT)
            + "; state "
            + (o.store() == LocalStack.StoreKind.MEMORY
                ? "in memory (lost on exit)"
                : "in " + o.dataDir().resolve("dynamodb").toAbsolutePath().normalize()));
    if (o.store() == LocalStack.StoreKind.MEMORY
        && o.apigw().dispatch() == ApiGatewayEmulator.Dispatch.CONCURRENT) {
      err.println(
          "stratus local: note: with --store memory the handlers have no sequencer (it keeps its"
              + " state in DynamoDB): concurrent dispatch may reorder one connection's messages");
    }
    if (!stack.sweeperRuns()) {
      err.println(
          "stratus local: note: the functions module has no SweeperHandler in this build: keepalive"
              + " expiry and wills of lost API Gateway connections wait for it");
    }
    err.println(
        "stratus local: the API Gateway edge speaks the text profile (subprotocol"
            + " mqtt-base64.stratus.dev, docs/text-profile.md); standard MQTT clients use tcp or"
            + " ws");
    err.flush();
    return -1;
  }

  /**
   * A self-signed certificate for localhost and 127.0.0.1, made by the JDK's keytool into {@code
   * dir/local.p12} once and reused, so that a client can pin it across restarts.
   */
  static SSLContext selfSigned(Path dir, PrintStream err)
      throws IOException, GeneralSecurityException {
    Path store = dir.resolve("local.p12");
    char[] password = "stratus-local".toCharArray();
    if (!Files.exists(store)) {
      Files.createDirectories(dir);
      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      List<String> cmd =
          List.of(
              keytool.toString(),
              "-genkeypair",
              "-alias",
              "stratus-local",
              "-keyalg",
              "EC",
              "-groupname",
              "secp256r1",
              "-dname",
              "CN=localhost",
              "-ext",
              "SAN=dns:localhost,ip:127.0.0.1",
              "-validity",
              "825",
              "-storetype",
              "PKCS12",
              "-keystore",
              store.toString(),
              "-storepass",
              new String(password));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] output;
      try (InputStream in = p.getInputStream()) {
        output = in.readAllBytes();
      }
      try {
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IOException(
              "keytool could not make a certificate: " + new String(output).trim());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while making a certificate", e);
      }
      err.println("stratus local: made a self-signed certificate for localhost in " + store);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, password);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }
}
