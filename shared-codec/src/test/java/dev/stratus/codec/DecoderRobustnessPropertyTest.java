package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: arbitrary bytes, and valid packets that are bit-flipped, overwritten, truncated,
 * extended or spliced, never make {@link Framer} + {@link PacketDecoder} throw anything but {@link
 * MqttDecodeException} [MQTT-4.13.1-1], never make the framer hold more than the maximum packet
 * size, and never make them allocate more than a small multiple of it, whatever lengths the bytes
 * claim. Seeds are fixed (override with {@code -Dstratus.seed=N}); failures print seed, iteration
 * and the input in hex.
 */
class DecoderRobustnessPropertyTest {
  private static final int MAX_PACKET = 4096;
  private static final int ITERATIONS = 50_000;
  private static final MqttVersion[] VERSIONS = {
    null, MqttVersion.V3_1, MqttVersion.V3_1_1, MqttVersion.V5
  };

  @Test
  void arbitraryBytesOnlyEverThrowTheDecodeException() {
    long seed = CodecRoundTripPropertyTest.seed(0xBAD_0001L);
    Random random = new Random(seed);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] input = new byte[random.nextInt(300)];
      random.nextBytes(input);
      if (input.length > 1 && random.nextBoolean()) {
        // Half the time a plausible remaining length, so the decoder sees frames, not just junk.
        input = withRemainingLength(input[0], slice(input, 1, input.length - 1));
      }
      survive(input, VERSIONS[random.nextInt(VERSIONS.length)], random, seed, i);
    }
  }

  @Test
  void mutatedValidPacketsOnlyEverThrowTheDecodeException() {
    long seed = CodecRoundTripPropertyTest.seed(0xBAD_0002L);
    PacketGenerators gen = new PacketGenerators(seed);
    Random random = gen.random();
    List<byte[]> valid = new ArrayList<>();
    List<MqttVersion> versions = new ArrayList<>();
    for (ConformanceCase c : ConformanceCases.all()) {
      valid.add(c.bytes().toArray());
      versions.add(c.decodeVersion());
    }
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] base;
      MqttVersion version;
      if (random.nextBoolean()) {
        int k = random.nextInt(valid.size());
        base = valid.get(k);
        version = versions.get(k);
      } else {
        version = gen.version();
        Packet p = gen.packet(version);
        base = PacketEncoder.encode(p, version);
        version = p instanceof Connect ? null : version;
      }
      byte[] mutated = mutate(base, random);
      survive(mutated, version, random, seed, i);
    }
  }

  @Test
  void framerRefusesAnOversizeLengthBeforeBufferingTheBody() throws MqttDecodeException {
    // A header that claims 200 MiB: refused as soon as the length is known, nothing buffered.
    byte[] header = {0x30, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x64};
    Framer framer = new Framer(1024 * 1024);
    MqttDecodeException e = null;
    for (int i = 0; i < header.length && e == null; i++) {
      try {
        framer.next(ByteBuffer.wrap(header, i, 1));
      } catch (MqttDecodeException thrown) {
        e = thrown;
      }
      assertTrue(framer.buffered() <= header.length, "buffered " + framer.buffered());
    }
    assertTrue(e != null, "a 200 MiB packet was not refused");
    assertEquals(ReasonCode.PACKET_TOO_LARGE, e.reasonCode(), e.getMessage());

    // The same length with body bytes in the same buffer: still refused, body not consumed.
    ByteBuffer withBody = ByteBuffer.allocate(header.length + 65_536).put(header);
    withBody.position(0);
    MqttDecodeException again =
        assertThrows(MqttDecodeException.class, () -> new Framer(1024 * 1024).next(withBody));
    assertEquals(ReasonCode.PACKET_TOO_LARGE, again.reasonCode());

    // One byte above the maximum, total size counted with the fixed header: refused.
    byte[] justAbove = withRemainingLength((byte) 0x30, new byte[MAX_PACKET - 2]);
    assertEquals(MAX_PACKET + 1, justAbove.length);
    MqttDecodeException above =
        assertThrows(
            MqttDecodeException.class,
            () -> new Framer(MAX_PACKET).next(ByteBuffer.wrap(justAbove, 0, 3)));
    assertEquals(ReasonCode.PACKET_TOO_LARGE, above.reasonCode());

    // A legal length whose body trickles in: the framer holds only the bytes it was given.
    byte[] legal = withRemainingLength((byte) 0x30, new byte[MAX_PACKET - 3]);
    Framer trickle = new Framer(MAX_PACKET);
    for (int i = 0; i < 100; i++) {
      FrameResult r = trickle.next(ByteBuffer.wrap(legal, i, 1));
      assertTrue(r instanceof FrameResult.NeedMoreBytes, "frame after " + (i + 1) + " bytes");
      assertTrue(trickle.buffered() <= i + 1, "holds " + trickle.buffered() + " of " + (i + 1));
    }
  }

  /**
   * Allocation per input, measured with the JVM's per-thread allocation counter after a warm-up,
   * stays under twice the maximum packet size plus a small constant, so no length field inside a
   * packet (a string claiming 65,535 bytes, a property length, a remaining length claiming 256 MiB)
   * makes the codec allocate for bytes that are not there. An input over the bound is measured
   * again before failing, so one-off JVM work (class loading on a rare path) cannot fail the test.
   */
  @Test
  void hostileLengthsNeverAllocateMoreThanTheMaximumPacketSize() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
    assumeTrue(
        threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
    long bound = 2L * MAX_PACKET + 8192;

    long seed = CodecRoundTripPropertyTest.seed(0xBAD_0003L);
    PacketGenerators gen = new PacketGenerators(seed);
    Random random = gen.random();
    List<byte[]> inputs = new ArrayList<>();
    List<MqttVersion> versions = new ArrayList<>();
    for (ConformanceCase c : ConformanceCases.all()) {
      if (c.bytes().length() <= MAX_PACKET) {
        inputs.add(c.bytes().toArray());
        versions.add(c.decodeVersion());
      }
    }
    for (int i = 0; i < 20_000; i++) {
      int k = random.nextInt(inputs.size());
      byte[] input = mutate(inputs.get(k), random);
      if (random.nextInt(4) == 0) {
        input = claimLongString(input, random);
      }
      inputs.add(input);
      versions.add(versions.get(k));
    }
    for (int round = 0; round < 2; round++) { // the first round warms the JVM up
      for (int i = 0; i < inputs.size(); i++) {
        long allocated = allocation(threads, inputs.get(i), versions.get(i));
        if (round == 1 && allocated > bound) {
          allocated = allocation(threads, inputs.get(i), versions.get(i));
          assertTrue(
              allocated <= bound,
              "seed "
                  + seed
                  + ", input "
                  + i
                  + " allocated "
                  + allocated
                  + " bytes (bound "
                  + bound
                  + "): "
                  + HexFormat.of().formatHex(inputs.get(i)));
        }
      }
    }
  }

  private static long allocation(
      com.sun.management.ThreadMXBean threads, byte[] input, MqttVersion version) {
    Framer framer = new Framer(MAX_PACKET);
    ByteBuffer buffer = ByteBuffer.wrap(input);
    long before = threads.getCurrentThreadAllocatedBytes();
    try {
      while (framer.next(buffer) instanceof FrameResult.Frame f) {
        PacketDecoder.decode(f.packet(), version);
      }
    } catch (MqttDecodeException expected) {
      // the input was bad: fine, only its cost matters here
    }
    return threads.getCurrentThreadAllocatedBytes() - before;
  }

  /** Runs the input through the decoder directly and through a framer in random chunks. */
  private static void survive(byte[] input, MqttVersion version, Random random, long seed, int i) {
    try {
      try {
        PacketDecoder.decode(ByteBuffer.wrap(input), version);
      } catch (MqttDecodeException expected) {
        // rejecting is fine; only other exceptions are bugs
      }
      Framer framer = new Framer(MAX_PACKET);
      ByteBuffer stream = ByteBuffer.wrap(input);
      try {
        while (stream.hasRemaining()) {
          int chunk = Math.min(stream.remaining(), 1 + random.nextInt(64));
          ByteBuffer slice = stream.slice(stream.position(), chunk);
          stream.position(stream.position() + chunk);
          while (framer.next(slice) instanceof FrameResult.Frame f) {
            PacketDecoder.decode(f.packet(), version);
          }
          assertTrue(framer.buffered() <= MAX_PACKET, "framer holds " + framer.buffered());
        }
      } catch (MqttDecodeException expected) {
        // as above
      }
    } catch (RuntimeException | Error e) {
      throw new AssertionError(
          "seed "
              + seed
              + ", iteration "
              + i
              + ", version "
              + version
              + ": "
              + e
              + " for input "
              + HexFormat.of().formatHex(input),
          e);
    }
  }

  /** One to three random mutations; sometimes the remaining length is fixed up afterwards. */
  static byte[] mutate(byte[] base, Random random) {
    byte[] b = base.clone();
    int n = 1 + random.nextInt(3);
    for (int m = 0; m < n; m++) {
      if (b.length == 0) {
        b = new byte[] {(byte) random.nextInt(256)};
        continue;
      }
      int at = random.nextInt(b.length);
      switch (random.nextInt(7)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8)); // flip a bit
        case 1 -> b[at] = (byte) random.nextInt(256); // overwrite a byte
        case 2 -> b = slice(b, 0, at); // truncate
        case 3 -> { // extend with junk
          byte[] tail = new byte[1 + random.nextInt(16)];
          random.nextBytes(tail);
          b = concat(b, tail);
        }
        case 4 -> b = concat(slice(b, 0, at), slice(b, at + 1, b.length - at - 1)); // delete
        case 5 -> // insert an interesting byte
            b =
                concat(
                    concat(slice(b, 0, at), new byte[] {interesting(random)}),
                    slice(b, at, b.length - at));
        case 6 -> { // duplicate a span
          int len = Math.min(b.length - at, 1 + random.nextInt(8));
          b = concat(b, slice(b, at, len));
        }
        default -> throw new AssertionError();
      }
    }
    if (b.length > 1 && random.nextBoolean()) {
      b = withRemainingLength(b[0], slice(b, 2, Math.max(0, b.length - 2)));
    }
    return b;
  }

  /** Overwrites two bytes after the fixed header with 0xFFFF: a string or id claiming 65,535. */
  private static byte[] claimLongString(byte[] input, Random random) {
    byte[] b = input.clone();
    if (b.length > 4) {
      int at = 2 + random.nextInt(b.length - 3);
      b[at] = (byte) 0xFF;
      b[at + 1] = (byte) 0xFF;
    }
    return b;
  }

  private static byte interesting(Random random) {
    byte[] values = {0x00, (byte) 0x7F, (byte) 0x80, (byte) 0xFF, 0x26, 0x0B, (byte) 0xC0, 0x01};
    return values[random.nextInt(values.length)];
  }

  /** A packet with this first byte and body, and a correct remaining length. */
  static byte[] withRemainingLength(byte first, byte[] body) {
    ByteBuffer out = ByteBuffer.allocate(body.length + 5);
    out.put(first);
    int n = body.length;
    do {
      int digit = n % 128;
      n /= 128;
      out.put((byte) (n > 0 ? digit | 0x80 : digit));
    } while (n > 0);
    out.put(body);
    return slice(out.array(), 0, out.position());
  }

  private static byte[] slice(byte[] b, int from, int length) {
    byte[] out = new byte[length];
    System.arraycopy(b, from, out, 0, length);
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
