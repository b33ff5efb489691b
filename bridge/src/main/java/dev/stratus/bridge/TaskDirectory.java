package dev.stratus.bridge;

import dev.stratus.core.ConnectionId;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.ConnectionStore;
import dev.stratus.store.dynamodb.BridgeTasks;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;

/**
 * {@link RemoteOutbound}'s view of the other edges.
 *
 * <p><b>Bridge tasks.</b> A bridge connection id names its task ({@link BridgeTasks#taskOf}), and
 * the task's registration in DynamoDB names its internal endpoint. Endpoints are cached for {@link
 * #CACHE_FOR}, so a busy route costs no DynamoDB read per packet; a missing or expired registration
 * is not cached (the next delivery asks again). One destination per task.
 *
 * <p><b>API Gateway.</b> Any other connection id is looked up in the {@link ConnectionStore}: its
 * record's edge is {@code apigw:} followed by the stage's Management API endpoint (the callback
 * URL, e.g. {@code apigw:https://abc.execute-api.eu-west-1.amazonaws.com/prod}, or the local
 * emulator's {@code apigw:http://127.0.0.1:3001/local}). One destination per connection, so each is
 * delivered in order and different connections concurrently. A connection's edge never changes, so
 * it is cached (up to {@value #MAX_CACHED_EDGES} connections, least recently used first out) until
 * a 410 says the connection is gone; no record means the connection is gone.
 *
 * <p><b>Endpoint override.</b> When {@code AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI} (else {@code
 * AWS_ENDPOINT_URL}) is set, a callback URL on AWS ({@code https://...amazonaws.com/stage}) is sent
 * to that endpoint instead, with the override's path followed by the stage's (for an emulator such
 * as LocalStack). A callback URL that is not on AWS (the local emulator's) is already where the
 * connection lives and is used as recorded, so an {@code AWS_ENDPOINT_URL} set for DynamoDB Local
 * does not divert it.
 */
public final class TaskDirectory implements RemoteOutbound.Resolver {
  /** A task re-registers every 20 s with a 60 s TTL; a cached endpoint is trusted for 10 s. */
  static final Duration CACHE_FOR = Duration.ofSeconds(10);

  /** The edge of this many API Gateway connections is remembered. */
  static final int MAX_CACHED_EDGES = 100_000;

  /** What an API Gateway connection's recorded edge starts with (functions' WebSocketEdge). */
  static final String APIGW_EDGE_PREFIX = "apigw:";

  /** Destinations of single API Gateway connections start with this; task ids never do. */
  static final String CONNECTION_DESTINATION = "connection:";

  private static final Pattern AWS_CALLBACK_HOST =
      Pattern.compile("[^.]+\\.execute-api\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?");

  private record Cached(URI endpoint, Instant until) {}

  private final BridgeTasks tasks;
  private final ConnectionStore connections;
  private final URI override;
  private final InstantSource clock;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
  private final Map<ConnectionId, URI> edges =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ConnectionId, URI> eldest) {
          return size() > MAX_CACHED_EDGES;
        }
      };

  /**
   * @param tasks the registry of bridge tasks
   * @param connections where API Gateway connections' edges are recorded
   * @param env the environment, for the endpoint override
   */
  public TaskDirectory(
      BridgeTasks tasks,
      ConnectionStore connections,
      Map<String, String> env,
      InstantSource clock) {
    this.tasks = tasks;
    this.connections = connections;
    this.override = endpointOverride(env);
    this.clock = clock;
  }

  /** The Management API endpoint override from the environment, or null. */
  static URI endpointOverride(Map<String, String> env) {
    for (String name :
        new String[] {"AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "AWS_ENDPOINT_URL"}) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        URI uri = URI.create(value.strip());
        if (uri.getScheme() == null || uri.getHost() == null) {
          throw new IllegalArgumentException(name + ": expected an http(s) URL, got " + value);
        }
        return uri;
      }
    }
    return null;
  }

  @Override
  public String destinationOf(ConnectionId connection) {
    String task = BridgeTasks.taskOf(connection);
    return task != null ? task : CONNECTION_DESTINATION + connection.value();
  }

  @Override
  public RemoteOutbound.Route routeOf(String destination) {
    if (destination.startsWith(CONNECTION_DESTINATION)) {
      return apiGatewayRoute(
          new ConnectionId(destination.substring(CONNECTION_DESTINATION.length())));
    }
    URI endpoint = taskEndpoint(destination);
    return endpoint == null
        ? null
        : new RemoteOutbound.Route(endpoint, RemoteOutbound.Kind.INTERNAL);
  }

  @Override
  public RemoteOutbound.Route routeOfEdge(String edge) {
    URI endpoint = callbackUrl(edge);
    return endpoint == null
        ? null
        : new RemoteOutbound.Route(endpoint, RemoteOutbound.Kind.API_GATEWAY);
  }

  @Override
  public void gone(String destination, ConnectionId connection) {
    synchronized (edges) {
      edges.remove(connection);
    }
  }

  private URI taskEndpoint(String task) {
    Instant now = clock.instant();
    Cached c = cache.get(task);
    if (c != null && c.until().isAfter(now)) {
      return c.endpoint();
    }
    URI endpoint = tasks.lookup(task, now);
    if (endpoint == null) {
      cache.remove(task);
    } else {
      cache.put(task, new Cached(endpoint, now.plus(CACHE_FOR)));
    }
    return endpoint;
  }

  private RemoteOutbound.Route apiGatewayRoute(ConnectionId connection) {
    URI endpoint;
    synchronized (edges) {
      endpoint = edges.get(connection);
    }
    if (endpoint == null) {
      ConnectionRecord record = connections.get(connection);
      if (record == null) {
        return null; // removed: the connection is gone
      }
      endpoint = callbackUrl(record.edge());
      if (endpoint == null) {
        return RemoteOutbound.Route.UNROUTABLE;
      }
      synchronized (edges) {
        edges.put(connection, endpoint);
      }
    }
    return new RemoteOutbound.Route(endpoint, RemoteOutbound.Kind.API_GATEWAY);
  }

  /** The endpoint to post to for a recorded edge, or null when it is not an API Gateway edge. */
  URI callbackUrl(String edge) {
    if (!edge.startsWith(APIGW_EDGE_PREFIX)) {
      return null;
    }
    URI recorded;
    try {
      recorded = new URI(edge.substring(APIGW_EDGE_PREFIX.length()));
    } catch (java.net.URISyntaxException e) {
      return null;
    }
    String scheme = recorded.getScheme();
    if (!("https".equals(scheme) || "http".equals(scheme)) || recorded.getHost() == null) {
      return null; // e.g. "apigw:unknown": the event named no stage
    }
    if (override == null
        || !recorded.getHost().endsWith(".amazonaws.com")
            && !recorded.getHost().endsWith(".amazonaws.com.cn")) {
      return recorded;
    }
    String base = override.getRawPath() == null ? "" : override.getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    String path = recorded.getRawPath() == null ? "" : recorded.getRawPath();
    return URI.create(override.getScheme() + "://" + override.getRawAuthority() + base + path);
  }

  /**
   * A Management API client for a route; see {@link #internalClient} and {@link #apiGatewayClient}.
   */
  public static ApiGatewayManagementApiClient client(
      RemoteOutbound.Route route, SdkHttpClient http, Map<String, String> env) {
    return switch (route.kind()) {
      case INTERNAL -> internalClient(route.endpoint(), http);
      case API_GATEWAY -> apiGatewayClient(route.endpoint(), http, env);
      case UNROUTABLE -> throw new IllegalArgumentException("no client for an unroutable route");
    };
  }

  /**
   * A Management API client for a bridge task's internal endpoint. The internal endpoint does not
   * check signatures, so fixed credentials do (the SDK insists on signing).
   */
  static ApiGatewayManagementApiClient internalClient(URI endpoint, SdkHttpClient http) {
    return ApiGatewayManagementApiClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("stratus", "internal")))
        .httpClient(http)
        .build();
  }

  /**
   * A Management API client for API Gateway: signed with the task's own credentials (the default
   * chain: environment, container role, ...) for the region in the endpoint's host name (else
   * {@code AWS_REGION}). A plain {@code http} endpoint on a loopback address is a local emulator,
   * which checks no signature: fixed credentials do there, so a laptop without AWS credentials
   * works. The SDK's own retries are off: {@link RemoteOutbound} retries throttling itself, with a
   * bound it documents, and without multiplying the SDK's attempts by its own.
   */
  static ApiGatewayManagementApiClient apiGatewayClient(
      URI endpoint, SdkHttpClient http, Map<String, String> env) {
    AwsCredentialsProvider credentials =
        "http".equals(endpoint.getScheme()) && isLoopback(endpoint.getHost())
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create("stratus", "local"))
            : DefaultCredentialsProvider.builder().build();
    return ApiGatewayManagementApiClient.builder()
        .endpointOverride(endpoint)
        .region(regionOf(endpoint, env))
        .credentialsProvider(credentials)
        .httpClient(http)
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  /** {@code abc.execute-api.eu-west-1.amazonaws.com} is in eu-west-1; else the environment's. */
  static Region regionOf(URI endpoint, Map<String, String> env) {
    Matcher m = AWS_CALLBACK_HOST.matcher(endpoint.getHost() == null ? "" : endpoint.getHost());
    if (m.matches()) {
      return Region.of(m.group(1));
    }
    String region = env.getOrDefault("AWS_REGION", env.get("AWS_DEFAULT_REGION"));
    return Region.of(region == null || region.isBlank() ? "us-east-1" : region);
  }

  private static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    if (host.equals("localhost")) {
      return true;
    }
    try {
      // only literal addresses: no name lookup for a host name
      return host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?")
          && InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
