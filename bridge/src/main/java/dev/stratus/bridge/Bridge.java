package dev.stratus.bridge;

import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.Properties;
import dev.stratus.codec.ReasonCode;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.Inbound;
import dev.stratus.core.Outbound;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLSocket;

/**
 * The bridge's listeners and sockets: accepts MQTT clients over TCP, TLS and WebSocket, hands their
 * packets to the engine ({@link Inbound}) and writes what the engine sends ({@link Outbound}).
 *
 * <p>Plain TCP and WebSocket sockets are non-blocking and watched by a few selector threads ({@link
 * IoLoop}, one per processor); their packets are handled on virtual threads that exist only while
 * there is work ({@link ChannelConnection}). TLS sockets are blocking, each read by its own virtual
 * thread ({@link SocketConnection}). Writes happen on short-lived virtual threads, so {@link #send}
 * never blocks. Lifecycle: construct, {@link #start}, then {@link #drain} for a graceful stop or
 * {@link #close} to drop everything.
 *
 * <p><b>Routing.</b> Connection ids are {@code edgeId-counter}. {@link #send} and {@link #close}
 * for a connection this bridge holds go to its socket; for any other connection (held by another
 * bridge task or by API Gateway, when the engine runs on shared stores) they go to the {@link
 * Outbound} given to {@link #routeElsewhere}, or are ignored when there is none (in-memory state:
 * every connection is here). An id of this bridge that it no longer holds is ignored.
 */
public final class Bridge implements Outbound, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Bridge.class.getName());
  private static final int BACKLOG = 4096;

  /** Read buffers are lent to a connection for one read turn; this many are kept for reuse. */
  private static final int READ_BUFFER_SIZE = 32 * 1024;

  private static final int POOLED_READ_BUFFERS = 16;

  /** A bound listener. */
  public record Endpoint(Protocol protocol, InetSocketAddress address) {
    /** {@code tcp 127.0.0.1:1883}, {@code tls ...}, {@code ws ws://127.0.0.1:8080/mqtt}. */
    public String describe() {
      String hostPort = address.getAddress().getHostAddress() + ":" + address.getPort();
      return switch (protocol) {
        case TCP, TLS -> protocol.label() + " " + hostPort;
        case WS -> "ws ws://" + hostPort + WebSocketHandshake.PATH;
      };
    }
  }

  /** Counters for logs and tests. */
  public record Stats(
      int openConnections,
      long acceptedConnections,
      long droppedQos0Packets,
      long slowConsumersClosed) {}

  private final BridgeConfig config;
  private final ConcurrentHashMap<ConnectionId, Connection> connections = new ConcurrentHashMap<>();
  private final List<AutoCloseable> servers = new ArrayList<>();
  private final List<IoLoop> loops = new ArrayList<>();
  private final ArrayBlockingQueue<ByteBuffer> readBuffers =
      new ArrayBlockingQueue<>(POOLED_READ_BUFFERS);
  private final List<Endpoint> endpoints = new ArrayList<>();
  private final ScheduledThreadPoolExecutor scheduler;
  private final AtomicLong nextConnection = new AtomicLong();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder droppedQos0 = new LongAdder();
  private final LongAdder slowClosed = new LongAdder();
  private volatile Inbound inbound;
  private volatile Outbound elsewhere;
  private volatile boolean stopping;

  public Bridge(BridgeConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "bridge-timer");
              t.setDaemon(true);
              return t;
            });
    // Close timers are cancelled-or-fired per closed connection; do not let them pile up.
    scheduler.setRemoveOnCancelPolicy(true);
  }

  /**
   * Binds every enabled listener, then starts accepting. Either all listeners start or none does.
   *
   * @throws BindException naming the listener, e.g. {@code tcp 127.0.0.1:1883: Address already in
   *     use}
   */
  public synchronized void start(Inbound engine) throws IOException {
    if (inbound != null) {
      throw new IllegalStateException("already started");
    }
    inbound = Objects.requireNonNull(engine, "engine");
    InetAddress host = InetAddress.getByName(config.host());
    try {
      bind(Protocol.TCP, host, config.tcpPort());
      bind(Protocol.TLS, host, config.tlsPort());
      bind(Protocol.WS, host, config.wsPort());
      int selectors = Math.max(1, Runtime.getRuntime().availableProcessors());
      for (int i = 0; i < selectors; i++) {
        loops.add(new IoLoop("bridge-selector-" + i));
      }
    } catch (IOException e) {
      closeServers();
      throw e;
    }
    loops.forEach(IoLoop::start);
    for (int i = 0; i < servers.size(); i++) {
      Protocol protocol = endpoints.get(i).protocol();
      Runnable loop =
          switch (servers.get(i)) {
            case ServerSocketChannel channel -> () -> acceptChannels(channel, protocol);
            case ServerSocket socket -> () -> acceptSockets(socket);
            default -> throw new IllegalStateException();
          };
      Thread.ofVirtual().name("accept-" + protocol.label()).start(loop);
    }
  }

  private void bind(Protocol protocol, InetAddress host, int port) throws IOException {
    if (port < 0) {
      return;
    }
    // TLS stays on a blocking ServerSocket (see SocketConnection); the others are channels that
    // the selectors can watch.
    ServerSocketChannel channel = protocol == Protocol.TLS ? null : ServerSocketChannel.open();
    ServerSocket server = channel == null ? new ServerSocket() : channel.socket();
    try {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(host, port), BACKLOG);
    } catch (IOException e) {
      server.close();
      BindException named =
          new BindException(
              protocol.label() + " " + host.getHostAddress() + ":" + port + ": " + e.getMessage());
      named.initCause(e);
      throw named;
    }
    servers.add(channel == null ? server : channel);
    endpoints.add(new Endpoint(protocol, new InetSocketAddress(host, server.getLocalPort())));
  }

  /** Accepts plain TCP or WebSocket clients and hands each to a selector. */
  private void acceptChannels(ServerSocketChannel server, Protocol protocol) {
    int next = 0;
    while (server.isOpen()) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        if (!backOff(server.isOpen(), protocol, e)) {
          return;
        }
        continue;
      }
      try {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true); // we batch writes ourselves
        IoLoop loop = loops.get(next++ % loops.size());
        ChannelConnection connection =
            new ChannelConnection(newId(), this, protocol, channel, loop);
        if (admit(connection)) {
          connection.start();
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING, "could not set up a " + protocol.label() + " socket", e);
        closeQuietly(channel);
      }
    }
  }

  /** Accepts TLS clients; each gets a blocking socket and a reader virtual thread. */
  private void acceptSockets(ServerSocket server) {
    while (!server.isClosed()) {
      Socket raw;
      try {
        raw = server.accept();
      } catch (IOException e) {
        if (!backOff(!server.isClosed(), Protocol.TLS, e)) {
          return;
        }
        continue;
      }
      try {
        // Layered on the plain socket (not an SSLServerSocket) so that an abort can close the
        // TCP socket directly, even while a TLS write is blocked on a slow client.
        SSLSocket ssl =
            (SSLSocket)
                config
                    .tls()
                    .getSocketFactory()
                    .createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
        ssl.setUseClientMode(false);
        config.clientCertificates().configure(ssl);
        SocketConnection connection = new SocketConnection(newId(), this, Protocol.TLS, raw, ssl);
        if (admit(connection)) {
          Thread.startVirtualThread(connection::run);
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "could not set up a tls socket", e);
        closeQuietly(raw);
      }
    }
  }

  /** After a failed accept: false when the listener is closed, else waits a little. */
  private static boolean backOff(boolean open, Protocol protocol, IOException e) {
    if (!open) {
      return false;
    }
    LOG.log(System.Logger.Level.WARNING, "accept failed on " + protocol.label(), e);
    // Usually out of file descriptors: back off instead of spinning on the same error.
    try {
      Thread.sleep(100);
      return true;
    } catch (InterruptedException interrupted) {
      return false;
    }
  }

  private ConnectionId newId() {
    return new ConnectionId(
        config.edgeId() + "-" + Long.toHexString(nextConnection.incrementAndGet()));
  }

  /** Registers a new connection; false (and the socket closed) when the bridge is stopping. */
  private boolean admit(Connection connection) {
    connections.put(connection.id, connection);
    accepted.increment();
    if (stopping) {
      connection.abort();
      connections.remove(connection.id);
      return false;
    }
    return true;
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception ignored) {
      // The peer is gone either way.
    }
  }

  /** The bound listeners, in the order tcp, tls, ws (disabled ones absent). */
  public synchronized List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  /** The bound port of {@code protocol}, or -1 when that listener is off. */
  public synchronized int port(Protocol protocol) {
    for (Endpoint e : endpoints) {
      if (e.protocol() == protocol) {
        return e.address().getPort();
      }
    }
    return -1;
  }

  public Stats stats() {
    return new Stats(connections.size(), accepted.sum(), droppedQos0.sum(), slowClosed.sum());
  }

  /** Where packets for connections this bridge does not hold go; see the class comment. */
  public void routeElsewhere(Outbound outbound) {
    this.elsewhere = outbound;
  }

  /** True when {@code connection} is an id this bridge handed out (held now or not). */
  public boolean isOwn(ConnectionId connection) {
    String v = connection.value();
    String edge = config.edgeId();
    return v.length() > edge.length() + 1 && v.startsWith(edge) && v.charAt(edge.length()) == '-';
  }

  @Override
  public void send(ConnectionId connection, byte[] packet) {
    send(connection, null, packet);
  }

  /**
   * Sends to a connection; one held elsewhere is reached through {@link #routeElsewhere}'s
   * outbound, with the edge its record named when the engine passes it.
   */
  @Override
  public void send(ConnectionId connection, String edge, byte[] packet) {
    Connection c = connections.get(connection);
    if (c != null) {
      if (packet.length > 0) {
        c.send(packet);
      }
      return;
    }
    Outbound other = elsewhere;
    if (other != null && !isOwn(connection)) {
      if (edge == null) {
        other.send(connection, packet);
      } else {
        other.send(connection, edge, packet);
      }
    }
  }

  @Override
  public void close(ConnectionId connection) {
    close(connection, null);
  }

  /**
   * Closes a connection; one held elsewhere is closed through the edge its record named (the engine
   * passes it because it may already have removed the record, e.g. at a takeover).
   */
  @Override
  public void close(ConnectionId connection, String edge) {
    Connection c = connections.get(connection);
    if (c != null) {
      c.close();
      return;
    }
    Outbound other = elsewhere;
    if (other != null && !isOwn(connection)) {
      if (edge == null) {
        other.close(connection);
      } else {
        other.close(connection, edge);
      }
    }
  }

  /**
   * What API Gateway's GetConnection tells about a connection.
   *
   * @param connectedAt when the socket was accepted
   * @param sourceIp the peer's address
   * @param lastActiveAt when bytes last arrived from the client
   */
  public record ConnectionStatus(Instant connectedAt, String sourceIp, Instant lastActiveAt) {}

  /** The status of a connection this bridge holds, or null. */
  public ConnectionStatus status(ConnectionId connection) {
    Connection c = connections.get(connection);
    if (c == null) {
      return null;
    }
    return new ConnectionStatus(
        Instant.ofEpochMilli(c.connectedAtMillis),
        c.sourceIp(),
        Instant.ofEpochMilli(c.lastActiveMillis()));
  }

  /**
   * Queues whole encoded packets for a connection this bridge holds, as {@link #send} does; false
   * when it does not hold it.
   */
  public boolean deliverHere(ConnectionId connection, List<byte[]> packets) {
    Connection c = connections.get(connection);
    if (c == null) {
      return false;
    }
    for (byte[] p : packets) {
      c.send(p);
    }
    return true;
  }

  /** Closes a connection this bridge holds after flushing it, as {@link #close}; false if none. */
  public boolean closeHere(ConnectionId connection) {
    Connection c = connections.get(connection);
    if (c == null) {
      return false;
    }
    c.close();
    return true;
  }

  /**
   * Graceful stop: stops accepting, tells each MQTT 5 client DISCONNECT 0x8B (Server shutting
   * down), flushes and closes every connection, and waits up to {@code grace} for the readers to
   * finish (each reports {@code connectionLost} to the engine). Returns true if all finished.
   */
  public boolean drain(Duration grace) throws InterruptedException {
    stopping = true;
    closeServers();
    byte[] shuttingDown =
        PacketEncoder.encode(
            new Disconnect(ReasonCode.SERVER_SHUTTING_DOWN, Properties.NONE), MqttVersion.V5);
    for (Connection c : connections.values()) {
      c.shutdown(shuttingDown);
    }
    long deadline = System.nanoTime() + grace.toNanos();
    while (!connections.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    boolean clean = connections.isEmpty();
    close();
    return clean;
  }

  /** Drops every connection and listener at once. */
  @Override
  public void close() {
    stopping = true;
    closeServers();
    for (Connection c : connections.values()) {
      c.abort();
    }
    scheduler.shutdownNow();
    loops.forEach(IoLoop::close);
  }

  private synchronized void closeServers() {
    servers.forEach(Bridge::closeQuietly);
  }

  // Used by Connection.

  BridgeConfig config() {
    return config;
  }

  Inbound inbound() {
    return inbound;
  }

  void removed(Connection connection) {
    connections.remove(connection.id, connection);
  }

  void countDroppedQos0() {
    droppedQos0.increment();
  }

  void countSlowConsumerClosed() {
    slowClosed.increment();
  }

  void schedule(Runnable task, Duration delay) {
    if (!scheduler.isShutdown()) {
      try {
        scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException raceWithShutdown) {
        task.run();
      }
    }
  }

  /** Like {@link #schedule}, but cancellable; null when the bridge is closed. */
  ScheduledFuture<?> scheduleCancellable(Runnable task, Duration delay) {
    try {
      return scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      return null;
    }
  }

  void startVirtualThread(Runnable task) {
    Thread.startVirtualThread(task);
  }

  /** A read buffer for one read turn; give it back with {@link #giveReadBuffer}. */
  ByteBuffer takeReadBuffer() {
    ByteBuffer b = readBuffers.poll();
    return b != null ? b : ByteBuffer.allocate(READ_BUFFER_SIZE);
  }

  void giveReadBuffer(ByteBuffer buffer) {
    readBuffers.offer(buffer); // when the pool is full the buffer is left to the garbage collector
  }
}
