package dev.stratus.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.stratus.bridge.Bridge;
import dev.stratus.bridge.BridgeConfig;
import dev.stratus.bridge.InternalEndpoint;
import dev.stratus.bridge.Protocol;
import dev.stratus.bridge.RemoteOutbound;
import dev.stratus.bridge.TaskDirectory;
import dev.stratus.console.AdminAuth;
import dev.stratus.console.ConsoleServer;
import dev.stratus.console.Edge;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.MemoryUserStore;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.User;
import dev.stratus.core.auth.UserStore;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.store.Stores;
import dev.stratus.functions.ConnectHandler;
import dev.stratus.functions.DefaultHandler;
import dev.stratus.functions.DisconnectHandler;
import dev.stratus.functions.ManagementApiOutbound;
import dev.stratus.functions.SweeperHandler;
import dev.stratus.functions.WebSocketEdge;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbAclStore;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.DynamoDbUserStore;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The whole local stack in one process (what {@code ./stratus local} runs): DynamoDB Local (or one
 * in-memory state), the bridge's listeners with their internal {@code @connections} endpoint, and
 * the {@link ApiGatewayEmulator} invoking the real Lambda handler classes, all on the same state,
 * so that a client on either edge reaches clients on the other.
 *
 * <p>Delivery between the edges goes the way it goes in AWS: the handlers reach bridge connections
 * through the bridge task's internal endpoint (found in the tasks registry) and API Gateway
 * connections through the emulator's Management API; the bridge reaches API Gateway connections
 * through the Management API at the callback URL their connection record names ({@code
 * apigw:<url>}).
 */
public final class LocalStack implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LocalStack.class.getName());
  private static final Duration REGISTRATION_TTL = Duration.ofSeconds(60);
  private static final int HEARTBEAT_SECONDS = 20;
  private static final Duration SWEEP_EVERY = Duration.ofSeconds(10);
  private static final byte[] SCHEDULED_EVENT =
      ("{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"detail\":{}}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);

  /** Where the state lives. */
  public enum StoreKind {
    DYNAMODB,
    MEMORY
  }

  /**
   * @param tlsPort the TLS listener's port, or -1 for none
   * @param tls the TLS listener's context, or null when {@code tlsPort} is -1
   * @param dataDir DynamoDB Local's files go under {@code dataDir/dynamodb}
   * @param dynamodbPort DynamoDB Local's port (0 = a free one)
   */
  public record Options(
      String host,
      int apigwPort,
      int tcpPort,
      int wsPort,
      int tlsPort,
      SSLContext tls,
      StoreKind store,
      Path dataDir,
      int dynamodbPort,
      String tablePrefix,
      ApiGatewayEmulator.Settings apigw) {}

  /**
   * Authentication and ACLs of both edges (docs/security.md, "./stratus local"). Users always come
   * from the users table ({@code ./stratus users}); ACL rules from {@code aclText} (an ACL file's
   * text, or null) and from the acl table ({@code ./stratus acl}), reread every {@code aclRefresh}.
   * When there is neither a file nor a rule in the table at start, every client may use every topic
   * (the engine's default ACL).
   *
   * @param aclSource the name ACL syntax errors give for {@code aclText} (the file name)
   */
  public record SecurityOptions(
      boolean allowAnonymous, String aclText, String aclSource, Duration aclRefresh) {
    /** Development: anonymous access, no ACL file. */
    public static SecurityOptions development() {
      return new SecurityOptions(true, null, null, Duration.ofSeconds(5));
    }
  }

  private final List<AutoCloseable> resources = new ArrayList<>();
  private SecurityOptions security = SecurityOptions.development();
  private boolean aclTableUsed;
  private UserStore users;
  private Path endpointFileDir;
  private final List<String> endpoints = new ArrayList<>();
  private DynamoDbLocalServer dynamo;
  private ApiGatewayEmulator emulator;
  private Bridge bridge;
  private Broker bridgeBroker;
  private Thread timers;
  private RequestStreamHandler sweeper;
  private Stores bridgeStores;
  private final List<WebSocketEdge> containers = new CopyOnWriteArrayList<>();

  private LocalStack() {}

  /** Starts everything, or nothing: on failure what started is stopped again. */
  public static LocalStack start(Options o) throws IOException {
    return start(o, SecurityOptions.development());
  }

  /** Starts everything with these security settings, or nothing. */
  public static LocalStack start(Options o, SecurityOptions security) throws IOException {
    LocalStack stack = new LocalStack();
    stack.security = security;
    if (!security.allowAnonymous() && o.store() == StoreKind.MEMORY) {
      throw new IllegalArgumentException(
          "--allow-anonymous false needs --store dynamodb: users live in its users table");
    }
    try {
      stack.startAll(o);
    } catch (IOException | RuntimeException e) {
      stack.close();
      throw e;
    }
    return stack;
  }

  private void startAll(Options o) throws IOException {
    SdkHttpClient http =
        UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(2))
            .socketTimeout(Duration.ofSeconds(10))
            .build();
    resources.add(http);
    Stores sharedStores;
    BridgeTasks tasks;
    DynamoDbClient client;
    if (o.store() == StoreKind.DYNAMODB) {
      localCredentials();
      dynamo = DynamoDbLocalServer.start(o.dynamodbPort(), o.dataDir().resolve("dynamodb"));
      resources.add(dynamo);
      client = DynamoDbClients.builder(dynamo.endpoint(), "us-east-1", true, List.of()).build();
      resources.add(client);
      StratusTables.createAll(client, o.tablePrefix());
      // ./stratus users and ./stratus acl find this DynamoDB Local through this file
      dev.stratus.local.cli.StoreTarget.writeEndpoint(o.dataDir(), dynamo.endpoint());
      endpointFileDir = o.dataDir();
      sharedStores = null; // each container and the bridge get their own store clients' view
      endpoints.add("dynamodb " + dynamo.endpoint());
    } else {
      client = new InMemoryTasksClient();
      sharedStores = Stores.inMemory();
    }
    tasks = new BridgeTasks(client, o.tablePrefix());
    Security bridgeSecurity = security(o, o.store() == StoreKind.DYNAMODB ? client : null);
    URI dynamoUri = dynamo == null ? null : dynamo.endpoint();
    Stores bridgeStores =
        sharedStores != null ? sharedStores : DynamoDbStores.create(client, o.tablePrefix());
    this.bridgeStores = bridgeStores;

    // The API Gateway emulator first: the handlers' callback URL is its address.
    AtomicReference<URI> callback = new AtomicReference<>();
    emulator =
        ApiGatewayEmulator.start(
            o.host(),
            o.apigwPort(),
            o.apigw(),
            () -> {
              // One Lambda container: its own edge (engine, outbound, store clients), as a
              // separate container would have; they share only the state in the store.
              WebSocketEdge edge = edge(o, dynamoUri, sharedStores, tasks, http, callback.get());
              containers.add(edge); // the console charts every container's engine
              return new ApiGatewayEmulator.Container(
                  new ConnectHandler(edge), new DefaultHandler(edge), new DisconnectHandler(edge));
            });
    resources.add(emulator);
    callback.set(emulator.callbackUrl());
    endpoints.add(0, "apigw " + emulator.url());

    // The bridge, on the same state, with its internal endpoint registered before it accepts.
    String taskId =
        "bridge-local" + HexFormat.of().toHexDigits(new SecureRandom().nextInt()).substring(2);
    BridgeConfig defaults = BridgeConfig.loopbackDefaults();
    BridgeConfig config =
        new BridgeConfig(
            o.host(),
            o.tcpPort(),
            o.tlsPort(),
            o.wsPort(),
            o.tls(),
            taskId,
            defaults.maximumPacketSize(),
            defaults.outboundSoftLimit(),
            defaults.outboundHardLimit(),
            defaults.connectTimeout(),
            defaults.closeGrace(),
            defaults.clientCertificates());
    bridge = new Bridge(config);
    resources.add(bridge);
    BrokerConfig brokerConfig = BrokerConfig.defaults();
    bridgeBroker =
        new Broker(
            brokerConfig,
            bridgeStores,
            bridge,
            InstantSource.system(),
            bridgeSecurity.authenticator(),
            bridgeSecurity.authorizer());
    InternalEndpoint internal = InternalEndpoint.start(bridge, o.host(), 0);
    resources.add(internal);
    URI internalUrl = internal.url();
    tasks.register(taskId, internalUrl, Instant.now(), REGISTRATION_TTL);
    // The bridge finds API Gateway connections by the callback URL their records name (here the
    // emulator's) and other tasks in the registry, as a deployed bridge does.
    RemoteOutbound remote =
        new RemoteOutbound(
            new TaskDirectory(tasks, bridgeStores.connections(), Map.of(), InstantSource.system()),
            route -> TaskDirectory.client(route, http, Map.of()),
            bridgeBroker::connectionLost,
            RemoteOutbound.DEFAULT_CAPACITY);
    resources.add(remote);
    bridge.routeElsewhere(remote);
    bridge.start(bridgeBroker);
    for (Bridge.Endpoint e : bridge.endpoints()) {
      endpoints.add(e.describe());
    }
    endpoints.add("internal " + internalUrl);

    sweeper = sweeper(edge(o, dynamoUri, sharedStores, tasks, http, emulator.callbackUrl()));
    RequestStreamHandler sweep = sweeper;
    Broker timed = bridgeBroker;
    timers =
        Thread.ofPlatform()
            .daemon()
            .name("local-timers")
            .start(
                () -> {
                  for (long tick = 1; !Thread.currentThread().isInterrupted(); tick++) {
                    try {
                      Thread.sleep(1000);
                      if (tick % HEARTBEAT_SECONDS == 0) {
                        tasks.register(taskId, internalUrl, Instant.now(), REGISTRATION_TTL);
                      }
                      timed.runTimers();
                      if (sweep != null && tick % SWEEP_EVERY.toSeconds() == 0) {
                        sweep.handleRequest(
                            new ByteArrayInputStream(SCHEDULED_EVENT),
                            OutputStream.nullOutputStream(),
                            new LambdaContext("sweep-" + tick, "stratus-sweeper"));
                      }
                    } catch (InterruptedException e) {
                      return;
                    } catch (IOException | RuntimeException e) {
                      LOG.log(System.Logger.Level.ERROR, "engine timers or sweep failed", e);
                    }
                  }
                });
  }

  /**
   * A container's edge. With DynamoDB it is built from the environment a deployed function gets
   * ({@link WebSocketEdge#fromEnvironment}): the DynamoDB endpoint and table prefix, the emulator
   * as callback URL, the stack's security settings. With the in-memory store, all containers and
   * the bridge share one {@link Stores}: that edge has no sequencer (it keeps its state in
   * DynamoDB), so sequenced messages are handled as they arrive.
   */
  private WebSocketEdge edge(
      Options o,
      URI dynamoUri,
      Stores sharedStores,
      BridgeTasks tasks,
      SdkHttpClient http,
      URI callback) {
    if (sharedStores == null) {
      return WebSocketEdge.fromEnvironment(
          handlerEnvironment(o, dynamoUri, callback, security, aclTableUsed));
    }
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> managementClient(url, http),
            url -> managementClient(url, http),
            tasks,
            InstantSource.system());
    Security sec = security(o, null); // the in-memory store: no users, the ACL file only
    return new WebSocketEdge(
        BrokerConfig.defaults(),
        sharedStores,
        outbound,
        sec.authenticator(),
        sec.authorizer(),
        callback);
  }

  /** The environment of the local functions, as template.yaml would set it in AWS. */
  static Map<String, String> handlerEnvironment(
      Options o, URI dynamoUri, URI callback, SecurityOptions security, boolean aclTable) {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ENDPOINT_URL_DYNAMODB", dynamoUri.toString());
    env.put("STRATUS_TABLE_PREFIX", o.tablePrefix());
    env.put("STRATUS_CALLBACK_URL", callback.toString());
    // the functions' security settings (functions EdgeSecurity): users from the users table
    env.put("STRATUS_ALLOW_ANONYMOUS", Boolean.toString(security.allowAnonymous()));
    if (security.aclText() != null) {
      env.put("STRATUS_ACL", security.aclText());
    }
    if (aclTable) {
      env.put("STRATUS_ACL_TABLE", "true");
    }
    return env;
  }

  /**
   * The bridge's security (and the in-memory edge's, {@code client} null): users from the users
   * table, ACL rules from the file and the acl table. The acl table is attached only when there is
   * an ACL file or the table holds rules at start: with neither, the engine's default ACL (every
   * topic) applies, as it does for anonymous development.
   */
  private Security security(Options o, DynamoDbClient client) {
    Security.Builder b =
        Security.builder(InstantSource.system()).allowAnonymous(security.allowAnonymous());
    if (security.aclText() != null) {
      try {
        b.aclRules(
            AclFile.parse(
                security.aclSource() == null ? "acl" : security.aclSource(),
                security.aclText().lines().toList()));
      } catch (AclFile.AclSyntaxException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
    if (client != null) {
      users = new DynamoDbUserStore(client, o.tablePrefix());
      b.users(users);
      DynamoDbAclStore acl = new DynamoDbAclStore(client, o.tablePrefix());
      aclTableUsed = security.aclText() != null || !acl.list().isEmpty();
      if (aclTableUsed) {
        b.aclStore(acl, security.aclRefresh());
      }
    } else {
      users = new MemoryUserStore();
      b.users(users);
    }
    return b.build();
  }

  /**
   * The role a user needs to use the console's admin API when anonymous access is off
   * (docs/console.md): {@code ./stratus users add NAME --password-stdin --role admin}.
   */
  public static final String ADMIN_ROLE = "admin";

  /**
   * The admin API's authentication: open in development (anonymous access on, as every endpoint of
   * the stack); otherwise HTTP Basic credentials of a user of the users table who holds {@link
   * #ADMIN_ROLE}, checked against the user's PBKDF2 hash.
   */
  private AdminAuth adminAuth() {
    if (security.allowAnonymous()) {
      return AdminAuth.none(true);
    }
    UserStore store = users;
    return AdminAuth.basic(
        (name, password) -> {
          User u = store.get(name);
          return u != null
              && u.passwordHash() != null
              && u.roles().contains(ADMIN_ROLE)
              && PasswordHash.verify(password.getBytes(StandardCharsets.UTF_8), u.passwordHash());
        });
  }

  /** Whether the acl table's rules apply (see {@link #security(Options, DynamoDbClient)}). */
  public boolean aclTableUsed() {
    return aclTableUsed;
  }

  /** This stack's security settings. */
  public SecurityOptions securityOptions() {
    return security;
  }

  /**
   * The handlers sign Management API calls with the default AWS credentials chain, which the
   * emulator does not check: when this machine has none, fixed ones are set as the chain's first
   * source (system properties), so that the functions run without an AWS account.
   */
  private static void localCredentials() {
    if (System.getenv("AWS_ACCESS_KEY_ID") == null
        && System.getenv("AWS_PROFILE") == null
        && System.getProperty("aws.accessKeyId") == null) {
      System.setProperty("aws.accessKeyId", "stratus-local");
      System.setProperty("aws.secretAccessKey", "stratus-local");
    }
  }

  /**
   * The scheduled sweeper (keepalive expiry, wills of lost connections, stalled sequences drained,
   * sequence gaps) is the functions module's {@link SweeperHandler}; this stack invokes it every
   * {@link #SWEEP_EVERY} as the deployed schedule would (every minute in AWS).
   */
  private static RequestStreamHandler sweeper(WebSocketEdge edge) {
    return new SweeperHandler(edge, InstantSource.system());
  }

  /** Where the MQTT.js text-profile adapter (clients/js/src/index.js) is in this jar. */
  static final String ADAPTER_RESOURCE = "/local/clients/index.js";

  /**
   * Starts the web console on {@code port} (0 = a free one) over this stack's state: its counters
   * are the bridge's engine and the sum of the handler containers' engines, both edges are
   * prefilled, and it serves the text-profile adapter that the build copied into this jar (so that
   * a built jar needs no checkout). Development mode: the admin API is open, as every endpoint of
   * this stack is. Adds a {@code console http://...} endpoint line; it stops with the stack.
   */
  public ConsoleServer startConsole(String host, int port) throws IOException {
    Path adapter;
    try (InputStream in = LocalStack.class.getResourceAsStream(ADAPTER_RESOURCE)) {
      if (in == null) {
        throw new IOException(
            "this build has no text-profile adapter at "
                + ADAPTER_RESOURCE
                + " (local/pom.xml copies clients/js/src/index.js)");
      }
      adapter = Files.createTempFile("stratus-mqtt", ".js");
      Files.write(adapter, in.readAllBytes());
    }
    resources.add(() -> Files.deleteIfExists(adapter));
    String ws =
        bridge.endpoints().stream()
            .filter(e -> e.protocol() == Protocol.WS)
            .findFirst()
            .map(e -> e.describe().substring("ws ".length()))
            .orElse(null);
    ConsoleServer.Builder b =
        ConsoleServer.builder(bridgeStores)
            .engine("bridge", bridgeBroker)
            .engine("functions", this::containerStats)
            .auth(adminAuth())
            .developmentMode(security.allowAnonymous())
            .address(InetAddress.getByName(host))
            .port(port)
            .clientsJs(adapter);
    if (ws != null) {
      b.edge(Edge.bridgeWebSocket(ws));
    }
    b.edge(Edge.apiGateway(emulator.url().toString()));
    ConsoleServer console = b.start();
    resources.add(console);
    endpoints.add("console " + console.url());
    return console;
  }

  /** The handler containers' engines added up: API Gateway may run several at once. */
  private Broker.Stats containerStats() {
    long received = 0;
    long sent = 0;
    long dropped = 0;
    int clients = 0;
    long refused = 0;
    long publishDenied = 0;
    long subscribeDenied = 0;
    long deliveryDenied = 0;
    long limited = 0;
    for (WebSocketEdge c : containers) {
      Broker.Stats s = c.stats();
      received += s.messagesReceived();
      sent += s.messagesSent();
      dropped += s.messagesDropped();
      clients += s.clientsConnected();
      refused += s.connectsRefused();
      publishDenied += s.publishesDenied();
      subscribeDenied += s.subscriptionsDenied();
      deliveryDenied += s.deliveriesDenied();
      limited += s.rateLimited();
    }
    return new Broker.Stats(
        received,
        sent,
        dropped,
        clients,
        refused,
        publishDenied,
        subscribeDenied,
        deliveryDenied,
        limited);
  }

  /** Whether the functions' sweeper runs on a schedule in this stack. */
  public boolean sweeperRuns() {
    return sweeper != null;
  }

  /** One line per endpoint, as printed after {@code listening }: apigw first. */
  public List<String> endpoints() {
    return List.copyOf(endpoints);
  }

  public ApiGatewayEmulator emulator() {
    return emulator;
  }

  public Bridge bridge() {
    return bridge;
  }

  /** DynamoDB Local's endpoint, or null with the in-memory store. */
  public URI dynamodbEndpoint() {
    return dynamo == null ? null : dynamo.endpoint();
  }

  /**
   * Stops: the emulator and the bridge's listeners first (the bridge drains: MQTT 5 clients are
   * told 0x8B Server shutting down), then the internal endpoint, then DynamoDB Local.
   */
  @Override
  public void close() {
    if (endpointFileDir != null) {
      dev.stratus.local.cli.StoreTarget.removeEndpoint(endpointFileDir);
      endpointFileDir = null;
    }
    if (timers != null) {
      timers.interrupt();
    }
    if (emulator != null) {
      emulator.close();
    }
    if (bridge != null) {
      try {
        bridge.drain(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "bridge drain failed", e);
      }
    }
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.DEBUG, "closing " + resources.get(i), e);
      }
    }
    resources.clear();
  }

  /**
   * A Management API client for the emulator or a bridge task's internal endpoint: neither checks
   * signatures, so fixed credentials do (the SDK insists on signing).
   */
  static ApiGatewayManagementApiClient managementClient(URI endpoint, SdkHttpClient http) {
    return ApiGatewayManagementApiClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("stratus", "local")))
        .httpClient(http)
        .build();
  }
}
