package dev.stratus.bridge;

import dev.stratus.core.ConnectionId;
import dev.stratus.core.Outbound;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GoneException;

/**
 * Delivers to connections held elsewhere, through the API Gateway Management API: {@code
 * PostToConnection} for {@link #send}, {@code DeleteConnection} for {@link #close}, against the
 * endpoint of whichever edge holds the connection: another bridge task's {@link InternalEndpoint}
 * (raw packets, {@link Kind#INTERNAL}) or API Gateway itself ({@link Kind#API_GATEWAY}: the text
 * profile of docs/text-profile.md, base64 of whole packets in a text message).
 *
 * <p><b>Never blocks the caller.</b> Each destination (a {@link Resolver#destinationOf key}: a task
 * id, or one API Gateway connection) has a FIFO queue; a virtual thread drains it while it is
 * non-empty and ends when it is empty (the destination is then forgotten), so one slow or dead
 * destination delays only its own connections, and API Gateway connections are served concurrently,
 * each strictly in order. At most {@value #MAX_CONCURRENT_REQUESTS} requests are in flight at once.
 *
 * <p><b>Batching.</b> Consecutive packets for one connection go out as one request, in order: up to
 * {@value #MAX_POST_BYTES} bytes to a bridge task; up to {@value #MAX_TEXT_PACKET_BYTES} bytes to
 * API Gateway, whose base64 ({@value #MAX_TEXT_CHARS} characters) fits its 128 KB message. A single
 * packet larger than that cannot be carried to API Gateway: it is not sent and is counted ({@link
 * Stats#oversize}); a QoS 0 message is thereby lost, a QoS 1/2 one stays in the session's in-flight
 * state for the client's next connection [MQTT-4.4.0-1].
 *
 * <p><b>Drop policy.</b> A destination queue holds at most {@code capacity} packets. When it is
 * full a new packet is dropped and counted ({@link Stats#dropped}): tail drop, as the engine's own
 * queues do, so what is queued keeps its order without gaps. For QoS 1/2 the engine keeps the
 * message in flight and resends it when the client reconnects [MQTT-4.4.0-1]. Closes are never
 * dropped: a takeover must end the old connection.
 *
 * <p><b>Throttling.</b> A 429 (API Gateway's {@code LimitExceededException}, the account's shared
 * request rate) or a 5xx is retried by this class, up to {@value #MAX_ATTEMPTS} attempts, after a
 * backoff that doubles from {@link #BACKOFF_BASE} up to {@link #BACKOFF_CAP} with jitter (a random
 * wait between half and all of it, so throttled connections do not retry in lockstep). The
 * connection's later packets wait behind the retried one: order is kept. After the last attempt the
 * request is counted as {@link Stats#failed} and its packets are lost as on a broken socket.
 *
 * <p><b>Gone.</b> A 410 ({@code GoneException}) or a destination that no longer exists (a dead task
 * whose registration expired, a connection whose record is gone) means nobody holds the connection:
 * the resolver is told ({@link Resolver#gone}, to forget what it cached) and {@code onGone} is
 * called with it; the bridge hands it to the engine as {@code connectionLost}, which removes its
 * record and settles its will and session. Further packets queued for it are dropped. Any other
 * failure is logged and counted ({@link Stats#failed}).
 */
public final class RemoteOutbound implements Outbound, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RemoteOutbound.class.getName());

  /** Consecutive packets for one connection are sent to a bridge task in one POST up to this. */
  static final int MAX_POST_BYTES = 64 * 1024;

  /** API Gateway's message limit read conservatively as characters (docs/text-profile.md). */
  static final int MAX_TEXT_CHARS = 128_000;

  /**
   * The profile's packet limit, 95,985 bytes: the base64 fits {@link #MAX_TEXT_CHARS} next to the
   * 20 characters the profile keeps for a client's sequence prefix (docs/text-profile.md).
   */
  static final int MAX_TEXT_PACKET_BYTES = (MAX_TEXT_CHARS - 20) / 4 * 3;

  /** Attempts of one request that is throttled (429) or meets a server error (5xx). */
  static final int MAX_ATTEMPTS = 8;

  static final Duration BACKOFF_BASE = Duration.ofMillis(25);
  static final Duration BACKOFF_CAP = Duration.ofSeconds(2);

  /** Requests in flight at once, over every destination. */
  static final int MAX_CONCURRENT_REQUESTS = 128;

  /** Default per-destination queue bound, in packets. */
  public static final int DEFAULT_CAPACITY = 10_000;

  /** How a destination is reached. */
  public enum Kind {
    /** A bridge task's internal endpoint: the body is the raw packets. */
    INTERNAL,
    /** API Gateway's Management API: the body is the text profile's base64 of the packets. */
    API_GATEWAY,
    /** No edge this process can reach (an edge of a form it does not know): dropped, counted. */
    UNROUTABLE
  }

  /** Where a destination's requests go. */
  public record Route(URI endpoint, Kind kind) {
    public static final Route UNROUTABLE = new Route(null, Kind.UNROUTABLE);

    public Route {
      Objects.requireNonNull(kind, "kind");
      if ((endpoint == null) != (kind == Kind.UNROUTABLE)) {
        throw new IllegalArgumentException("an endpoint exactly when the route is routable");
      }
    }
  }

  /** Where connections live. */
  public interface Resolver {
    /**
     * The queue a connection's deliveries share (its bridge task id, or the connection itself when
     * it is held by API Gateway), or null when no known edge holds connections of this form:
     * deliveries to it are dropped and counted. Called on the engine's thread: must not block.
     */
    String destinationOf(ConnectionId connection);

    /**
     * How to reach a destination, or null when it no longer exists (its connections are gone).
     * Called on the destination's drainer thread; it may block (a DynamoDB read).
     */
    Route routeOf(String destination);

    /** The connection turned out to be gone (410): forget what was cached about it. */
    default void gone(String destination, ConnectionId connection) {}

    /**
     * How to reach a connection through the edge its record named, for a close or a last packet
     * after the engine removed the record (takeover, keepalive expiry, protocol error: the engine
     * passes the edge then), or null when the edge is not one this resolver can reach.
     */
    default Route routeOfEdge(String edge) {
      return null;
    }
  }

  /**
   * Counters for logs and tests.
   *
   * @param retried requests repeated after a 429 or a 5xx
   * @param oversize packets too large for an API Gateway message, not sent
   */
  public record Stats(
      long posted,
      long dropped,
      long gone,
      long failed,
      long unroutable,
      long retried,
      long oversize) {}

  /**
   * A packet (or, when null, a close) for a connection; {@code edge} is its recorded edge or null.
   */
  private record Op(ConnectionId connection, String edge, byte[] packet) {
    boolean isClose() {
      return packet == null;
    }
  }

  private enum Outcome {
    DONE,
    GONE,
    FAILED
  }

  private final Resolver resolver;
  private final Function<Route, ApiGatewayManagementApiClient> clients;
  private final Consumer<ConnectionId> onGone;
  private final int capacity;
  private final ConcurrentHashMap<String, Destination> destinations = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Route, ApiGatewayManagementApiClient> clientByRoute =
      new ConcurrentHashMap<>();
  private final Semaphore requests = new Semaphore(MAX_CONCURRENT_REQUESTS);
  private final LongAdder posted = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder gone = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder unroutable = new LongAdder();
  private final LongAdder retried = new LongAdder();
  private final LongAdder oversize = new LongAdder();
  private volatile boolean closed;

  /**
   * @param clients builds a Management API client for a route (once per route; closed by {@link
   *     #close}); see {@link TaskDirectory#client}
   * @param onGone told each connection that turned out to be gone; may block
   * @param capacity packets queued per destination before new ones are dropped
   */
  public RemoteOutbound(
      Resolver resolver,
      Function<Route, ApiGatewayManagementApiClient> clients,
      Consumer<ConnectionId> onGone,
      int capacity) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.clients = Objects.requireNonNull(clients, "clients");
    this.onGone = Objects.requireNonNull(onGone, "onGone");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.capacity = capacity;
  }

  @Override
  public void send(ConnectionId connection, byte[] packet) {
    if (packet.length > 0) {
      enqueue(new Op(connection, null, packet));
    }
  }

  @Override
  public void send(ConnectionId connection, String edge, byte[] packet) {
    if (packet.length > 0) {
      enqueue(new Op(connection, edge, packet));
    }
  }

  @Override
  public void close(ConnectionId connection) {
    enqueue(new Op(connection, null, null));
  }

  @Override
  public void close(ConnectionId connection, String edge) {
    enqueue(new Op(connection, edge, null));
  }

  public Stats stats() {
    return new Stats(
        posted.sum(),
        dropped.sum(),
        gone.sum(),
        failed.sum(),
        unroutable.sum(),
        retried.sum(),
        oversize.sum());
  }

  private void enqueue(Op op) {
    if (closed) {
      return;
    }
    String key = resolver.destinationOf(op.connection());
    if (key == null) {
      unroutable.increment();
      LOG.log(System.Logger.Level.DEBUG, "no edge known for {0}: dropped", op.connection());
      return;
    }
    // A destination whose drainer just found it empty retires; then a fresh one takes its place.
    while (!destinations.computeIfAbsent(key, Destination::new).offer(op)) {
      Thread.onSpinWait();
    }
  }

  /** One destination's queue and its drainer. */
  private final class Destination {
    private final String key;
    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    private int packets; // queued sends (closes are not counted against the capacity)
    private boolean draining;
    private boolean retired;
    private ConnectionId lastGone; // drainer thread only

    Destination(String key) {
      this.key = key;
    }

    /** False when this destination has retired: the caller offers to its successor. */
    boolean offer(Op op) {
      synchronized (this) {
        if (retired) {
          return false;
        }
        if (!op.isClose() && packets >= capacity) {
          dropped.increment();
          return true;
        }
        queue.add(op);
        if (!op.isClose()) {
          packets++;
        }
        if (draining) {
          return true;
        }
        draining = true;
      }
      Thread.ofVirtual().name("deliver-" + key).start(this::drain);
      return true;
    }

    private Op poll() {
      synchronized (this) {
        Op op = queue.poll();
        if (op == null) {
          // Idle: forget this destination (an API Gateway connection's queue would otherwise
          // stay in the map for good). Under the lock, so an offer sees either the queue or this.
          draining = false;
          retired = true;
          destinations.remove(key, this);
        } else if (!op.isClose()) {
          packets--;
        }
        return op;
      }
    }

    private void drain() {
      Op first;
      while ((first = poll()) != null) {
        if (closed || !first.isClose() && first.connection().equals(lastGone)) {
          continue; // empty the queue without sending
        }
        Route route;
        try {
          route = resolver.routeOf(key);
        } catch (RuntimeException e) {
          failed.increment();
          LOG.log(System.Logger.Level.WARNING, "cannot resolve " + key, e);
          continue;
        }
        if (route == null && first.edge() != null) {
          // the engine closes (or says a last word to) a connection whose record it has already
          // removed: it named the edge, which is where the connection may still be open
          route = resolver.routeOfEdge(first.edge());
        }
        if (route == null) {
          if (!first.isClose()) {
            gone(first.connection());
          }
          continue;
        }
        if (route.kind() == Kind.UNROUTABLE) {
          unroutable.increment();
          LOG.log(System.Logger.Level.DEBUG, "no edge known for {0}: dropped", first.connection());
          continue;
        }
        if (first.isClose()) {
          request(route, first.connection(), null);
          continue;
        }
        boolean text = route.kind() == Kind.API_GATEWAY;
        int limit = text ? MAX_TEXT_PACKET_BYTES : MAX_POST_BYTES;
        if (text && first.packet().length > limit) {
          tooLarge(first);
          continue;
        }
        byte[] body = batch(first, limit);
        request(route, first.connection(), text ? textOf(body) : SdkBytes.fromByteArray(body));
      }
    }

    /** {@code first}'s packet and the same connection's packets queued right after it. */
    private byte[] batch(Op first, int limit) {
      ByteArrayOutputStream batch = null;
      synchronized (this) {
        Op next;
        while ((next = queue.peek()) != null
            && !next.isClose()
            && next.connection().equals(first.connection())
            && (batch == null ? first.packet().length : batch.size()) + next.packet().length
                <= limit) {
          if (batch == null) {
            batch = new ByteArrayOutputStream();
            batch.writeBytes(first.packet());
          }
          batch.writeBytes(queue.poll().packet());
          packets--;
        }
      }
      return batch == null ? first.packet() : batch.toByteArray();
    }

    /** Posts {@code data}, or deletes the connection when it is null; retries throttling. */
    private void request(Route route, ConnectionId connection, SdkBytes data) {
      ApiGatewayManagementApiClient client = clientByRoute.computeIfAbsent(route, clients);
      String id = connection.value();
      for (int attempt = 1; ; attempt++) {
        try {
          requests.acquire();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        Outcome outcome; // null: try again
        try {
          if (data == null) {
            client.deleteConnection(b -> b.connectionId(id));
          } else {
            client.postToConnection(b -> b.connectionId(id).data(data));
            posted.increment();
          }
          outcome = Outcome.DONE;
        } catch (GoneException e) {
          outcome = Outcome.GONE;
        } catch (SdkServiceException e) {
          outcome =
              attempt < MAX_ATTEMPTS && !closed && retryable(e)
                  ? null
                  : failure(connection, route, e);
        } catch (SdkException e) {
          outcome = failure(connection, route, e);
        } finally {
          requests.release();
        }
        if (outcome == null) {
          retried.increment();
          if (!backOff(attempt)) {
            return;
          }
          continue;
        }
        if (outcome == Outcome.GONE && data != null) {
          // A close of a connection that is already gone needs nothing: its edge settles it.
          resolver.gone(key, connection);
          gone(connection);
        }
        return;
      }
    }

    private Outcome failure(ConnectionId connection, Route route, SdkException e) {
      failed.increment();
      LOG.log(
          System.Logger.Level.WARNING,
          "delivery to {0} at {1} failed: {2}",
          connection,
          route.endpoint(),
          e.getMessage());
      return Outcome.FAILED;
    }

    private void gone(ConnectionId connection) {
      lastGone = connection;
      connectionGone(connection);
    }
  }

  /** Throttling (429) and server errors (5xx) are worth another attempt; 4xx are not. */
  private static boolean retryable(SdkServiceException e) {
    return e.statusCode() == 429 || e.isThrottlingException() || e.statusCode() >= 500;
  }

  /**
   * Waits before attempt {@code attempt + 1}: the base doubled per attempt, capped, then a random
   * point between half of it and all of it. False when interrupted.
   */
  private static boolean backOff(int attempt) {
    long ceiling =
        Math.min(BACKOFF_CAP.toMillis(), BACKOFF_BASE.toMillis() << Math.min(attempt - 1, 20));
    long wait = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    try {
      Thread.sleep(wait);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void tooLarge(Op op) {
    oversize.increment();
    int header = op.packet()[0] & 0xFF;
    boolean publish = header >> 4 == 3;
    int qos = (header >> 1) & 3;
    LOG.log(
        System.Logger.Level.WARNING,
        "a {0}-byte {1} to {2} exceeds the {3} bytes an API Gateway message carries: not sent{4}",
        op.packet().length,
        publish ? "PUBLISH" : "packet",
        op.connection(),
        MAX_TEXT_PACKET_BYTES,
        publish && qos > 0 ? " (it stays in flight in the session)" : "");
  }

  /** The text profile: base64 of whole packets, sent as a WebSocket text message. */
  private static SdkBytes textOf(byte[] packets) {
    return SdkBytes.fromUtf8String(Base64.getEncoder().encodeToString(packets));
  }

  private void connectionGone(ConnectionId connection) {
    gone.increment();
    try {
      onGone.accept(connection);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "forgetting " + connection + " failed", e);
    }
  }

  /** Stops delivering; queued packets are dropped. Closes the clients. */
  @Override
  public void close() {
    closed = true;
    clientByRoute.values().forEach(ApiGatewayManagementApiClient::close);
    clientByRoute.clear();
  }
}
