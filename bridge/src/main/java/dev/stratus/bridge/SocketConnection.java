package dev.stratus.bridge;

import dev.stratus.core.ConnectionId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLSocket;

/**
 * A TLS connection on a blocking socket: a reader on its own virtual thread for the connection's
 * whole life, and a writer virtual thread that exists only while there is something to write.
 *
 * <p>TLS keeps this model because the JDK's {@code SSLSocket} does the record layer for us; moving
 * TLS to the selectors means driving an {@code SSLEngine} by hand (handshake states, buffer
 * overflow and underflow, renegotiation), which is not done yet. It costs an idle TLS client a
 * parked virtual thread (its stack chunk, about 1.6 KB) on top of what {@link ChannelConnection}
 * costs. A quiet connection holds no read buffer: it waits for one byte, then takes what else has
 * arrived. A busy one reads into a buffer that starts at 512 bytes and doubles while reads fill it
 * (up to 32 KiB), shrinking after a run of small reads.
 */
final class SocketConnection extends Connection {
  private static final System.Logger LOG = System.getLogger(SocketConnection.class.getName());

  private static final int MIN_READ_BUFFER = 512;
  private static final int MAX_READ_BUFFER = 32 * 1024;
  private static final int BUSY_READ = 1024;
  private static final int QUIET_READ = 128;
  private static final int SMALL_READS_BEFORE_SHRINK = 8;

  // The TCP socket; for TLS the SSLSocket layered on it is `socket`, this one is closed to abort.
  private final Socket raw;
  private final Socket socket;

  SocketConnection(ConnectionId id, Bridge bridge, Protocol protocol, Socket raw, Socket socket) {
    super(id, bridge, protocol);
    this.raw = raw;
    this.socket = socket;
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
      String certificateUser = null;
      if (socket instanceof SSLSocket ssl) {
        // With --tls-client-auth required, a client without a certificate, or with one no
        // configured CA signed, fails here: it never reaches the engine.
        ssl.startHandshake();
        certificateUser = bridge.config().clientCertificates().userOf(ssl.getSession());
      }
      InputStream in = socket.getInputStream();
      bridge
          .inbound()
          .connectionOpened(
              info(
                  raw.getInetAddress() == null
                      ? null
                      : new InetSocketAddress(raw.getInetAddress(), raw.getPort()),
                  certificateUser));
      opened = true;
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

  private void readLoop(InputStream in) throws IOException {
    // Null while the connection is quiet: an idle client then costs no read buffer at all.
    byte[] buffer = null;
    int smallReads = 0;
    while (!stopReading) {
      int n;
      if (buffer == null) {
        // Quiet: wait for one byte, then take exactly what else has arrived. Three system calls
        // instead of one, paid only by connections that send little.
        int first = in.read();
        if (first < 0) {
          return;
        }
        int available = Math.min(in.available(), MAX_READ_BUFFER - 1);
        byte[] bytes = new byte[1 + available];
        bytes[0] = (byte) first;
        n = 1 + (available > 0 ? in.readNBytes(bytes, 1, available) : 0);
        if (!consume(bytes, 0, n)) {
          return;
        }
        if (n >= QUIET_READ) {
          buffer = new byte[MIN_READ_BUFFER]; // busy again: read in chunks
        }
        continue;
      }
      n = in.read(buffer, 0, buffer.length);
      if (n < 0 || !consume(buffer, 0, n)) {
        return;
      }
      if (n < QUIET_READ) {
        buffer = null;
        smallReads = 0;
      } else if (n == buffer.length) {
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
      if (n >= BUSY_READ) {
        // A big read means a busy client whose next read will likely not park. Virtual threads
        // are not preempted, and Thread.yield did not let a newly started writer run: without
        // this park, four flooding publishers on one core kept the subscriber's writer off the
        // carrier until they stopped, and every QoS 0 message above the soft limit was dropped.
        LockSupport.parkNanos(1);
      }
    }
  }

  @Override
  void connectReceived() {
    try {
      raw.setSoTimeout(0); // from here on the engine enforces the keepalive
    } catch (IOException e) {
      stopReading = true;
    }
  }

  @Override
  void startWriter() {
    bridge.startVirtualThread(this::writeLoop);
  }

  @Override
  void closeTransport() {
    try {
      raw.close();
    } catch (IOException ignored) {
      // Already closed or reset: nothing left to release.
    }
  }

  private void writeLoop() {
    try {
      OutputStream out = socket.getOutputStream();
      Chunk chunk;
      while ((chunk = nextWrite()) != null) {
        ByteBuffer bytes = chunk.bytes();
        out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        written(chunk);
        if (chunk.thenClose()) {
          closeTransport();
          return;
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "{0}: write failed: {1}", id, e.toString());
      abort();
    }
  }
}
