package dev.stratus.functions;

import dev.stratus.core.ConnectionId;
import dev.stratus.core.Outbound;
import dev.stratus.store.dynamodb.BridgeTasks;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
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
 * its base64 fits API Gateway's message limit); different connections are posted concurrently.
 * Throttling ({@code 429}) is retried with backoff by the SDK's standard retry strategy.
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
  public record Stats(long posted, long gone, long failed, long oversize, long unroutable) {}

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
  private final ConcurrentLinkedQueue<Op> pending = new ConcurrentLinkedQueue<>();
  private final ConcurrentHashMap<URI, ApiGatewayManagementApiClient> clients =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CachedEndpoint> taskEndpoints = new ConcurrentHashMap<>();
  private final ExecutorService posters = Executors.newVirtualThreadPerTaskExecutor();
  private final LongAdder posted = new LongAdder();
  private final LongAdder gone = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder oversize = new LongAdder();
  private final LongAdder unroutable = new LongAdder();

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
      pending.add(new Op(connection, packet, resolve(connection)));
    }
  }

  @Override
  public void close(ConnectionId connection) {
    pending.add(new Op(connection, null, resolve(connection)));
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
    return new Stats(posted.sum(), gone.sum(), failed.sum(), oversize.sum(), unroutable.sum());
  }

  /**
   * Delivers everything sent since the last flush and waits for it.
   *
   * @param callbackUrl the API Gateway stage's Management API endpoint, {@code
   *     https://{domainName}/{stage}}
   * @param onGone told each connection found gone, on the calling thread; it may send more
   */
  public void flush(URI callbackUrl, Consumer<ConnectionId> onGone) {
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
    try {
      client.postToConnection(b -> b.connectionId(connection.value()).data(data));
      posted.increment();
      return true;
    } catch (GoneException e) {
      gone.increment();
      goneNow.add(connection);
      return false;
    } catch (SdkException e) {
      failed.increment();
      LOG.log(
          System.Logger.Level.WARNING, "posting to {0} failed: {1}", connection, e.getMessage());
      return true;
    }
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
