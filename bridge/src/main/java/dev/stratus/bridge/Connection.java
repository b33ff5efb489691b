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
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * What every client connection shares, whatever does its I/O: turning received bytes into engine
 * calls, and the bounded outbound queue with its policy. {@link ChannelConnection} (TCP and
 * WebSocket: non-blocking sockets watched by the bridge's selectors) and {@link SocketConnection}
 * (TLS: a blocking socket read by its own virtual thread) supply the socket side.
 *
 * <p><b>Reading.</b> The subclass hands received bytes to {@link #consume}, always from one thread
 * at a time and in order: they go through the WebSocket decoder if any, then the MQTT {@link
 * Framer}, and each whole packet is decoded and handed to the engine. So all {@code Inbound} calls
 * for one connection are serial, as the engine requires.
 *
 * <p><b>Writing.</b> {@link #send} only appends to a queue under this object's monitor; it never
 * touches the socket, so a slow client cannot block the engine or other clients. When the queue
 * goes from empty to non-empty the subclass is asked to {@link #startWriter}; the writer takes
 * {@link #nextWrite} chunks (everything queued, up to 64 KiB, as one buffer: one socket write, one
 * WebSocket frame) until there is nothing left. Policy when a client does not read (see
 * docs/bridge.md):
 *
 * <ul>
 *   <li>above the soft limit of queued bytes, QoS 0 PUBLISH packets are dropped and counted (QoS 0
 *       is "at most once", so dropping is a permitted outcome);
 *   <li>a packet that would take the queue above the hard limit closes the connection at once; the
 *       engine learns it through {@code connectionLost} and keeps QoS 1/2 state for the session.
 * </ul>
 */
abstract class Connection implements WebSocketDecoder.Handler {
  private static final System.Logger LOG = System.getLogger(Connection.class.getName());

  static final int MAX_WRITE_BATCH = 64 * 1024;

  final ConnectionId id;
  final Bridge bridge;
  final Protocol protocol;
  private final Framer framer;

  // For the internal endpoint's GET /@connections/{id} (API Gateway's ConnectedAt, SourceIp,
  // LastActiveAt): written once, and on every read turn (a plain volatile store, no allocation).
  final long connectedAtMillis = System.currentTimeMillis();
  private volatile String sourceIp = "unknown";
  private volatile long lastActiveMillis = connectedAtMillis;

  // Reader state: touched by one reading thread at a time, except `version` (read by the drain)
  // and `stopReading` (set by closes from any thread).
  WebSocketDecoder webSocket;
  private volatile MqttVersion version;
  volatile boolean stopReading;

  // Outbound state, guarded by `this`.
  private ArrayDeque<byte[]> queue;
  private int queuedBytes;
  private boolean writing;
  boolean closeRequested;
  private boolean connAckSent;
  private byte[] pongPayload;
  private int webSocketCloseCode = WebSocketDecoder.CLOSE_NORMAL;

  Connection(ConnectionId id, Bridge bridge, Protocol protocol) {
    this.id = id;
    this.bridge = bridge;
    this.protocol = protocol;
    this.framer = new Framer(bridge.config().maximumPacketSize());
  }

  /** Starts a writer that drains {@link #nextWrite}; called once per idle → busy transition. */
  abstract void startWriter();

  /** Closes the socket now, unblocking or ending whatever reads and writes it. Idempotent. */
  abstract void closeTransport();

  /** The first CONNECT arrived: from here on the engine enforces the keepalive. */
  abstract void connectReceived();

  ConnectionInfo info(InetSocketAddress remote) {
    return info(remote, null);
  }

  /**
   * @param certificateSubject the user name mapped from the client's verified TLS certificate, or
   *     null
   */
  ConnectionInfo info(InetSocketAddress remote, String certificateSubject) {
    String peer =
        remote == null ? "unknown" : remote.getAddress().getHostAddress() + ":" + remote.getPort();
    if (remote != null) {
      sourceIp = remote.getAddress().getHostAddress();
    }
    return new ConnectionInfo(
        id, bridge.config().edgeId() + "/" + protocol.label(), peer, certificateSubject);
  }

  MqttVersion version() {
    return version;
  }

  String sourceIp() {
    return sourceIp;
  }

  long lastActiveMillis() {
    return lastActiveMillis;
  }

  /** Decodes received bytes and hands the packets to the engine; false once reading must stop. */
  boolean consume(byte[] bytes, int offset, int length) {
    lastActiveMillis = System.currentTimeMillis();
    if (webSocket != null) {
      return webSocket.decode(bytes, offset, length, this);
    }
    return feed(ByteBuffer.wrap(bytes, offset, length));
  }

  /** Frames, decodes and delivers the MQTT bytes in {@code bytes}; false once reading must stop. */
  private boolean feed(ByteBuffer bytes) {
    try {
      while (!stopReading) {
        switch (framer.next(bytes)) {
          case FrameResult.Frame frame ->
              // A frame the framer assembled across reads is ours alone: its payload need not be
              // copied. One inside the pooled read buffer must be, since the buffer is reused.
              deliver(
                  frame.owned()
                      ? PacketDecoder.decodeOwned(frame.packet(), version)
                      : PacketDecoder.decode(frame.packet(), version));
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
      connectReceived();
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

  /** Drops what is queued and closes the socket now. */
  void abort() {
    synchronized (this) {
      closeRequested = true;
      queue = null;
    }
    stopReading = true;
    closeTransport();
  }

  private void startWriterIfIdle() {
    synchronized (this) {
      if (writing) {
        return;
      }
      writing = true;
    }
    startWriter();
  }

  /**
   * One write's worth of bytes for the wire.
   *
   * @param bytes the bytes, ready to write
   * @param queueBytes how many queued packet bytes they carry; give them to {@link #written} once
   *     every byte is on the socket
   * @param thenClose close the socket once they are written: a requested close has flushed
   */
  record Chunk(ByteBuffer bytes, int queueBytes, boolean thenClose) {}

  /**
   * The next chunk to write, or null when there is nothing left: the writer must then end, and the
   * next {@link #send} starts a new one. The queue is released when it empties, so an idle
   * connection holds no queue and no buffer.
   */
  Chunk nextWrite() {
    ArrayDeque<byte[]> batch = null;
    int batchBytes = 0;
    byte[] pong;
    boolean closeNow = false;
    int closeCode;
    synchronized (this) {
      pong = pongPayload;
      pongPayload = null;
      closeCode = webSocketCloseCode;
      if (queue != null && !queue.isEmpty()) {
        if (queue.size() == 1 || queuedBytes <= MAX_WRITE_BATCH) {
          // Everything queued fits one write: take the whole queue, no copying of references.
          batch = queue;
          batchBytes = queuedBytes;
          queue = null;
        } else {
          batch = new ArrayDeque<>();
          while (!queue.isEmpty()
              && (batch.isEmpty() || batchBytes + queue.peek().length <= MAX_WRITE_BATCH)) {
            byte[] p = queue.poll();
            batch.add(p);
            batchBytes += p.length;
          }
        }
      }
      if (batch == null && pong == null) {
        if (!closeRequested) {
          writing = false;
          queue = null; // an idle connection keeps no queue
          return null;
        }
        closeNow = true;
      }
    }
    byte[] pongFrame = pong == null ? null : WebSocketFrames.frame(WebSocketFrames.OP_PONG, pong);
    byte[] closeFrame = closeNow && webSocket != null ? WebSocketFrames.close(closeCode) : null;
    int header = batch == null || webSocket == null ? 0 : WebSocketFrames.headerLength(batchBytes);
    if (batch != null && batch.size() == 1 && header == 0 && pongFrame == null) {
      return new Chunk(ByteBuffer.wrap(batch.peek()), batchBytes, false);
    }
    int total =
        (pongFrame == null ? 0 : pongFrame.length)
            + header
            + batchBytes
            + (closeFrame == null ? 0 : closeFrame.length);
    byte[] out = new byte[total];
    int at = 0;
    if (pongFrame != null) {
      System.arraycopy(pongFrame, 0, out, 0, pongFrame.length);
      at = pongFrame.length;
    }
    if (header > 0) {
      // Several MQTT packets share one binary frame [MQTT-6.0.0-3].
      at += WebSocketFrames.writeHeader(out, at, WebSocketFrames.OP_BINARY, batchBytes);
    }
    if (batch != null) {
      for (byte[] p : batch) {
        System.arraycopy(p, 0, out, at, p.length);
        at += p.length;
      }
    }
    if (closeFrame != null) {
      System.arraycopy(closeFrame, 0, out, at, closeFrame.length);
    }
    return new Chunk(ByteBuffer.wrap(out), batchBytes, closeNow);
  }

  /** The chunk's packets are on the socket: they no longer count against the limits. */
  synchronized void written(Chunk chunk) {
    queuedBytes -= chunk.queueBytes();
  }
}
