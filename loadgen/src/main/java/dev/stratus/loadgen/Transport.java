package dev.stratus.loadgen;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A byte stream to the broker: plain TCP or MQTT over a WebSocket. Reads are done by one thread;
 * writes may come from two (a publisher and its acknowledgement reader), so they are serialized.
 */
public interface Transport extends Closeable {

  /** Connection and handshake timeout: a broker that does not answer within it is reported dead. */
  int CONNECT_TIMEOUT_MILLIS = 10_000;

  /**
   * Opens a connection to {@code url}. {@code readBufferBytes} sizes the WebSocket transport's
   * frame-header buffer: small for the idle scenario (thousands of connections), large for load.
   */
  static Transport open(BrokerUrl url, int readBufferBytes) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(url.host(), url.port()), CONNECT_TIMEOUT_MILLIS);
      socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
      return switch (url.kind()) {
        case TCP -> new TcpTransport(socket);
        case WS -> WebSocketTransport.handshake(socket, url, readBufferBytes);
      };
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Reads at least one byte into {@code buffer[offset..offset+length)}, blocking; returns the count
   * or -1 at the end of the stream.
   */
  int read(byte[] buffer, int offset, int length) throws IOException;

  /** Writes all the bytes, blocking while the broker does not read. */
  void write(byte[] buffer, int offset, int length) throws IOException;

  /** 0 blocks reads forever (the load phases, ended by {@link #close()} from another thread). */
  void readTimeoutMillis(int millis) throws IOException;
}
