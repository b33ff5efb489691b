package dev.stratus.bridge;

import dev.stratus.codec.Connect;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;

/**
 * One client socket: a reader on its own virtual thread, and an outbound queue drained by a
 * short-lived virtual thread that exists only while there is something to write.
 *
 * <p><b>Reading.</b> The reader blocks in {@code read} (a parked virtual thread costs a small heap
 * object, not an OS thread), feeds the bytes through the WebSocket decoder if any, then the MQTT
 * {@link Framer}, decodes each whole packet and hands it to the engine. Every engine call for this
 * connection therefore comes from this one thread, in order, as {@code Inbound} requires. The read
 * buffer starts at 512 bytes and doubles while reads fill it (up to 64 KiB), shrinking back after a
 * run of small reads, so an idle connection holds half a kilobyte and a busy one reads in large
 * chunks.
 *
 * <p><b>Writing.</b> {@link #send} only appends to a queue under this object's monitor; it never
 * touches the socket, so a slow client cannot block the engine or other clients. When the queue
 * goes from empty to non-empty a writer virtual thread starts; it gathers everything queued (up to
 * 64 KiB) into one socket write, repeats until the queue is empty, and ends. Policy when a client
 * does not read (see docs/bridge.md):
 *
 * <ul>
 *   <li>above the soft limit of queued bytes, QoS 0 PUBLISH packets are dropped and counted (QoS 0
 *       is "at most once", so dropping is a permitted outcome);
 *   <li>a packet that would take the queue above the hard limit closes the connection at once; the
 *       engine learns it through {@code connectionLost} and keeps QoS 1/2 state for the session.
 * </ul>
 */
final class Connection implements WebSocketDecoder.Handler {
  private static final System.Logger LOG = System.getLogger(Connection.class.getName());

  private static final int MIN_READ_BUFFER = 512;
  private static final int MAX_READ_BUFFER = 64 * 1024;
  private static final int SMALL_READS_BEFORE_SHRINK = 8;
  private static final int MAX_WRITE_BATCH = 64 * 1024;

  final ConnectionId id;
  private final Bridge bridge;
  private final Protocol protocol;
  // The TCP socket; for TLS the SSLSocket layered on it is `socket`, this one is closed to abort.
  private final Socket raw;
  private final Socket socket;
  private final Framer framer;

  // Reader state (reader thread only, except `version`, read by the drain on shutdown).
  private WebSocketDecoder webSocket;
  private volatile MqttVersion version;
  private volatile boolean stopReading;

  // Outbound state, guarded by `this`.
  private ArrayDeque<byte[]> queue;
  private int queuedBytes;
  private boolean writing;
  private boolean closeRequested;
  private boolean connAckSent;
  private byte[] pongPayload;
  private int webSocketCloseCode = WebSocketDecoder.CLOSE_NORMAL;

  Connection(ConnectionId id, Bridge bridge, Protocol protocol, Socket raw, Socket socket) {
    this.id = id;
    this.bridge = bridge;
    this.protocol = protocol;
    this.raw = raw;
    this.socket = socket;
    this.framer = new Framer(bridge.config().maximumPacketSize());
  }

  /** The reader: handshakes, then reads until the socket closes. Runs on its own virtual thread. */
  void run() {
    boolean opened = false;
    try {
      raw.setTcpNoDelay(true);
      // Until CONNECT arrives the client gets a bounded time: "if the Server does not receive a
      // CONNECT packet within a reasonable amount of time ... the Server SHOULD close the Network
      // Connection" (MQTT 3.1.1 and 5.0, §3.1.4).
      raw.setSoTimeout((int) bridge.config().connectTimeout().toMillis());
      if (socket instanceof SSLSocket ssl) {
        ssl.startHandshake();
      }
      InputStream in = socket.getInputStream();
      byte[] leftover = null;
      if (protocol == Protocol.WS) {
        WebSocketHandshake.Outcome outcome = WebSocketHandshake.read(in);
        switch (outcome) {
          case null -> {
            return;
          }
          case WebSocketHandshake.Refused refused -> {
            // Nothing else writes to this socket yet, so the reader may answer directly.
            socket.getOutputStream().write(refused.response());
            LOG.log(System.Logger.Level.DEBUG, "{0}: HTTP {1}", id, refused.status());
            return;
          }
          case WebSocketHandshake.Accepted accepted -> {
            socket.getOutputStream().write(accepted.response());
            webSocket = new WebSocketDecoder();
            leftover = accepted.leftover();
          }
        }
      }
      bridge.inbound().connectionOpened(info());
      opened = true;
      if (leftover != null && leftover.length > 0 && !consume(leftover, leftover.length)) {
        return;
      }
      readLoop(in);
    } catch (IOException e) {
      // Reset, timeout, TLS failure or our own close: all mean the connection is over.
      LOG.log(System.Logger.Level.DEBUG, "{0}: {1}", id, e.toString());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, id + ": closing after an unexpected error", e);
    } finally {
      close();
      bridge.removed(this);
      if (opened) {
        bridge.inbound().connectionLost(id);
      }
    }
  }

  private ConnectionInfo info() {
    String remote =
        raw.getInetAddress() == null
            ? "unknown"
            : raw.getInetAddress().getHostAddress() + ":" + raw.getPort();
    return new ConnectionInfo(id, bridge.config().edgeId() + "/" + protocol.label(), remote, null);
  }

  private void readLoop(InputStream in) throws IOException {
    byte[] buffer = new byte[MIN_READ_BUFFER];
    int smallReads = 0;
    while (!stopReading) {
      int n = in.read(buffer);
      if (n < 0 || !consume(buffer, n)) {
        return;
      }
      if (n == buffer.length) {
        smallReads = 0;
        if (buffer.length < MAX_READ_BUFFER) {
          buffer = new byte[buffer.length * 2];
        }
      } else if (buffer.length > MIN_READ_BUFFER
          && n <= buffer.length / 4
          && ++smallReads >= SMALL_READS_BEFORE_SHRINK) {
        smallReads = 0;
        buffer = new byte[buffer.length / 2];
      }
    }
  }

  private boolean consume(byte[] bytes, int length) {
    if (webSocket != null) {
      return webSocket.decode(bytes, 0, length, this);
    }
    return feed(ByteBuffer.wrap(bytes, 0, length));
  }

  /** Frames, decodes and delivers the MQTT bytes in {@code bytes}; false once reading must stop. */
  private boolean feed(ByteBuffer bytes) {
    try {
      while (!stopReading) {
        switch (framer.next(bytes)) {
          case FrameResult.Frame frame -> deliver(PacketDecoder.decode(frame.packet(), version));
          case FrameResult.NeedMoreBytes more -> {
            return true;
          }
        }
      }
      return false;
    } catch (MqttDecodeException e) {
      // The engine answers (v5 DISCONNECT with the reason, or a plain close) and closes; nothing
      // after a bad packet is read [MQTT-4.13.1-1].
      stopReading = true;
      bridge.inbound().decodeFailed(id, e);
      return false;
    }
  }

  private void deliver(Packet packet) {
    if (version == null && packet instanceof Connect connect) {
      version = connect.version();
      try {
        raw.setSoTimeout(0); // from here on the engine enforces the keepalive
      } catch (IOException e) {
        stopReading = true;
        return;
      }
    }
    bridge.inbound().packetReceived(id, packet);
  }

  @Override
  public boolean binary(ByteBuffer payload) {
    return feed(payload);
  }

  @Override
  public void ping(byte[] payload) {
    synchronized (this) {
      if (closeRequested) {
        return;
      }
      pongPayload = payload; // only the latest ping needs an answer (RFC 6455 §5.5.3)
    }
    startWriterIfIdle();
  }

  @Override
  public void close(int code, String reason) {
    LOG.log(System.Logger.Level.DEBUG, "{0}: WebSocket close {1}: {2}", id, code, reason);
    stopReading = true;
    synchronized (this) {
      // Echo the peer's code; 1005 means "none" and must not be sent on the wire (§7.4.1).
      webSocketCloseCode = code == WebSocketDecoder.CLOSE_NO_STATUS ? 1000 : code;
    }
    close();
  }

  /**
   * Queues one encoded packet. Never blocks: see the class comment for what happens when the client
   * does not keep up.
   */
  void send(byte[] packet) {
    boolean overflow = false;
    synchronized (this) {
      if (closeRequested) {
        return;
      }
      if ((packet[0] & 0xF0) == 0x20) {
        connAckSent = true;
      }
      long total = (long) queuedBytes + packet.length;
      if (queuedBytes > 0 && total > bridge.config().outboundHardLimit()) {
        overflow = true;
        closeRequested = true;
      } else if (total > bridge.config().outboundSoftLimit() && isQos0Publish(packet)) {
        bridge.countDroppedQos0();
        return;
      } else {
        if (queue == null) {
          queue = new ArrayDeque<>(8);
        }
        queue.add(packet);
        queuedBytes = (int) total;
      }
    }
    if (overflow) {
      bridge.countSlowConsumerClosed();
      LOG.log(System.Logger.Level.INFO, "{0}: outbound buffer over the hard limit, closing", id);
      abort();
      return;
    }
    startWriterIfIdle();
  }

  /** PUBLISH with QoS bits 00 in the fixed header [MQTT-2.1.3-1]. */
  private static boolean isQos0Publish(byte[] packet) {
    return (packet[0] & 0xF6) == 0x30;
  }

  /** Closes once everything queued so far is written, or after the grace period at the latest. */
  void close() {
    synchronized (this) {
      if (closeRequested) {
        return;
      }
      closeRequested = true;
    }
    stopReading = true;
    bridge.schedule(this::abort, bridge.config().closeGrace());
    startWriterIfIdle();
  }

  /**
   * For a draining shutdown: a v5 client that has its CONNACK gets DISCONNECT 0x8B (Server shutting
   * down), but only after its CONNACK [MQTT-3.14.0-1]; then the connection closes.
   */
  void shutdown(byte[] v5Disconnect) {
    boolean tell;
    synchronized (this) {
      tell = version == MqttVersion.V5 && connAckSent && !closeRequested;
    }
    if (tell) {
      send(v5Disconnect);
    }
    close();
  }

  /** Closes the TCP socket now, unblocking the reader and any writer. */
  void abort() {
    synchronized (this) {
      closeRequested = true;
      queue = null;
    }
    stopReading = true;
    try {
      raw.close();
    } catch (IOException ignored) {
      // Already closed or reset: nothing left to release.
    }
  }

  private void startWriterIfIdle() {
    synchronized (this) {
      if (writing) {
        return;
      }
      writing = true;
    }
    bridge.startVirtualThread(this::writeLoop);
  }

  private void writeLoop() {
    List<byte[]> batch = new ArrayList<>();
    byte[] scratch = null;
    try {
      OutputStream out = socket.getOutputStream();
      while (true) {
        byte[] pong;
        int batchBytes = 0;
        boolean closeNow = false;
        int closeCode;
        synchronized (this) {
          pong = pongPayload;
          pongPayload = null;
          closeCode = webSocketCloseCode;
          if (queue != null) {
            while (!queue.isEmpty()
                && (batch.isEmpty() || batchBytes + queue.peek().length <= MAX_WRITE_BATCH)) {
              byte[] p = queue.poll();
              batch.add(p);
              batchBytes += p.length;
            }
          }
          if (batch.isEmpty() && pong == null) {
            if (!closeRequested) {
              writing = false;
              queue = null; // an idle connection keeps no queue
              return;
            }
            closeNow = true;
          }
        }
        if (pong != null) {
          out.write(WebSocketFrames.frame(WebSocketFrames.OP_PONG, pong));
        }
        if (!batch.isEmpty()) {
          scratch = writeBatch(out, batch, batchBytes, scratch);
          batch.clear();
          synchronized (this) {
            queuedBytes -= batchBytes;
          }
        }
        if (closeNow) {
          if (webSocket != null) {
            out.write(WebSocketFrames.close(closeCode));
          }
          raw.close();
          return;
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "{0}: write failed: {1}", id, e.toString());
      abort();
    }
  }

  /** One socket write for the whole batch; returns the scratch buffer for reuse. */
  private byte[] writeBatch(OutputStream out, List<byte[]> batch, int bytes, byte[] scratch)
      throws IOException {
    int header = webSocket == null ? 0 : WebSocketFrames.headerLength(bytes);
    if (header == 0 && batch.size() == 1) {
      out.write(batch.get(0));
      return scratch;
    }
    int total = header + bytes;
    if (scratch == null || scratch.length < total) {
      scratch = new byte[total];
    }
    int at = 0;
    if (header > 0) {
      // Several MQTT packets share one binary frame [MQTT-6.0.0-3].
      at = WebSocketFrames.writeHeader(scratch, WebSocketFrames.OP_BINARY, bytes);
    }
    for (byte[] p : batch) {
      System.arraycopy(p, 0, scratch, at, p.length);
      at += p.length;
    }
    out.write(scratch, 0, total);
    return scratch;
  }
}
