package dev.stratus.local;

import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * MQTT over a plain socket, byte by byte: what a hostile or buggy client sends, and what the server
 * answers (decoded with shared-codec), or that it closed the connection.
 */
final class RawMqtt implements AutoCloseable {
  /** The server closed the connection (end of stream or reset). */
  record Closed() {}

  final Socket socket;
  final MqttVersion version;
  private final InputStream in;
  private final OutputStream out;
  private final Framer framer = new Framer(1 << 20);
  private ByteBuffer pending = ByteBuffer.allocate(0);

  RawMqtt(int port, MqttVersion version) throws IOException {
    this.socket = new Socket("127.0.0.1", port);
    this.socket.setSoTimeout(20_000);
    this.version = version;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  void send(Packet p) throws IOException {
    sendBytes(PacketEncoder.encode(p, version));
  }

  void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next packet, or {@link Closed}; an AssertionError when nothing comes within 20 s. */
  Object next() throws IOException {
    while (true) {
      if (pending.hasRemaining()) {
        try {
          FrameResult r = framer.next(pending);
          if (r instanceof FrameResult.Frame f) {
            return PacketDecoder.decode(f.packet(), version);
          }
        } catch (MqttDecodeException e) {
          throw new AssertionError("the server sent a malformed packet", e);
        }
      }
      byte[] buf = new byte[8192];
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        throw new AssertionError("nothing received within 20 s");
      } catch (IOException e) {
        return new Closed(); // reset by the server
      }
      if (n < 0) {
        return new Closed();
      }
      // the framer keeps the start of a packet split across reads itself
      pending = ByteBuffer.wrap(buf, 0, n);
    }
  }

  <T> T expect(Class<T> type) throws IOException {
    Object o = next();
    if (!type.isInstance(o)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + o);
    }
    return type.cast(o);
  }

  /** Reads until the server closes, skipping packets; fails if it does not within 20 s. */
  void expectClosed() throws IOException {
    while (!(next() instanceof Closed)) {
      // packets before the close (e.g. a DISCONNECT) are checked by the caller when they matter
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
