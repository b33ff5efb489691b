package dev.stratus.loadgen;

import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.PacketType;
import dev.stratus.codec.PingReq;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicSubscription;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One MQTT client connection of the load generator: the setup handshakes (CONNECT, SUBSCRIBE) are
 * fully decoded and checked; the load phases read with {@link #pump}, which hands over raw frames
 * so that counting a PUBLISH costs one byte read, not a decode.
 */
final class MqttConnection implements Closeable {
  /** The largest packet MQTT can express (remaining length 268,435,455 plus a 5 byte header). */
  private static final int MAXIMUM_PACKET_SIZE = 268_435_460;

  /** The receive maximum a v5 broker assumes when CONNACK does not say (MQTT 5.0 §3.2.2.3.3). */
  private static final int DEFAULT_RECEIVE_MAXIMUM = 65_535;

  private final Transport transport;
  private final MqttVersion version;
  private final Framer framer = new Framer(MAXIMUM_PACKET_SIZE);
  private final ByteBuffer input;
  private int brokerReceiveMaximum = DEFAULT_RECEIVE_MAXIMUM;

  /** Called for each whole packet read during a load phase. */
  interface FrameHandler {
    /** {@code packet} holds one whole packet, fixed header first; valid during the call only. */
    void frame(ByteBuffer packet) throws IOException;

    /** Called after the frames of one read were handled: the moment to flush batched replies. */
    default void afterRead() throws IOException {}
  }

  private MqttConnection(Transport transport, MqttVersion version, int readBufferBytes) {
    this.transport = transport;
    this.version = version;
    this.input = ByteBuffer.allocate(readBufferBytes).limit(0);
  }

  /**
   * Connects with a clean session and waits for a successful CONNACK.
   *
   * @param keepAliveSeconds 0 turns keepalive off, so that idle connections stay open without pings
   *     [MQTT-3.1.2-23 / MQTT 5.0 §3.1.2.10]
   * @param readBufferBytes bytes read per system call: small for idle connections, large for load
   */
  static MqttConnection open(
      BrokerUrl url,
      MqttVersion version,
      String clientId,
      int keepAliveSeconds,
      int readBufferBytes)
      throws IOException {
    Transport transport = Transport.open(url, readBufferBytes);
    MqttConnection connection = new MqttConnection(transport, version, readBufferBytes);
    try {
      // v5: let the broker have as many QoS 1 deliveries in flight to us as it likes, so the
      // subscriber side never limits throughput (3.1.1 has no such knob).
      Properties properties =
          version.isV5()
              ? Properties.builder().receiveMaximum(DEFAULT_RECEIVE_MAXIMUM).build()
              : Properties.NONE;
      connection.send(
          new Connect(version, clientId, true, keepAliveSeconds, null, null, null, properties));
      Packet reply = connection.nextPacket();
      if (!(reply instanceof ConnAck connAck)) {
        throw new IOException("expected CONNACK, got " + reply.type());
      }
      if (connAck.reasonCode() != ReasonCode.SUCCESS) {
        throw new IOException("the broker refused the connection: " + connAck.reasonCode());
      }
      if (connAck.properties().receiveMaximum() != null) {
        connection.brokerReceiveMaximum = connAck.properties().receiveMaximum();
      }
      return connection;
    } catch (IOException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /** Subscribes to one filter and waits for a SUBACK granting exactly {@code qos}. */
  void subscribe(TopicFilter filter, QoS qos) throws IOException {
    send(new Subscribe(1, List.of(new TopicSubscription(filter, qos)), Properties.NONE));
    Packet reply = nextPacket();
    if (!(reply instanceof SubAck subAck) || subAck.packetId() != 1) {
      throw new IOException("expected SUBACK for packet id 1, got " + reply);
    }
    ReasonCode granted = subAck.reasonCodes().getFirst();
    if (granted != ReasonCode.granted(qos)) {
      throw new IOException("SUBSCRIBE " + filter + " at QoS " + qos.value() + ": " + granted);
    }
  }

  /** Sends PINGREQ and waits for PINGRESP: proof that the broker still serves this connection. */
  void ping() throws IOException {
    send(PingReq.INSTANCE);
    Packet reply = nextPacket();
    if (reply.type() != PacketType.PINGRESP) {
      throw new IOException("expected PINGRESP, got " + reply.type());
    }
  }

  /** QoS 1 PUBLISH packets the broker accepts unacknowledged from us (v5 receive maximum). */
  int brokerReceiveMaximum() {
    return brokerReceiveMaximum;
  }

  MqttVersion version() {
    return version;
  }

  /** Switches from the setup handshakes (bounded waits) to a load phase (reads block). */
  void blockingReads() throws IOException {
    transport.readTimeoutMillis(0);
  }

  void send(Packet packet) throws IOException {
    byte[] bytes = PacketEncoder.encode(packet, version);
    transport.write(bytes, 0, bytes.length);
  }

  /** Writes pre-encoded packets. */
  void write(byte[] bytes, int offset, int length) throws IOException {
    transport.write(bytes, offset, length);
  }

  /** Reads and decodes the next packet (setup phases only: it allocates). */
  Packet nextPacket() throws IOException {
    try {
      while (true) {
        FrameResult result = framer.next(input);
        if (result instanceof FrameResult.Frame frame) {
          return PacketDecoder.decode(frame.packet(), version);
        }
        refill();
      }
    } catch (MqttDecodeException e) {
      throw brokenBroker(e);
    }
  }

  /**
   * Reads until the stream ends or the connection is closed by another thread, handing every packet
   * to {@code handler}. Returns normally at the end of the stream.
   */
  void pump(FrameHandler handler) throws IOException {
    try {
      while (true) {
        FrameResult result;
        while ((result = framer.next(input)) instanceof FrameResult.Frame frame) {
          handler.frame(frame.packet());
        }
        handler.afterRead();
        if (!tryRefill()) {
          return;
        }
      }
    } catch (MqttDecodeException e) {
      throw brokenBroker(e);
    }
  }

  private void refill() throws IOException {
    if (!tryRefill()) {
      throw new EOFException("the broker closed the connection");
    }
  }

  /** Reads more bytes into the (used up) input buffer; false at the end of the stream. */
  private boolean tryRefill() throws IOException {
    // The framer consumed every byte of the input: it keeps a split packet's bytes itself.
    int n = transport.read(input.array(), 0, input.capacity());
    if (n < 0) {
      return false;
    }
    input.position(0).limit(n);
    return true;
  }

  /** The MQTT packet type of a whole packet (high nibble of its first byte). */
  static int packetType(ByteBuffer packet) {
    return (packet.get(packet.position()) & 0xFF) >>> 4;
  }

  /** The QoS bits of a PUBLISH packet's first byte. */
  static int publishQos(ByteBuffer packet) {
    return (packet.get(packet.position()) >>> 1) & 0x03;
  }

  /**
   * The packet id of a QoS 1 or 2 PUBLISH, read in place: it follows the fixed header and the topic
   * name [MQTT-3.3.2-1], in every version.
   */
  static int publishPacketId(ByteBuffer packet) {
    int i = packet.position() + 1;
    while ((packet.get(i++) & 0x80) != 0) {
      // skips the remaining length, a variable byte integer
    }
    int topicLength = ((packet.get(i) & 0xFF) << 8) | (packet.get(i + 1) & 0xFF);
    int id = i + 2 + topicLength;
    return ((packet.get(id) & 0xFF) << 8) | (packet.get(id + 1) & 0xFF);
  }

  /** Sends DISCONNECT (best effort) and closes. */
  void disconnect() {
    try {
      send(Disconnect.NORMAL);
    } catch (IOException | RuntimeException e) {
      // The connection may already be gone; closing is all that matters now.
    }
    close();
  }

  @Override
  public void close() {
    try {
      transport.close();
    } catch (IOException e) {
      // Nothing to do: the socket is released either way.
    }
  }

  /** A malformed packet from the broker under test: reported like a broken connection. */
  static IOException brokenBroker(MqttDecodeException e) {
    return new IOException("malformed packet from the broker: " + e.getMessage(), e);
  }
}
