package dev.stratus.bridge;

import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.UserStore;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.acl.AclRule;
import dev.stratus.core.auth.acl.AclStore;
import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbAclStore;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.DynamoDbUserStore;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * {@code ./stratus bridge}: the engine behind the TCP, TLS and WebSocket listeners, on in-memory
 * state or, with {@code --store dynamodb}, on the shared DynamoDB tables with the internal endpoint
 * other processes deliver through ({@code listening internal http://...}). Prints one {@code
 * listening ...} line per listener, runs the engine's timers once a second, and on SIGTERM (or
 * Ctrl-C) drains: stops accepting, tells MQTT 5 clients DISCONNECT 0x8B Server shutting down,
 * flushes, closes, and exits 0. Exit code 2 for a bad command line or a listener that cannot bind.
 */
public final class BridgeMain {
  private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
  private static final String CARRIERS_PROPERTY = "jdk.virtualThreadScheduler.parallelism";

  private BridgeMain() {}

  /**
   * What the dynamodb store adds to a bridge task: the stores, the internal endpoint, the task's
   * registration with its heartbeat, and delivery to connections other tasks hold.
   */
  private static final class Shared implements AutoCloseable {
    /** Renewed every 20 s for 60 s: two renewals may fail before other tasks see this one gone. */
    static final int HEARTBEAT_SECONDS = 20;

    static final Duration REGISTRATION_TTL = Duration.ofSeconds(60);

    final String taskId;
    final String prefix;
    final DynamoDbClient dynamo;
    final Stores stores;
    final BridgeTasks tasks;
    final InternalEndpoint endpoint;
    final URI url;
    final SdkHttpClient http;
    final RemoteOutbound remote;

    private Shared(
        String taskId,
        String prefix,
        DynamoDbClient dynamo,
        Stores stores,
        BridgeTasks tasks,
        InternalEndpoint endpoint,
        URI url,
        SdkHttpClient http,
        RemoteOutbound remote) {
      this.taskId = taskId;
      this.prefix = prefix;
      this.dynamo = dynamo;
      this.stores = stores;
      this.tasks = tasks;
      this.endpoint = endpoint;
      this.url = url;
      this.http = http;
      this.remote = remote;
    }

    /**
     * Serves the internal endpoint and registers it before any client can connect: a delivery to a
     * connection of an unregistered task would be taken for a delivery to a dead one.
     */
    static Shared start(BridgeOptions options, Bridge bridge, String taskId) throws IOException {
      Map<String, String> env = new HashMap<>(System.getenv());
      if (options.dynamodbEndpoint() != null) {
        env.put("AWS_ENDPOINT_URL_DYNAMODB", options.dynamodbEndpoint());
      }
      String prefix =
          options.tablePrefix() != null ? options.tablePrefix() : DynamoDbClients.tablePrefix(env);
      DynamoDbClient dynamo = DynamoDbClients.fromEnvironment(env);
      InternalEndpoint endpoint = null;
      SdkHttpClient http = null;
      try {
        endpoint = InternalEndpoint.start(bridge, options.host(), options.internalPort());
        http =
            UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2))
                .socketTimeout(Duration.ofSeconds(10))
                .build();
        SdkHttpClient clients = http;
        BridgeTasks tasks = new BridgeTasks(dynamo, prefix);
        Stores stores = DynamoDbStores.create(dynamo, prefix);
        RemoteOutbound remote =
            new RemoteOutbound(
                new TaskDirectory(tasks, stores.connections(), env, InstantSource.system()),
                route -> TaskDirectory.client(route, clients, env),
                id -> bridge.inbound().connectionLost(id),
                RemoteOutbound.DEFAULT_CAPACITY);
        Shared shared =
            new Shared(
                taskId, prefix, dynamo, stores, tasks, endpoint, endpoint.url(), http, remote);
        // the first registration must succeed: without it no other process can reach this task
        tasks.register(taskId, shared.url, Instant.now(), REGISTRATION_TTL);
        bridge.routeElsewhere(remote);
        return shared;
      } catch (IOException | RuntimeException e) {
        if (endpoint != null) {
          endpoint.close();
        }
        if (http != null) {
          http.close();
        }
        dynamo.close();
        throw e;
      }
    }

    void heartbeat() {
      try {
        tasks.register(taskId, url, Instant.now(), REGISTRATION_TTL);
      } catch (RuntimeException e) {
        System.getLogger(BridgeMain.class.getName())
            .log(System.Logger.Level.WARNING, "could not renew the task registration", e);
      }
    }

    /** After the drain: deregister, then stop serving and delivering. */
    @Override
    public void close() {
      try {
        tasks.deregister(taskId);
      } catch (RuntimeException e) {
        // it expires by itself
      }
      endpoint.close();
      remote.close();
      http.close();
      dynamo.close();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    // At least two carrier threads for the virtual threads, even when the task is pinned to one
    // core: virtual threads are not preempted, so with a single carrier a few flooding publishers
    // keep subscribers' writers waiting; two carriers let the OS time-slice between them (QoS 0
    // fan-in on one core: about 33,000 delivered msg/s with one carrier, 120,000 with two; see
    // docs/bridge.md). Must be set before the first virtual thread starts.
    if (System.getProperty(CARRIERS_PROPERTY) == null
        && Runtime.getRuntime().availableProcessors() < 2) {
      System.setProperty(CARRIERS_PROPERTY, "2");
    }
    int status = start(args, System.out, System.err);
    if (status >= 0) {
      System.exit(status);
    }
    // Started: the shutdown hook drains and ends the process with status 0.
    new CountDownLatch(1).await();
  }

  /**
   * Starts the bridge; returns -1 once it runs (the process then lives until a signal), or the exit
   * status when it cannot start or only printed help.
   */
  static int start(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 1 && args[0].equals("--hash-password")) {
      return hashPassword(System.in, out, err);
    }
    BridgeOptions options;
    try {
      options = BridgeOptions.parse(args);
    } catch (BridgeOptions.UsageException e) {
      err.println("stratus bridge: " + e.getMessage());
      err.println(BridgeOptions.USAGE);
      return 2;
    }
    if (options.help()) {
      out.println(BridgeOptions.USAGE);
      return 0;
    }
    String refusal = options.authenticationProblem();
    if (refusal != null) {
      err.println("stratus bridge: " + refusal);
      return 2;
    }
    SSLContext tls = null;
    PasswordFile passwords = null;
    List<AclRule> aclRules = List.of();
    try {
      if (options.tlsCert() != null) {
        tls = Tls.serverContext(options.tlsCert(), options.tlsKey(), options.tlsClientCa());
      }
      if (options.passwordFile() != null) {
        passwords = PasswordFile.load(options.passwordFile());
      }
      if (options.security().aclFile() != null) {
        aclRules = AclFile.load(options.security().aclFile());
      }
    } catch (IOException | GeneralSecurityException | AclFile.AclSyntaxException e) {
      err.println("stratus bridge: " + e.getMessage());
      return 2;
    }
    BrokerConfig brokerConfig = brokerConfig(options);
    // The task id: in every connection id this task hands out, and the key of its registration
    // (BridgeTasks). 48 random bits: tasks of one deployment do not collide.
    String edgeId =
        "bridge-" + HexFormat.of().toHexDigits(new SecureRandom().nextLong()).substring(4);
    BridgeConfig defaults = BridgeConfig.loopbackDefaults();
    BridgeConfig config =
        new BridgeConfig(
            options.host(),
            options.tcpPort(),
            options.tlsPort(),
            options.wsPort(),
            tls,
            edgeId,
            brokerConfig.maximumPacketSize(),
            options.outboundSoftLimit(),
            options.outboundHardLimit(),
            brokerConfig.connectTimeout(),
            defaults.closeGrace(),
            options.clientCertificates());
    Bridge bridge = new Bridge(config);
    Shared shared = null;
    Stores stores = Stores.inMemory();
    if (options.store().equals("dynamodb")) {
      try {
        shared = Shared.start(options, bridge, edgeId);
      } catch (BindException e) {
        err.println("stratus bridge: cannot listen on " + e.getMessage());
        return 2;
      } catch (IOException | RuntimeException e) {
        err.println("stratus bridge: cannot use DynamoDB: " + e.getMessage());
        return 2;
      }
      stores = shared.stores;
      err.println(
          "stratus bridge: task "
              + edgeId
              + ", state on DynamoDB tables "
              + shared.prefix
              + "*, internal endpoint "
              + shared.url);
    }
    Security security;
    try {
      // with --acl-store dynamodb this reads the acl table once: a missing table stops the start
      security =
          security(
              options,
              passwords,
              aclRules,
              shared == null ? null : new DynamoDbUserStore(shared.dynamo, shared.prefix),
              shared == null ? null : new DynamoDbAclStore(shared.dynamo, shared.prefix));
    } catch (RuntimeException e) {
      err.println("stratus bridge: cannot read the acl table: " + e.getMessage());
      if (shared != null) {
        shared.close();
      }
      return 2;
    }
    Broker broker =
        new Broker(
            brokerConfig,
            stores,
            bridge,
            InstantSource.system(),
            BridgeAuthenticator.of(security, passwords),
            security.authorizer());
    try {
      bridge.start(broker);
    } catch (BindException e) {
      err.println("stratus bridge: cannot listen on " + e.getMessage());
      bridge.close();
      if (shared != null) {
        shared.close();
      }
      return 2;
    } catch (IOException e) {
      err.println("stratus bridge: " + e.getMessage());
      bridge.close();
      if (shared != null) {
        shared.close();
      }
      return 2;
    }
    Shared sharedState = shared;
    Thread timers =
        Thread.ofPlatform()
            .daemon()
            .name("engine-timers")
            .start(
                () -> {
                  for (long tick = 1; !Thread.currentThread().isInterrupted(); tick++) {
                    try {
                      Thread.sleep(1000);
                      if (sharedState != null && tick % Shared.HEARTBEAT_SECONDS == 0) {
                        sharedState.heartbeat();
                      }
                      broker.runTimers();
                    } catch (InterruptedException e) {
                      return;
                    } catch (RuntimeException e) {
                      System.getLogger(BridgeMain.class.getName())
                          .log(System.Logger.Level.ERROR, "engine timers failed", e);
                    }
                  }
                });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  timers.interrupt();
                  boolean clean;
                  try {
                    clean = bridge.drain(DRAIN_GRACE);
                  } catch (InterruptedException e) {
                    clean = false;
                  }
                  if (sharedState != null) {
                    sharedState.close();
                  }
                  err.println(
                      "stratus bridge: stopped"
                          + (clean ? "" : " (some connections did not close in time)"));
                  err.flush();
                  out.flush();
                  // A signal would otherwise end the JVM with 128+signal; a completed drain is a
                  // normal stop, so exit 0 (halt: we are already inside the shutdown sequence).
                  Runtime.getRuntime().halt(0);
                },
                "bridge-drain"));
    err.println("stratus bridge: " + describe(options, passwords));
    if (passwords != null && !passwords.sha256Users().isEmpty()) {
      err.println(
          "stratus bridge: warning: "
              + options.passwordFile()
              + " has unsalted SHA-256 lines for "
              + String.join(", ", passwords.sha256Users())
              + "; replace them with stratus bridge --hash-password (docs/bridge.md)");
    }
    for (Bridge.Endpoint endpoint : bridge.endpoints()) {
      out.println("listening " + endpoint.describe());
    }
    if (sharedState != null) {
      out.println("listening internal " + sharedState.url);
    }
    out.flush();
    return -1;
  }

  /** The engine's settings from the command line. */
  static BrokerConfig brokerConfig(BridgeOptions options) {
    BridgeOptions.SecurityOptions sec = options.security();
    return BrokerConfig.defaults()
        .withMaxQueuedMessages(options.maxQueuedMessages())
        .withV3OutboundWindow(options.maxInflight())
        .withMaxPublishRate(sec.maxPublishRate(), sec.publishBurst())
        .withMaxConnectionsPerUser(sec.maxConnectionsPerUser());
  }

  /**
   * Authentication and ACLs from the command line (docs/security.md, "Configure each edge"): users
   * from the password file's PBKDF2 lines, then the users table ({@code --users dynamodb}); JWT;
   * the ACL file's rules with the acl table's ({@code --acl-store dynamodb}); anonymous access.
   * Client certificates need nothing here: the TLS listener passes the mapped user name as {@code
   * certificateSubject}, which {@code Security} takes as the user.
   *
   * @param tableUsers the users table, or null without the dynamodb store
   * @param tableAcl the acl table, or null without the dynamodb store
   */
  static Security security(
      BridgeOptions options,
      PasswordFile passwords,
      List<AclRule> aclRules,
      UserStore tableUsers,
      AclStore tableAcl) {
    BridgeOptions.SecurityOptions sec = options.security();
    UserStore users = sec.usersFromDynamodb() ? tableUsers : null;
    if (passwords != null) {
      users = passwords.users(users);
    }
    Security.Builder b =
        Security.builder(InstantSource.system())
            .users(users)
            .allowAnonymous(options.allowAnonymous())
            .aclRules(aclRules);
    if (sec.jwt() != null) {
      b.jwt(sec.jwt());
    }
    if (sec.aclFromDynamodb()) {
      b.aclStore(tableAcl, ACL_REFRESH);
    }
    return b.build();
  }

  /** The ACL table is reread at most this often per task. */
  static final Duration ACL_REFRESH = Duration.ofSeconds(30);

  /** One line saying how clients are admitted and confined. */
  static String describe(BridgeOptions options, PasswordFile passwords) {
    BridgeOptions.SecurityOptions sec = options.security();
    List<String> ways = new ArrayList<>();
    if (sec.usersFromDynamodb()) {
      ways.add("users table");
    }
    if (passwords != null) {
      ways.add("password file");
    }
    if (sec.jwt() != null) {
      ways.add("JWT from " + sec.jwt().issuer());
    }
    if (options.tlsClientCa() != null) {
      ways.add("client certificates");
    }
    if (options.allowAnonymous()) {
      ways.add("anonymous (--allow-anonymous true)");
    }
    List<String> acl = new ArrayList<>();
    if (sec.aclFile() != null) {
      acl.add(sec.aclFile().toString());
    }
    if (sec.aclFromDynamodb()) {
      acl.add("acl table");
    }
    return "clients admitted by "
        + String.join(", ", ways)
        + "; ACL "
        + (acl.isEmpty() ? "none (every topic but $...)" : String.join(" + ", acl));
  }

  /** {@code --hash-password}: one line of stdin to a {@link PasswordHash} on stdout. */
  static int hashPassword(java.io.InputStream in, PrintStream out, PrintStream err) {
    try {
      byte[] all = in.readAllBytes();
      int end = all.length;
      // the line's end, as `echo` or a terminal leaves it, is not part of the password
      if (end > 0 && all[end - 1] == '\n') {
        end--;
        if (end > 0 && all[end - 1] == '\r') {
          end--;
        }
      }
      if (end == 0) {
        err.println("stratus bridge: --hash-password: no password on stdin");
        return 2;
      }
      out.println(PasswordHash.hash(java.util.Arrays.copyOf(all, end)));
      return 0;
    } catch (IOException e) {
      err.println("stratus bridge: --hash-password: " + e.getMessage());
      return 2;
    }
  }
}
