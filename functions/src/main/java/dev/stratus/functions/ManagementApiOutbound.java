package dev.stratus.functions;

import dev.stratus.core.ConnectionId;
import dev.stratus.core.Outbound;
import dev.stratus.store.dynamodb.BridgeTasks;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GoneException;

/**
 * The engine's {@link Outbound} inside a Lambda invocation: what the engine sends is collected
 * while it handles an event and delivered by {@link #flush} before the handler returns (a frozen
 * container must not hold undelivered packets).
 *
 * <p><b>Where.</b> API Gateway connections get {@code PostToConnection} at the stage's callback URL
 * with the text profile's base64 of whole packets; bridge connections ({@code bridge-…}, see {@link
 * BridgeTasks#taskOf}) get the same call, with the raw packets, at their task's internal
 * {@code @connections} endpoint, which the tasks table names. {@link #close} becomes {@code
 * DeleteConnection} after the packets sent before it.
 *
 * <p><b>Order and concurrency.</b> Each connection's packets go out in the order the engine sent
 * them, consecutive ones in one message of at most {@link TextProfile#MAX_PACKET_SIZE} bytes (so
 * its base64 fits API Gateway's message limit); different connections are posted concurrently (one
 * virtual thread each), one connection's posts strictly one after another. Throttling ({@code 429},
 * {@code LimitExceededException}, {@code TooManyRequestsException}) is retried here, up to {@link
 * #MAX_ATTEMPTS} attempts with jittered exponential backoff, holding back that connection's later
 * packets meanwhile; the clients are built without SDK retries so that this bound is the one.
 *
 * <p><b>Gone.</b> A 410 ({@code GoneException}), or a bridge task that is no longer registered,
 * means nobody holds the connection: {@code onGone} is told (the engine forgets it, settling its
 * will and session), and what that produces is delivered in the same flush. Any other failure is
 * counted and logged; the packet is lost as on a broken socket, and for QoS 1/2 the engine keeps
 * the message in flight for the client's next connection [MQTT-4.4.0-1].
 */
public final class ManagementApiOutbound implements Outbound {
  private static final System.Logger LOG = System.getLogger(ManagementApiOutbound.class.getName());

  /** A bridge task's endpoint is trusted this long before the tasks table is read again. */
  static final Duration TASK_CACHE = Duration.ofSeconds(10);

  /** Gone connections produce wills, which may hit gone connections: bounded, not unbounded. */
  private static final int MAX_ROUNDS = 8;

  /** Counters for logs and tests. */
  public record Stats(
      long posted, long gone, long failed, long oversize, long unroutable, long throttled) {}

  /**
   * @param url the connection's Management API endpoint when it was resolved at send time (a sweep,
   *     which serves connections of any stage), else null: the flush's callback URL
   */
  private record Op(ConnectionId connection, byte[] packet, URI url) {
    boolean isClose() {
      return packet == null;
    }
  }

  private record CachedEndpoint(URI endpoint, Instant until) {}

  private final Function<URI, ApiGatewayManagementApiClient> apiGatewayClients;
  private final Function<URI, ApiGatewayManagementApiClient> internalClients;
  private final BridgeTasks tasks;
  private final InstantSource clock;

  /**
   * What the calling thread's invocation sent and has not flushed yet. Per thread, so that when one
   * process runs several invocations at once (an emulator, tests), each flush delivers only its own
   * invocation's packets: a sequencer holder's flush then covers exactly what it handled before it
   * releases the lock (docs/ordering.md). The engine sends on the caller's thread.
   */
  private final ThreadLocal<ArrayDeque<Op>> pending = ThreadLocal.withInitial(ArrayDeque::new);

  private final ConcurrentHashMap<URI, ApiGatewayManagementApiClient> clients =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CachedEndpoint> taskEndpoints = new ConcurrentHashMap<>();
  private final ExecutorService posters = Executors.newVirtualThreadPerTaskExecutor();
  private final LongAdder posted = new LongAdder();
  private final LongAdder gone = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder oversize = new LongAdder();
  private final LongAdder unroutable = new LongAdder();
  private final LongAdder throttled = new LongAdder();
  private volatile Backoff backoff = Backoff.JITTERED;

  /** Replaces the wait between throttled attempts (tests count instead of sleeping). */
  void backoff(Backoff b) {
    this.backoff = Objects.requireNonNull(b);
  }

  /**
   * @param apiGatewayClients builds a client for an API Gateway callback URL (with the function's
   *     credentials); called once per URL
   * @param internalClients builds a client for a bridge task's internal endpoint; once per URL
   * @param tasks the registry of bridge tasks
   */
  public ManagementApiOutbound(
      Function<URI, ApiGatewayManagementApiClient> apiGatewayClients,
      Function<URI, ApiGatewayManagementApiClient> internalClients,
      BridgeTasks tasks,
      InstantSource clock) {
    this.apiGatewayClients = Objects.requireNonNull(apiGatewayClients, "apiGatewayClients");
    this.internalClients = Objects.requireNonNull(internalClients, "internalClients");
    this.tasks = Objects.requireNonNull(tasks, "tasks");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  private final ThreadLocal<Function<ConnectionId, URI>> resolver = new ThreadLocal<>();

  @Override
  public void send(ConnectionId connection, byte[] packet) {
    if (packet.length > 0) {
      pending.get().add(new Op(connection, packet, resolve(connection)));
    }
  }

  @Override
  public void close(ConnectionId connection) {
    pending.get().add(new Op(connection, null, resolve(connection)));
  }

  /**
   * As {@link #send(ConnectionId, byte[])}, with the edge the connection's record named: the engine
   * passes it when it may already have removed the record (a takeover's DISCONNECT 0x8E), so an API
   * Gateway connection is reached at the callback URL in its edge.
   */
  @Override
  public void send(ConnectionId connection, String edge, byte[] packet) {
    if (packet.length > 0) {
      pending.get().add(new Op(connection, packet, endpointOf(connection, edge)));
    }
  }

  /**
   * As {@link #close(ConnectionId)}, with the edge the connection's record named (the engine
   * removes the record first: takeover, keepalive expiry in the sweeper, protocol error).
   */
  @Override
  public void close(ConnectionId connection, String edge) {
    pending.get().add(new Op(connection, null, endpointOf(connection, edge)));
  }

  /** The callback URL an {@code apigw:<url>} edge names, else what {@link #resolve} finds. */
  private URI endpointOf(ConnectionId connection, String edge) {
    if (edge != null
        && edge.startsWith(WebSocketEdge.APIGW_EDGE_PREFIX)
        && BridgeTasks.taskOf(connection) == null) {
      try {
        URI url = new URI(edge.substring(WebSocketEdge.APIGW_EDGE_PREFIX.length()));
        if (url.getScheme() != null && url.getHost() != null) {
          return url;
        }
      } catch (java.net.URISyntaxException e) {
        // "apigw:unknown": the event named no stage; fall back below
      }
    }
    return resolve(connection);
  }

  /**
   * Runs {@code work} with API Gateway connections' endpoints resolved by {@code endpoints} when
   * packets are sent (while the connection's record still exists), instead of taken from the
   * flush's callback URL: for the sweeper, whose event names no stage.
   */
  public void resolvingEndpoints(Function<ConnectionId, URI> endpoints, Runnable work) {
    resolver.set(endpoints);
    try {
      work.run();
    } finally {
      resolver.remove();
    }
  }

  private URI resolve(ConnectionId connection) {
    Function<ConnectionId, URI> r = resolver.get();
    return r == null || BridgeTasks.taskOf(connection) != null ? null : r.apply(connection);
  }

  public Stats stats() {
    return new Stats(
        posted.sum(), gone.sum(), failed.sum(), oversize.sum(), unroutable.sum(), throttled.sum());
  }

  /**
   * Delivers everything sent since the last flush and waits for it.
   *
   * @param callbackUrl the API Gateway stage's Management API endpoint, {@code
   *     https://{domainName}/{stage}}
   * @param onGone told each connection found gone, on the calling thread; it may send more
   */
  public void flush(URI callbackUrl, Consumer<ConnectionId> onGone) {
    ArrayDeque<Op> pending = this.pending.get();
    for (int round = 0; round < MAX_ROUNDS && !pending.isEmpty(); round++) {
      Map<ConnectionId, List<Op>> byConnection = new LinkedHashMap<>();
      Op op;
      while ((op = pending.poll()) != null) {
        byConnection.computeIfAbsent(op.connection(), c -> new ArrayList<>()).add(op);
      }
      Set<ConnectionId> goneNow = ConcurrentHashMap.newKeySet();
      List<Future<?>> posts = new ArrayList<>();
      for (var e : byConnection.entrySet()) {
        posts.add(posters.submit(() -> deliver(e.getKey(), e.getValue(), callbackUrl, goneNow)));
      }
      for (Future<?> f : posts) {
        try {
          f.get();
        } catch (ExecutionException e) {
          failed.increment();
          LOG.log(System.Logger.Level.WARNING, "delivery failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      for (ConnectionId c : goneNow) {
        onGone.accept(c);
      }
    }
    if (!pending.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0} deliveries left after {1} rounds: dropped",
          pending.size(),
          MAX_ROUNDS);
      pending.clear();
    }
  }

  /** Delivers one connection's operations in order; runs on its own virtual thread. */
  private void deliver(
      ConnectionId connection, List<Op> ops, URI callbackUrl, Set<ConnectionId> goneNow) {
    String task = BridgeTasks.taskOf(connection);
    URI resolved = ops.stream().map(Op::url).filter(Objects::nonNull).findFirst().orElse(null);
    URI endpoint = task != null ? taskEndpoint(task) : resolved != null ? resolved : callbackUrl;
    if (endpoint == null) {
      if (task != null) {
        // the task's registration expired: it died, and its connections with it
        gone.increment();
        goneNow.add(connection);
      } else {
        // an API Gateway connection, but the event named no stage and no override is set
        unroutable.increment();
        LOG.log(System.Logger.Level.WARNING, "no callback URL for {0}: dropped", connection);
      }
      return;
    }
    ApiGatewayManagementApiClient client =
        clients.computeIfAbsent(endpoint, task != null ? internalClients : apiGatewayClients);
    boolean text = task == null;
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (Op op : ops) {
      if (op.isClose()) {
        if (!post(client, connection, batch, text, goneNow)) {
          return;
        }
        try {
          client.deleteConnection(b -> b.connectionId(connection.value()));
        } catch (GoneException e) {
          // already closed: nothing to do, $disconnect settles it
        } catch (SdkException e) {
          failed.increment();
          LOG.log(
              System.Logger.Level.WARNING, "closing {0} failed: {1}", connection, e.getMessage());
        }
        continue;
      }
      if (op.packet().length > TextProfile.MAX_PACKET_SIZE) {
        // larger than a text-profile message can carry (a packet from a bridge client); the
        // engine keeps QoS 1/2 messages in flight, QoS 0 ones may be lost [MQTT-4.3.1]
        oversize.increment();
        continue;
      }
      if (batch.size() + op.packet().length > TextProfile.MAX_PACKET_SIZE
          && !post(client, connection, batch, text, goneNow)) {
        return;
      }
      batch.writeBytes(op.packet());
    }
    post(client, connection, batch, text, goneNow);
  }

  /** Posts the batch (if any) and empties it; false when the connection turned out to be gone. */
  private boolean post(
      ApiGatewayManagementApiClient client,
      ConnectionId connection,
      ByteArrayOutputStream batch,
      boolean text,
      Set<ConnectionId> goneNow) {
    if (batch.size() == 0) {
      return true;
    }
    byte[] packets = batch.toByteArray();
    batch.reset();
    SdkBytes data =
        text
            ? SdkBytes.fromUtf8String(TextProfile.encode(packets))
            : SdkBytes.fromByteArray(packets);
    for (int attempt = 1; ; attempt++) {
      try {
        client.postToConnection(b -> b.connectionId(connection.value()).data(data));
        posted.increment();
        return true;
      } catch (GoneException e) {
        gone.increment();
        goneNow.add(connection);
        return false;
      } catch (SdkServiceException e) {
        if (isThrottling(e) && attempt < MAX_ATTEMPTS) {
          throttled.increment();
          // this connection's next packets wait behind this one: order is kept by retrying here
          backoff.pause(attempt);
          continue;
        }
        failed.increment();
        LOG.log(
            System.Logger.Level.WARNING, "posting to {0} failed: {1}", connection, e.getMessage());
        return true;
      } catch (SdkException e) {
        failed.increment();
        LOG.log(
            System.Logger.Level.WARNING, "posting to {0} failed: {1}", connection, e.getMessage());
        return true;
      }
    }
  }

  /** Attempts per post when throttled, the first included. */
  static final int MAX_ATTEMPTS = 6;

  /**
   * API Gateway throttles {@code PostToConnection} with 429 ({@code LimitExceededException}, or
   * {@code TooManyRequestsException}); both are retried.
   */
  static boolean isThrottling(SdkServiceException e) {
    if (e.statusCode() == 429 || e.isThrottlingException()) {
      return true;
    }
    String code =
        e instanceof AwsServiceException a && a.awsErrorDetails() != null
            ? a.awsErrorDetails().errorCode()
            : null;
    return "LimitExceededException".equals(code) || "TooManyRequestsException".equals(code);
  }

  /** Waits before a retry; exponential with full jitter, bounded. */
  @FunctionalInterface
  public interface Backoff {
    void pause(int attempt);

    /**
     * Full jitter (a uniform wait between 0 and {@code min(cap, base * 2^(attempt-1))}): 25 ms
     * base, 1 s cap; six attempts wait at most 1.8 s in all, well inside the integration timeout.
     */
    Backoff JITTERED =
        attempt -> {
          long ceiling = Math.min(1_000, 25L << Math.min(attempt - 1, 10));
          try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(ceiling + 1));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
  }

  private URI taskEndpoint(String task) {
    Instant now = clock.instant();
    CachedEndpoint c = taskEndpoints.get(task);
    if (c != null && c.until().isAfter(now)) {
      return c.endpoint();
    }
    URI endpoint = tasks.lookup(task, now);
    if (endpoint == null) {
      taskEndpoints.remove(task);
    } else {
      taskEndpoints.put(task, new CachedEndpoint(endpoint, now.plus(TASK_CACHE)));
    }
    return endpoint;
  }
}
