package dev.stratus.bridge;

import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbStores;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HexFormat;
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
    Authenticator authenticator = Authenticator.ALLOW_ALL;
    Authorizer authorizer = Authorizer.ALLOW_ALL;
    try {
      if (options.tlsCert() != null) {
        tls = Tls.serverContext(options.tlsCert(), options.tlsKey(), options.tlsClientCa());
      }
      if (options.passwordFile() != null || options.tlsClientCa() != null) {
        authenticator =
            new BridgeAuthenticator(
                options.passwordFile() == null ? null : PasswordFile.load(options.passwordFile()),
                options.allowAnonymous());
        authorizer = PasswordFile.AUTHENTICATED_MAY_ALL;
      }
    } catch (IOException | GeneralSecurityException e) {
      err.println("stratus bridge: " + e.getMessage());
      return 2;
    }
    BrokerConfig brokerConfig =
        BrokerConfig.defaults()
            .withDevelopmentMode(options.allowAnonymous())
            .withMaxQueuedMessages(options.maxQueuedMessages())
            .withV3OutboundWindow(options.maxInflight());
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
    Broker broker =
        new Broker(brokerConfig, stores, bridge, InstantSource.system(), authenticator, authorizer);
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
    if (options.allowAnonymous()) {
      err.println("stratus bridge: anonymous access allowed (--allow-anonymous true)");
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
}
