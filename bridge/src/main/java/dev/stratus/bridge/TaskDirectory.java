package dev.stratus.bridge;

import dev.stratus.core.ConnectionId;
import dev.stratus.store.dynamodb.BridgeTasks;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;

/**
 * {@link RemoteOutbound}'s view of the other bridge tasks: a bridge connection id names its task
 * ({@link BridgeTasks#taskOf}), and the task's registration in DynamoDB names its internal
 * endpoint. Endpoints are cached for {@link #CACHE_FOR}, so a busy route costs no DynamoDB read per
 * packet; a missing or expired registration is not cached (the next delivery asks again).
 *
 * <p>Connection ids of other edges (API Gateway's, issue 5) have no destination here: they are the
 * seam where the API Gateway resolver goes.
 */
final class TaskDirectory implements RemoteOutbound.Resolver {
  /** A task re-registers every 20 s with a 60 s TTL; a cached endpoint is trusted for 10 s. */
  static final Duration CACHE_FOR = Duration.ofSeconds(10);

  private record Cached(URI endpoint, Instant until) {}

  private final BridgeTasks tasks;
  private final InstantSource clock;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

  TaskDirectory(BridgeTasks tasks, InstantSource clock) {
    this.tasks = tasks;
    this.clock = clock;
  }

  @Override
  public String destinationOf(ConnectionId connection) {
    return BridgeTasks.taskOf(connection);
  }

  @Override
  public URI endpointOf(String task) {
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

  /**
   * A Management API client for a bridge task's internal endpoint. The internal endpoint does not
   * check signatures, so fixed credentials do (the SDK insists on signing); a client for API
   * Gateway itself needs the task's real credentials instead.
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
}
