package dev.stratus.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.stratus.bridge.Bridge;
import dev.stratus.bridge.BridgeConfig;
import dev.stratus.bridge.InternalEndpoint;
import dev.stratus.bridge.RemoteOutbound;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.Stores;
import dev.stratus.functions.ConnectHandler;
import dev.stratus.functions.DefaultHandler;
import dev.stratus.functions.DisconnectHandler;
import dev.stratus.functions.ManagementApiOutbound;
import dev.stratus.functions.SweeperHandler;
import dev.stratus.functions.WebSocketEdge;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
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
import java.util.concurrent.ConcurrentHashMap;
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

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final List<String> endpoints = new ArrayList<>();
  private DynamoDbLocalServer dynamo;
  private ApiGatewayEmulator emulator;
  private Bridge bridge;
  private Broker bridgeBroker;
  private Thread timers;
  private RequestStreamHandler sweeper;

  private LocalStack() {}

  /** Starts everything, or nothing: on failure what started is stopped again. */
  public static LocalStack start(Options o) throws IOException {
    LocalStack stack = new LocalStack();
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
      sharedStores = null; // each container and the bridge get their own store clients' view
      endpoints.add("dynamodb " + dynamo.endpoint());
    } else {
      client = new InMemoryTasksClient();
      sharedStores = Stores.inMemory();
    }
    tasks = new BridgeTasks(client, o.tablePrefix());
    URI dynamoUri = dynamo == null ? null : dynamo.endpoint();
    Stores bridgeStores =
        sharedStores != null ? sharedStores : DynamoDbStores.create(client, o.tablePrefix());

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
    BrokerConfig brokerConfig = BrokerConfig.defaults().withDevelopmentMode(true);
    bridgeBroker =
        new Broker(
            brokerConfig,
            bridgeStores,
            bridge,
            InstantSource.system(),
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL);
    InternalEndpoint internal = InternalEndpoint.start(bridge, o.host(), 0);
    resources.add(internal);
    URI internalUrl = internal.url();
    tasks.register(taskId, internalUrl, Instant.now(), REGISTRATION_TTL);
    URI apigwCallback = emulator.callbackUrl();
    RemoteOutbound remote =
        new RemoteOutbound(
            new Routes(tasks, bridgeStores, apigwCallback),
            // RemoteOutbound encodes the text profile itself for API Gateway routes
            route -> managementClient(route.endpoint(), http),
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
   * as callback URL, anonymous access. With the in-memory store, all containers and the bridge
   * share one {@link Stores}: that edge has no sequencer (it keeps its state in DynamoDB), so
   * sequenced messages are handled as they arrive.
   */
  private static WebSocketEdge edge(
      Options o,
      URI dynamoUri,
      Stores sharedStores,
      BridgeTasks tasks,
      SdkHttpClient http,
      URI callback) {
    if (sharedStores == null) {
      return WebSocketEdge.fromEnvironment(handlerEnvironment(o, dynamoUri, callback));
    }
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> managementClient(url, http),
            url -> managementClient(url, http),
            tasks,
            InstantSource.system());
    return new WebSocketEdge(
        BrokerConfig.development(),
        sharedStores,
        outbound,
        Authenticator.ALLOW_ALL,
        Authorizer.ALLOW_ALL,
        callback);
  }

  /** The environment of the local functions, as template.yaml would set it in AWS. */
  static Map<String, String> handlerEnvironment(Options o, URI dynamoUri, URI callback) {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ENDPOINT_URL_DYNAMODB", dynamoUri.toString());
    env.put("STRATUS_TABLE_PREFIX", o.tablePrefix());
    env.put("STRATUS_CALLBACK_URL", callback.toString());
    env.put("STRATUS_ALLOW_ANONYMOUS", "true");
    return env;
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

  /**
   * Where the bridge delivers to connections it does not hold: another bridge task's internal
   * endpoint (from the tasks registry), or the Management API of the API Gateway stage a connection
   * record names ({@code apigw:<callback URL>}), by default this stack's emulator.
   */
  static final class Routes implements RemoteOutbound.Resolver {
    private static final Duration CACHE_FOR = Duration.ofSeconds(10);

    private record Cached(URI endpoint, Instant until) {}

    private final BridgeTasks tasks;
    private final Stores stores;
    private final String localApiGateway;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    Routes(BridgeTasks tasks, Stores stores, URI localApiGateway) {
      this.tasks = tasks;
      this.stores = stores;
      this.localApiGateway = WebSocketEdge.APIGW_EDGE_PREFIX + localApiGateway;
    }

    @Override
    public String destinationOf(ConnectionId connection) {
      String task = BridgeTasks.taskOf(connection);
      if (task != null) {
        return task;
      }
      ConnectionRecord rec = stores.connections().get(connection);
      if (rec != null
          && rec.edge() != null
          && rec.edge().startsWith(WebSocketEdge.APIGW_EDGE_PREFIX)) {
        return rec.edge();
      }
      // The record is gone when the engine closes a connection it has just taken over: in this
      // stack every connection that is not a bridge task's is the emulator's.
      return localApiGateway;
    }

    @Override
    public RemoteOutbound.Route routeOf(String destination) {
      if (destination.startsWith(WebSocketEdge.APIGW_EDGE_PREFIX)) {
        String url = destination.substring(WebSocketEdge.APIGW_EDGE_PREFIX.length());
        return url.equals("unknown")
            ? null
            : new RemoteOutbound.Route(URI.create(url), RemoteOutbound.Kind.API_GATEWAY);
      }
      URI endpoint = endpointOf(destination);
      return endpoint == null
          ? null
          : new RemoteOutbound.Route(endpoint, RemoteOutbound.Kind.INTERNAL);
    }

    private URI endpointOf(String destination) {
      Instant now = Instant.now();
      Cached c = cache.get(destination);
      if (c != null && c.until().isAfter(now)) {
        return c.endpoint();
      }
      URI endpoint = tasks.lookup(destination, now);
      if (endpoint == null) {
        cache.remove(destination);
      } else {
        cache.put(destination, new Cached(endpoint, now.plus(CACHE_FOR)));
      }
      return endpoint;
    }
  }
}
