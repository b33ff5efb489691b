package dev.stratus.local;

import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A text-profile MQTT client on the JDK's WebSocket (docs/text-profile.md): subprotocol {@code
 * mqtt-base64.stratus.dev}, each message the base64 of whole packets, with the sequence prefix
 * {@code <seq>:} unless told otherwise. Packets are encoded and decoded with shared-codec.
 */
final class TextClient implements AutoCloseable {
  static final String SUBPROTOCOL = "mqtt-base64.stratus.dev";

  final WebSocket ws;
  final MqttVersion version;
  private long seq;
  private final boolean sequenced;

  /** What the server sent that was not base64 of packets. */
  record Other(String text) {}

  private TextClient(WebSocket ws, MqttVersion version, boolean sequenced) {
    this.ws = ws;
    this.version = version;
    this.sequenced = sequenced;
  }

  static TextClient connect(URI uri, MqttVersion version) {
    return connect(uri, version, true);
  }

  static TextClient connect(URI uri, MqttVersion version, boolean sequenced) {
    LinkedBlockingQueue<Object> early = new LinkedBlockingQueue<>();
    CompletableFuture<Integer> closed = new CompletableFuture<>();
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              String message = text.toString();
              text.setLength(0);
              try {
                ByteBuffer in = ByteBuffer.wrap(Base64.getDecoder().decode(message));
                Framer framer = new Framer(1 << 20);
                while (in.hasRemaining()) {
                  if (!(framer.next(in) instanceof FrameResult.Frame f)) {
                    throw new IllegalStateException("a message ends inside a packet");
                  }
                  early.add(PacketDecoder.decode(f.packet(), version));
                }
              } catch (IllegalArgumentException | MqttDecodeException e) {
                early.add(new Other(message));
              }
            }
            w.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket w, int code, String reason) {
            closed.complete(code);
            return null;
          }

          @Override
          public void onError(WebSocket w, Throwable error) {
            closed.complete(1006);
          }
        };
    WebSocket ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .subprotocols(SUBPROTOCOL)
            .connectTimeout(Duration.ofSeconds(10))
            .buildAsync(uri, listener)
            .join();
    TextClient c = new TextClient(ws, version, sequenced);
    c.queue = early;
    c.closedFuture = closed;
    return c;
  }

  private LinkedBlockingQueue<Object> queue;
  private CompletableFuture<Integer> closedFuture;

  /** Sends the packets in one message. */
  synchronized void send(Packet... packets) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Packet p : packets) {
      out.writeBytes(PacketEncoder.encode(p, version));
    }
    String b64 = Base64.getEncoder().encodeToString(out.toByteArray());
    ws.sendText(sequenced ? (++seq) + ":" + b64 : b64, true).join();
  }

  /** The next packet (or {@link Other}) within 20 seconds. */
  Object next() throws InterruptedException {
    Object o = queue.poll(20, TimeUnit.SECONDS);
    if (o == null) {
      throw new AssertionError("nothing received within 20 s");
    }
    return o;
  }

  /** The next thing received, which must be a {@code type}. */
  <T> T expect(Class<T> type) throws InterruptedException {
    Object o = next();
    if (!type.isInstance(o)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + o);
    }
    return type.cast(o);
  }

  /** Polls without failing: null when nothing came within {@code d}. */
  Object poll(Duration d) throws InterruptedException {
    return queue.poll(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The close code the server sent (1006 for an abrupt end). */
  int closeCode() throws Exception {
    return closedFuture.get(20, TimeUnit.SECONDS);
  }

  /** Drops the TCP connection without a close frame: an abrupt end for the server. */
  void abort() {
    ws.abort();
  }

  @Override
  public void close() {
    ws.abort();
  }
}
