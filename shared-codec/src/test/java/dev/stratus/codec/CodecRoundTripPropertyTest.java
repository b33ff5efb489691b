package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code decode(encode(p)) == p} over generated valid packets of every type and version ({@link
 * PacketGenerators}), with {@code encodedSize} exact and the framer splitting a stream of encoded
 * packets in random chunks back into the same packets. Each property runs from a fixed seed (so a
 * CI run is reproducible) plus {@code -Dstratus.seed=N} when given; a failure names the seed and
 * the iteration.
 */
class CodecRoundTripPropertyTest {
  private static final int ITERATIONS = 20_000;

  static long seed(long fallback) {
    String s = System.getProperty("stratus.seed");
    return s == null || s.isBlank() ? fallback : Long.parseLong(s);
  }

  @Test
  void decodeOfEncodeIsIdentity() {
    long seed = seed(0x5EED_0001L);
    PacketGenerators gen = new PacketGenerators(seed);
    for (int i = 0; i < ITERATIONS; i++) {
      MqttVersion version = gen.version();
      Packet p = gen.packet(version);
      String where = "seed " + seed + ", iteration " + i + ", " + version + ": " + p;
      byte[] encoded;
      try {
        encoded = PacketEncoder.encode(p, version);
      } catch (RuntimeException e) {
        throw new AssertionError("encode threw for " + where, e);
      }
      assertEquals(encoded.length, PacketEncoder.encodedSize(p, version), "encodedSize, " + where);
      // The receiver's maximum packet size counts every byte, fixed header included.
      assertArrayEquals(encoded, PacketEncoder.encode(p, version, encoded.length), where);
      final byte[] size = encoded;
      assertThrows(
          PacketTooLargeException.class,
          () -> PacketEncoder.encode(p, version, size.length - 1),
          "one byte under the packet's size, " + where);
      MqttVersion decodeVersion = p instanceof Connect ? null : version;
      try {
        assertEquals(p, PacketDecoder.decode(ByteBuffer.wrap(encoded), decodeVersion), where);
        assertEquals(
            p,
            PacketDecoder.decodeOwned(ByteBuffer.wrap(encoded.clone()), decodeVersion),
            "zero-copy decode, " + where);
      } catch (MqttDecodeException e) {
        fail("a generated valid packet was rejected: " + e + "; " + where);
      }
    }
  }

  @Test
  void everyPacketTypeOfEveryVersionRoundTrips() {
    long seed = seed(0x5EED_0002L);
    PacketGenerators gen = new PacketGenerators(seed);
    for (MqttVersion version : MqttVersion.values()) {
      for (PacketType type : PacketType.values()) {
        if (type == PacketType.AUTH && !version.isV5()) {
          continue;
        }
        for (int i = 0; i < 500; i++) {
          Packet p = gen.packet(type, version);
          String where = "seed " + seed + ", " + type + " #" + i + ", " + version + ": " + p;
          try {
            Packet back =
                PacketDecoder.decode(
                    ByteBuffer.wrap(PacketEncoder.encode(p, version)),
                    type == PacketType.CONNECT ? null : version);
            assertEquals(p, back, where);
          } catch (MqttDecodeException e) {
            fail("a generated valid packet was rejected: " + e + "; " + where);
          }
        }
      }
    }
  }

  @Test
  void framerSplitsAStreamInRandomChunksIntoThePackets() throws MqttDecodeException {
    long seed = seed(0x5EED_0003L);
    PacketGenerators gen = new PacketGenerators(seed);
    Random random = gen.random();
    for (int round = 0; round < 300; round++) {
      MqttVersion version = random.nextBoolean() ? MqttVersion.V5 : MqttVersion.V3_1_1;
      List<Packet> sent = new ArrayList<>();
      ByteBuffer stream = ByteBuffer.allocate(1 << 20);
      int n = 1 + random.nextInt(20);
      for (int i = 0; i < n; i++) {
        Packet p;
        do {
          p = gen.packet(version);
        } while (p instanceof Connect);
        sent.add(p);
        stream.put(PacketEncoder.encode(p, version));
      }
      stream.flip();
      String where = "seed " + seed + ", round " + round;
      Framer framer = new Framer(1 << 20);
      List<Packet> received = new ArrayList<>();
      while (stream.hasRemaining()) {
        int chunk =
            Math.min(stream.remaining(), 1 + random.nextInt(random.nextBoolean() ? 8 : 600));
        ByteBuffer slice = stream.slice(stream.position(), chunk);
        stream.position(stream.position() + chunk);
        while (true) {
          FrameResult r = framer.next(slice);
          if (r instanceof FrameResult.Frame f) {
            received.add(PacketDecoder.decode(f.packet(), version));
          } else {
            assertInstanceOf(FrameResult.NeedMoreBytes.class, r, where);
            assertEquals(0, slice.remaining(), "NeedMoreBytes with input left, " + where);
            break;
          }
        }
      }
      assertEquals(sent, received, where);
      assertEquals(0, framer.buffered(), where);
    }
  }
}
