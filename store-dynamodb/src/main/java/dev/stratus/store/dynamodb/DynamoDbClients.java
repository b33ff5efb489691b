package dev.stratus.store.dynamodb;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * Builds the DynamoDB client the stores run on: the URL-connection HTTP client (no Netty, no Apache
 * client: a small Lambda package and a quick cold start) and a retry strategy for a broker.
 *
 * <p>Retries: the SDK's standard strategy (it retries throttling such as {@code
 * ProvisionedThroughputExceededException} and {@code ThrottlingException}, 5xx and I/O errors),
 * with up to {@value #MAX_ATTEMPTS} attempts and exponential backoff with jitter from 20 ms, at
 * most 1 s between attempts, so that a throttled write is given about two seconds before it fails
 * as a {@link dev.stratus.core.store.StoreException} — well inside API Gateway's 29 s integration
 * timeout.
 *
 * <p>Endpoints: {@link #fromEnvironment(Map)} reads {@code AWS_ENDPOINT_URL_DYNAMODB}, then {@code
 * AWS_ENDPOINT_URL} (the variables the AWS SDKs and CLI define for LocalStack and other emulators),
 * and the region from {@code AWS_REGION} / {@code AWS_DEFAULT_REGION}, defaulting to {@code
 * us-east-1}. With an endpoint on the loopback interface and no {@code AWS_ACCESS_KEY_ID}, fixed
 * dummy credentials are used (DynamoDB Local accepts any).
 */
public final class DynamoDbClients {
  static final int MAX_ATTEMPTS = 6;

  private DynamoDbClients() {}

  /** A client configured from the process environment; see the class comment. */
  public static DynamoDbClient fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /** A client configured from these environment variables; see the class comment. */
  public static DynamoDbClient fromEnvironment(Map<String, String> env) {
    String url = env.get("AWS_ENDPOINT_URL_DYNAMODB");
    if (url == null || url.isBlank()) {
      url = env.get("AWS_ENDPOINT_URL");
    }
    URI endpoint = url == null || url.isBlank() ? null : URI.create(url.trim());
    String region = env.get("AWS_REGION");
    if (region == null || region.isBlank()) {
      region = env.get("AWS_DEFAULT_REGION");
    }
    if (region == null || region.isBlank()) {
      region = "us-east-1";
    }
    boolean dummyCredentials =
        endpoint != null && isLoopback(endpoint) && env.get("AWS_ACCESS_KEY_ID") == null;
    return builder(endpoint, region, dummyCredentials, List.of()).build();
  }

  /**
   * The table prefix from {@code STRATUS_TABLE_PREFIX}, or {@link StratusTables#DEFAULT_PREFIX}.
   */
  public static String tablePrefix(Map<String, String> env) {
    String p = env.get("STRATUS_TABLE_PREFIX");
    return p == null || p.isBlank() ? StratusTables.DEFAULT_PREFIX : p.trim();
  }

  static boolean isLoopback(URI endpoint) {
    String host = endpoint.getHost();
    return host != null
        && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
  }

  /** The retry strategy every Stratus DynamoDB client uses. */
  public static RetryStrategy retryStrategy() {
    BackoffStrategy backoff =
        BackoffStrategy.exponentialDelay(Duration.ofMillis(20), Duration.ofSeconds(1));
    return AwsRetryStrategy.standardRetryStrategy().toBuilder()
        .maxAttempts(MAX_ATTEMPTS)
        .backoffStrategy(backoff)
        .throttlingBackoffStrategy(backoff)
        .build();
  }

  /**
   * A client builder with the Stratus settings.
   *
   * @param endpoint the endpoint, or null for the region's AWS endpoint (or whatever the SDK's own
   *     environment lookup finds)
   * @param dummyCredentials true to use fixed credentials (DynamoDB Local)
   * @param interceptors extra execution interceptors (request counting, fault injection)
   */
  public static DynamoDbClientBuilder builder(
      URI endpoint,
      String region,
      boolean dummyCredentials,
      List<ExecutionInterceptor> interceptors) {
    ClientOverrideConfiguration.Builder override =
        ClientOverrideConfiguration.builder().retryStrategy(retryStrategy());
    interceptors.forEach(override::addExecutionInterceptor);
    DynamoDbClientBuilder b =
        DynamoDbClient.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(2))
                    .socketTimeout(Duration.ofSeconds(10)))
            .region(Region.of(region))
            .overrideConfiguration(override.build());
    if (endpoint != null) {
      b.endpointOverride(endpoint);
    }
    b.credentialsProvider(
        dummyCredentials
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))
            : DefaultCredentialsProvider.builder().build());
    return b;
  }
}
