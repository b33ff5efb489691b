package dev.stratus.benchmarks;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * PUBLISH decode and encode, this codec against Netty's {@code netty-codec-mqtt}, on the same
 * bytes.
 *
 * <p>What each side does per operation, so the comparison is fair:
 *
 * <ul>
 *   <li>Stratus decode: frame the packet out of a buffer ({@link Framer}) and decode it with full
 *       validation into a {@link Publish} whose payload is copied into its own array (the input
 *       buffer may be reused at once, as a socket read buffer is).
 *   <li>Stratus owned decode: the same, with {@link PacketDecoder#decodeOwned}: the payload is a
 *       view of the packet's array, which the caller hands over and never changes (the bridge's
 *       frames that the framer assembles, the serverless edge's base64-decoded messages). This is
 *       the work Netty's decoder does: it slices the payload out of the input without copying.
 *   <li>Netty decode: hand the same bytes to {@link MqttDecoder} in an {@link EmbeddedChannel}, the
 *       way a Netty pipeline runs it (framing and decoding in one handler; the payload stays a
 *       retained slice of the input, no copy), then release the message.
 *   <li>Stratus encode: {@link PacketEncoder#encode} into an exactly sized array.
 *   <li>Netty encode: {@link MqttEncoder} in an {@link EmbeddedChannel} into a pooled {@link
 *       ByteBuf}, then release it.
 * </ul>
 *
 * Both sides decode MQTT 3.1.1 (Netty's default without a CONNECT on the channel).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class PublishCodecBenchmark {
  static final String TOPIC = "sensors/building-7/floor-3/room-12/temperature";

  @Param({"64", "4096"})
  public int payloadSize;

  @Param({"0", "1"})
  public int qos;

  private byte[] wire;
  private Publish stratusPublish;
  private Framer framer;

  private EmbeddedChannel nettyDecodeChannel;
  private EmbeddedChannel nettyEncodeChannel;
  private MqttPublishMessage nettyPublish;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] payload = new byte[payloadSize];
    new Random(42).nextBytes(payload);
    stratusPublish =
        new Publish(
            TopicName.of(TOPIC),
            QoS.of(qos),
            false,
            false,
            qos == 0 ? 0 : 4711,
            Bytes.wrap(payload),
            Properties.NONE);
    wire = PacketEncoder.encode(stratusPublish, MqttVersion.V3_1_1);
    framer = new Framer(1 << 20);

    nettyDecodeChannel = new EmbeddedChannel(new MqttDecoder(1 << 20));
    nettyEncodeChannel = new EmbeddedChannel(MqttEncoder.INSTANCE);
    MqttPublishMessage built =
        MqttMessageBuilders.publish()
            .topicName(TOPIC)
            .qos(qos == 0 ? MqttQoS.AT_MOST_ONCE : MqttQoS.AT_LEAST_ONCE)
            .messageId(qos == 0 ? 0 : 4711)
            .retained(false)
            .payload(Unpooled.wrappedBuffer(payload))
            .build();
    nettyPublish = built;
    checkSameBytes();
  }

  /** Both encoders must produce the bytes both decoders read, or the comparison means nothing. */
  private void checkSameBytes() {
    nettyEncodeChannel.writeOutbound(nettyPublish.retainedDuplicate());
    ByteBuf out = nettyEncodeChannel.readOutbound();
    byte[] nettyWire = new byte[out.readableBytes()];
    out.readBytes(nettyWire);
    out.release();
    if (!java.util.Arrays.equals(nettyWire, wire)) {
      throw new IllegalStateException("Netty and Stratus encode the benchmark PUBLISH differently");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    nettyDecodeChannel.finishAndReleaseAll();
    nettyEncodeChannel.finishAndReleaseAll();
    nettyPublish.release();
  }

  @Benchmark
  public Object stratusDecode() throws MqttDecodeException {
    FrameResult result = framer.next(ByteBuffer.wrap(wire));
    return PacketDecoder.decode(((FrameResult.Frame) result).packet(), MqttVersion.V3_1_1);
  }

  @Benchmark
  public Object stratusDecodeOwned() throws MqttDecodeException {
    FrameResult result = framer.next(ByteBuffer.wrap(wire));
    return PacketDecoder.decodeOwned(((FrameResult.Frame) result).packet(), MqttVersion.V3_1_1);
  }

  @Benchmark
  public void nettyDecode(Blackhole blackhole) {
    nettyDecodeChannel.writeInbound(Unpooled.wrappedBuffer(wire));
    MqttPublishMessage message = nettyDecodeChannel.readInbound();
    blackhole.consume(message.variableHeader().topicName());
    blackhole.consume(message.payload());
    message.release();
  }

  @Benchmark
  public byte[] stratusEncode() {
    return PacketEncoder.encode(stratusPublish, MqttVersion.V3_1_1);
  }

  @Benchmark
  public void nettyEncode(Blackhole blackhole) {
    nettyEncodeChannel.writeOutbound(nettyPublish.retainedDuplicate());
    ByteBuf out = nettyEncodeChannel.readOutbound();
    blackhole.consume(out);
    out.release();
  }
}
