package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Jazzer fuzz target over {@link Framer} + {@link PacketDecoder}, with decode → encode → decode
 * stability for whatever decodes.
 *
 * <p>Input layout: the first byte picks the decoding version (low two bits: before CONNECT, 3.1,
 * 3.1.1, 5.0) and the framer's chunk size (high six bits + 1); the rest is the byte stream. Seeds
 * live in {@code src/test/resources/dev/stratus/codec/CodecFuzzTestInputs/fuzzCodec/} (one valid
 * conformance packet per packet type and version, behind such a prefix byte).
 *
 * <p>In a plain {@code mvn test} this runs in regression mode: once per seed, quickly. To fuzz for
 * a bounded time (at most {@code maxDuration}, 2 minutes; the generated corpus goes to {@code
 * shared-codec/.cifuzz-corpus/}, findings to the inputs directory above):
 *
 * <pre>
 * export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
 * JAZZER_FUZZ=1 mvn -pl shared-codec test -Dtest=CodecFuzzTest
 * </pre>
 *
 * On JDK 25 this fuzzes for real (about 45,000 executions a second on 2 cores, 2 GB resident);
 * Jazzer's bundled ASM cannot instrument JDK 25's own classes (class file version 69) and warns for
 * each, which only disables its sanitizer hooks inside the JDK: the codec, compiled for release 21,
 * is instrumented for coverage.
 *
 * <p>Fuzzing is switched on by the {@code JAZZER_FUZZ} environment variable only: Jazzer 0.24 does
 * not read a {@code jazzer.fuzz} system property.
 */
class CodecFuzzTest {
  private static final int MAX_PACKET = 64 * 1024;
  private static final MqttVersion[] VERSIONS = {
    null, MqttVersion.V3_1, MqttVersion.V3_1_1, MqttVersion.V5
  };

  @FuzzTest(maxDuration = "2m")
  void fuzzCodec(byte[] input) {
    if (input.length == 0) {
      return;
    }
    MqttVersion version = VERSIONS[input[0] & 0x03];
    int chunkSize = ((input[0] & 0xFF) >>> 2) + 1;
    ByteBuffer stream = ByteBuffer.wrap(input, 1, input.length - 1);
    Framer framer = new Framer(MAX_PACKET);
    try {
      while (stream.hasRemaining()) {
        int chunk = Math.min(chunkSize, stream.remaining());
        ByteBuffer slice = stream.slice(stream.position(), chunk);
        stream.position(stream.position() + chunk);
        while (framer.next(slice) instanceof FrameResult.Frame frame) {
          Packet packet = PacketDecoder.decode(frame.packet(), version);
          checkStable(packet, version);
        }
        assertTrue(framer.buffered() <= MAX_PACKET, "framer holds " + framer.buffered());
      }
    } catch (MqttDecodeException rejected) {
      // Rejecting bad input is the codec's job; any other exception fails the fuzz run.
    }
  }

  /** Whatever decodes must encode, and decode again to the same packet and the same bytes. */
  private static void checkStable(Packet packet, MqttVersion version) throws MqttDecodeException {
    MqttVersion encodeVersion = packet instanceof Connect c ? c.version() : version;
    byte[] encoded = PacketEncoder.encode(packet, encodeVersion);
    assertEquals(encoded.length, PacketEncoder.encodedSize(packet, encodeVersion));
    Packet again;
    try {
      again = PacketDecoder.decode(ByteBuffer.wrap(encoded), version);
    } catch (MqttDecodeException e) {
      throw new AssertionError("re-encoded packet rejected: " + e + " for " + packet, e);
    }
    assertEquals(packet, again);
    assertArrayEquals(encoded, PacketEncoder.encode(again, encodeVersion));
  }
}
