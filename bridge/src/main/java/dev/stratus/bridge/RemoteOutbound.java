package dev.stratus.bridge;

import dev.stratus.core.ConnectionId;
import dev.stratus.core.Outbound;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.apigatewaymanagementapi.model.GoneException;

/**
 * Delivers to connections held elsewhere, through the API Gateway Management API: {@code
 * PostToConnection} for {@link #send}, {@code DeleteConnection} for {@link #close}, against the
 * endpoint of whichever edge holds the connection (another bridge task's {@link InternalEndpoint}
 * today; API Gateway's {@code https://{api}.execute-api.{region}.amazonaws.com/{stage}} once issue
 * 5 adds a {@link Resolver} for its connection ids).
 *
 * <p><b>Never blocks the caller.</b> Each destination (a {@link Resolver#destinationOf key}, e.g. a
 * task id) has a FIFO queue; a virtual thread drains it while it is non-empty and ends when it is
 * empty, so one slow or dead destination delays only its own connections. Consecutive packets for
 * one connection go out as one POST of up to {@value #MAX_POST_BYTES} bytes (the body is whole
 * packets back to back), in order.
 *
 * <p><b>Drop policy.</b> A destination queue holds at most {@code capacity} packets. When it is
 * full a new packet is dropped and counted ({@link Stats#dropped}): tail drop, as the engine's own
 * queues do, so what is queued keeps its order without gaps. For QoS 1/2 the engine keeps the
 * message in the session's in-flight state and resends it when the client reconnects
 * [MQTT-4.4.0-1]. Closes are never dropped: a takeover must end the old connection.
 *
 * <p><b>Gone.</b> A 410 ({@code GoneException}) or a destination that no longer exists (a dead task
 * whose registration expired) means nobody holds the connection: {@code onGone} is called with it,
 * and the bridge hands it to the engine as {@code connectionLost}, which removes its record and
 * settles its will and session. Any other failure (after the SDK's own retries) is logged and
 * counted ({@link Stats#failed}); the packet is lost as on a broken socket.
 */
public final class RemoteOutbound implements Outbound, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RemoteOutbound.class.getName());

  /** Consecutive packets for one connection are sent in one POST up to this size. */
  static final int MAX_POST_BYTES = 64 * 1024;

  /** Default per-destination queue bound, in packets. */
  public static final int DEFAULT_CAPACITY = 10_000;

  /** Where connections live. */
  public interface Resolver {
    /**
     * The queue a connection's deliveries share (e.g. its bridge task id), or null when no known
     * edge holds connections of this form: deliveries to it are dropped and counted.
     */
    String destinationOf(ConnectionId connection);

    /**
     * The Management API endpoint of a destination, or null when it no longer exists (its
     * connections are gone). Called on the destination's drainer thread; it may block.
     */
    URI endpointOf(String destination);
  }

  /** Counters for logs and tests. */
  public record Stats(long posted, long dropped, long gone, long failed, long unroutable) {}

  private record Op(ConnectionId connection, byte[] packet) {
    boolean isClose() {
      return packet == null;
    }
  }

  private final Resolver resolver;
  private final Function<URI, ApiGatewayManagementApiClient> clients;
  private final Consumer<ConnectionId> onGone;
  private final int capacity;
  private final ConcurrentHashMap<String, Destination> destinations = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<URI, ApiGatewayManagementApiClient> clientByEndpoint =
      new ConcurrentHashMap<>();
  private final LongAdder posted = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder gone = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder unroutable = new LongAdder();
  private volatile boolean closed;

  /**
   * @param clients builds a Management API client for an endpoint (once per endpoint; closed by
   *     {@link #close})
   * @param onGone told each connection that turned out to be gone; may block
   * @param capacity packets queued per destination before new ones are dropped
   */
  public RemoteOutbound(
      Resolver resolver,
      Function<URI, ApiGatewayManagementApiClient> clients,
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
      enqueue(new Op(connection, packet));
    }
  }

  @Override
  public void close(ConnectionId connection) {
    enqueue(new Op(connection, null));
  }

  public Stats stats() {
    return new Stats(posted.sum(), dropped.sum(), gone.sum(), failed.sum(), unroutable.sum());
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
    destinations.computeIfAbsent(key, Destination::new).offer(op);
  }

  /** One destination's queue and its drainer. */
  private final class Destination {
    private final String key;
    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    private int packets; // queued sends (closes are not counted against the capacity)
    private boolean draining;

    Destination(String key) {
      this.key = key;
    }

    void offer(Op op) {
      synchronized (this) {
        if (!op.isClose() && packets >= capacity) {
          dropped.increment();
          return;
        }
        queue.add(op);
        if (!op.isClose()) {
          packets++;
        }
        if (draining) {
          return;
        }
        draining = true;
      }
      Thread.ofVirtual().name("deliver-" + key).start(this::drain);
    }

    private void drain() {
      while (true) {
        Op first;
        ByteArrayOutputStream batch = null;
        synchronized (this) {
          first = queue.poll();
          if (first == null) {
            draining = false;
            return;
          }
          if (!first.isClose()) {
            packets--;
            // Consecutive packets for the same connection share one POST.
            Op next;
            while ((next = queue.peek()) != null
                && !next.isClose()
                && next.connection().equals(first.connection())
                && (batch == null ? first.packet().length : batch.size()) + next.packet().length
                    <= MAX_POST_BYTES) {
              if (batch == null) {
                batch = new ByteArrayOutputStream();
                batch.writeBytes(first.packet());
              }
              batch.writeBytes(queue.poll().packet());
              packets--;
            }
          }
        }
        if (closed) {
          continue; // empty the queue without sending
        }
        deliver(first, batch == null ? first.packet() : batch.toByteArray());
      }
    }

    private void deliver(Op op, byte[] body) {
      URI endpoint;
      try {
        endpoint = resolver.endpointOf(key);
      } catch (RuntimeException e) {
        failed.increment();
        LOG.log(System.Logger.Level.WARNING, "cannot resolve " + key, e);
        return;
      }
      if (endpoint == null) {
        connectionGone(op.connection());
        return;
      }
      ApiGatewayManagementApiClient client = clientByEndpoint.computeIfAbsent(endpoint, clients);
      String id = op.connection().value();
      try {
        if (op.isClose()) {
          client.deleteConnection(b -> b.connectionId(id));
        } else {
          client.postToConnection(b -> b.connectionId(id).data(SdkBytes.fromByteArray(body)));
          posted.increment();
        }
      } catch (GoneException e) {
        if (!op.isClose()) {
          connectionGone(op.connection());
        }
      } catch (SdkException e) {
        failed.increment();
        LOG.log(
            System.Logger.Level.WARNING,
            "delivery to {0} at {1} failed: {2}",
            op.connection(),
            endpoint,
            e.getMessage());
      }
    }
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
    clientByEndpoint.values().forEach(ApiGatewayManagementApiClient::close);
    clientByEndpoint.clear();
  }
}
