package dev.stratus.bridge;

import dev.stratus.core.ConnectionId;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.ScheduledFuture;

/**
 * A plain TCP or WebSocket connection on a non-blocking socket owned by an {@link IoLoop}. An idle
 * connection costs no thread and no buffer: only this object, the socket channel, its selection key
 * and the {@link dev.stratus.codec.Framer}.
 *
 * <p><b>Reading, in turns.</b> When the selector sees the socket readable it clears its read
 * interest and calls {@link #readable}, which starts a virtual thread for one <em>turn</em>: read
 * what has arrived (at most 64 KiB, into a pooled buffer), decode it, hand the packets to the
 * engine, then ask the selector to watch the socket again. Turns of one connection never overlap
 * (the interest is off while one runs), so its engine calls stay serial and in order, and the
 * engine may block (it will, on DynamoDB) without holding up a selector. A flooding client is not
 * read again before its turn ends, so TCP flow control slows it down, and the 64 KiB cap ends every
 * turn soon enough for writers to run: virtual threads are not preempted.
 *
 * <p><b>Writing.</b> A writer virtual thread starts when the outbound queue becomes non-empty and
 * writes {@link #nextWrite} chunks without blocking. When the socket takes only part of a chunk,
 * the rest is kept, write interest is set, and the writer ends; the selector starts a new one when
 * the socket can take more. The queue limits of {@link Connection} bound what waits meanwhile.
 *
 * <p><b>Ending.</b> Exactly one {@code connectionLost} (after {@code connectionOpened}) whoever
 * closes: the end of a turn reports it when the turn saw end of stream or an error, or when the
 * socket was closed during the turn; a close while no turn runs reports it on a new virtual thread.
 */
final class ChannelConnection extends Connection {
  private static final System.Logger LOG = System.getLogger(ChannelConnection.class.getName());

  /** Bytes read in one turn before the turn ends and the socket goes back to the selector. */
  private static final int MAX_TURN_BYTES = 64 * 1024;

  private final SocketChannel channel;
  private final IoLoop loop;
  private volatile SelectionKey key;

  // Turn and life-cycle state, guarded by `this`.
  private boolean turnRunning;
  private boolean transportClosed;
  private boolean ended;
  private ScheduledFuture<?> connectTimer;

  // Read by the turns only, one at a time; volatile because the end may run on another thread.
  private volatile boolean opened;

  /** The WebSocket opening handshake received so far; null before it starts and once decided. */
  private byte[] request;

  private int requestLength;

  /** Writer only: the unwritten rest of a chunk while the socket was full. */
  private Chunk pending;

  ChannelConnection(
      ConnectionId id, Bridge bridge, Protocol protocol, SocketChannel channel, IoLoop loop) {
    super(id, bridge, protocol);
    this.channel = channel;
    this.loop = loop;
  }

  /** Registers with the selector and runs the first turn; called once, by the accept loop. */
  void start() throws IOException {
    SelectionKey registered = loop.register(channel, this);
    synchronized (this) {
      key = registered;
      turnRunning = true;
      // Until CONNECT arrives the client gets a bounded time: "if the Server does not receive a
      // CONNECT packet within a reasonable amount of time ... the Server SHOULD close the Network
      // Connection" (MQTT 3.1.1 and 5.0, §3.1.4). The WebSocket handshake counts against it.
      connectTimer =
          bridge.scheduleCancellable(this::connectTimedOut, bridge.config().connectTimeout());
    }
    bridge.startVirtualThread(this::turn);
  }

  private void connectTimedOut() {
    if (version() == null) {
      LOG.log(System.Logger.Level.DEBUG, "{0}: no CONNECT in time, closing", id);
      abort();
    }
  }

  @Override
  void connectReceived() {
    ScheduledFuture<?> timer;
    synchronized (this) {
      timer = connectTimer;
      connectTimer = null;
    }
    if (timer != null) {
      timer.cancel(false);
    }
  }

  /** From the selector: the socket has bytes (or end of stream). */
  void readable() {
    synchronized (this) {
      if (turnRunning || ended) {
        return;
      }
      turnRunning = true;
    }
    bridge.startVirtualThread(this::turn);
  }

  /** From the selector: the socket can take the rest of a chunk. */
  void writable() {
    bridge.startVirtualThread(this::writeLoop);
  }

  private void turn() {
    boolean open = false;
    try {
      if (!opened && protocol == Protocol.TCP) {
        opened = true;
        bridge.inbound().connectionOpened(info(remote()));
      }
      open = readSome();
    } catch (IOException e) {
      // Reset or our own close: the connection is over.
      LOG.log(System.Logger.Level.DEBUG, "{0}: {1}", id, e.toString());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, id + ": closing after an unexpected error", e);
    }
    boolean end;
    synchronized (this) {
      turnRunning = false;
      end = !open || transportClosed;
      if (end) {
        if (ended) {
          return;
        }
        ended = true;
      }
    }
    if (end) {
      end();
    } else {
      // The last thing a turn does: once the selector may see the socket again, the next turn
      // can start on another thread.
      loop.interest(key, SelectionKey.OP_READ);
    }
  }

  /** Reads and handles what has arrived; false once the connection is over. */
  private boolean readSome() throws IOException {
    ByteBuffer buffer = bridge.takeReadBuffer();
    try {
      int total = 0;
      while (!stopReading) {
        buffer.clear();
        int n = channel.read(buffer);
        if (n < 0) {
          return false;
        }
        if (n == 0) {
          return true;
        }
        boolean more =
            webSocket == null && protocol == Protocol.WS
                ? handshake(buffer.array(), n)
                : consume(buffer.array(), 0, n);
        if (!more) {
          return false;
        }
        total += n;
        if (total >= MAX_TURN_BYTES) {
          return true; // give other virtual threads the carrier; the selector calls again at once
        }
      }
      return false;
    } finally {
      bridge.giveReadBuffer(buffer);
    }
  }

  /**
   * Collects the WebSocket opening handshake across reads and answers it; false when refused (the
   * refusal is written, the connection then closes without reaching the engine).
   */
  private boolean handshake(byte[] bytes, int n) throws IOException {
    int room = WebSocketHandshake.MAX_REQUEST_BYTES - requestLength;
    int take = Math.min(n, room);
    if (request == null) {
      request = new byte[Math.min(Math.max(take, 512), WebSocketHandshake.MAX_REQUEST_BYTES)];
    } else if (request.length - requestLength < take) {
      request =
          Arrays.copyOf(
              request,
              Math.min(
                  Math.max(request.length * 2, requestLength + take),
                  WebSocketHandshake.MAX_REQUEST_BYTES));
    }
    System.arraycopy(bytes, 0, request, requestLength, take);
    requestLength += take;
    WebSocketHandshake.Outcome outcome = WebSocketHandshake.parse(request, requestLength);
    if (outcome == null) {
      return true;
    }
    request = null; // the handshake buffer is not kept for the connection's life
    switch (outcome) {
      case WebSocketHandshake.Refused refused -> {
        writeDirect(refused.response());
        LOG.log(System.Logger.Level.DEBUG, "{0}: HTTP {1}", id, refused.status());
        return false;
      }
      case WebSocketHandshake.Accepted accepted -> {
        if (!writeDirect(accepted.response())) {
          return false;
        }
        webSocket = new WebSocketDecoder();
        opened = true;
        bridge.inbound().connectionOpened(info(remote()));
        byte[] leftover = accepted.leftover(); // frames the client sent right after its request
        return leftover.length == 0 || consume(leftover, 0, leftover.length);
      }
    }
  }

  /**
   * Writes a handshake answer straight to the socket: nothing else writes before the handshake is
   * decided, and a fresh socket's send buffer holds a few hundred bytes. False if it did not.
   */
  private boolean writeDirect(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    channel.write(b);
    return !b.hasRemaining();
  }

  private InetSocketAddress remote() throws IOException {
    return (InetSocketAddress) channel.getRemoteAddress();
  }

  @Override
  void startWriter() {
    bridge.startVirtualThread(this::writeLoop);
  }

  private void writeLoop() {
    try {
      while (true) {
        Chunk chunk = pending;
        if (chunk == null) {
          chunk = nextWrite();
          if (chunk == null) {
            return;
          }
        }
        channel.write(chunk.bytes());
        if (chunk.bytes().hasRemaining()) {
          // The socket is full: the selector restarts the writer when it can take more. Until
          // then `writing` stays set, so no other writer starts.
          pending = chunk;
          loop.interest(key, SelectionKey.OP_WRITE);
          return;
        }
        pending = null;
        written(chunk);
        if (chunk.thenClose()) {
          closeTransport(true);
          return;
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "{0}: write failed: {1}", id, e.toString());
      abort();
    }
  }

  @Override
  void closeTransport() {
    closeTransport(false);
  }

  /**
   * @param linger the last bytes were written (a requested close): send FIN now and close the
   *     socket only after the close grace. Closing a socket that still has unread input makes TCP
   *     send RST, and a peer that gets RST discards what it has not read yet: the DISCONNECT (e.g.
   *     0x96 to a flooding client, whose packets are still arriving) or the refusing CONNACK that
   *     says why would be lost and the client would see only a reset.
   */
  private void closeTransport(boolean linger) {
    boolean endNow;
    ScheduledFuture<?> timer;
    synchronized (this) {
      if (transportClosed) {
        return;
      }
      transportClosed = true;
      endNow = !turnRunning && !ended;
      if (endNow) {
        ended = true;
      }
      timer = connectTimer;
      connectTimer = null;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    boolean closeNow = true;
    if (linger) {
      try {
        channel.shutdownOutput();
        bridge.schedule(this::closeChannel, bridge.config().closeGrace());
        closeNow = false;
      } catch (IOException e) {
        // reset already: nothing to wait for
      }
    }
    if (closeNow) {
      closeChannel();
    }
    if (endNow) {
      // No turn is running to notice: report the end from a thread of its own (the engine may
      // block, and this may be the selector's or a timer's thread).
      bridge.startVirtualThread(this::end);
    }
  }

  private void closeChannel() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Already closed or reset: nothing left to release.
    }
    loop.wakeup(); // the selector releases the key and the file descriptor at its next select
  }

  /** Runs once: flushes and closes if nobody asked yet, then tells the engine. */
  private void end() {
    close();
    bridge.removed(this);
    if (opened) {
      bridge.inbound().connectionLost(id);
    }
  }
}
