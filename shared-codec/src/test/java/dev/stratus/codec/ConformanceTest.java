package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every conformance case ({@link ConformanceCases}) through the codec: one dynamic test per
 * case, named by the case id.
 *
 * <ul>
 *   <li>Every case goes through a {@link Framer} fed one byte at a time: complete cases come out as
 *       exactly one frame of all their bytes (and the same packet twice in one buffer comes out as
 *       two frames), incomplete cases leave the framer asking for more, rejected cases make it
 *       throw the expected reason.
 *   <li>Valid cases decode (from the frame, and from the bytes directly) to the expected packet
 *       and, when canonical, encode back to the same bytes.
 *   <li>Invalid cases throw {@link MqttDecodeException} with the expected reason code.
 * </ul>
 */
class ConformanceTest {

  @TestFactory
  Stream<DynamicTest> conformance() {
    return ConformanceCases.all().stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> run(c)));
  }

  /** The data itself: enough cases, every packet type in every version it exists in. */
  @Test
  void casesCoverEveryPacketTypeOfEveryVersion() {
    List<ConformanceCase> all = ConformanceCases.all();
    assertTrue(all.size() >= 180, "only " + all.size() + " cases");
    List<String> missing = new ArrayList<>();
    for (PacketType type : PacketType.values()) {
      for (MqttVersion version : MqttVersion.values()) {
        List<ConformanceCase> cases =
            all.stream().filter(c -> c.packetType() == type && c.version() == version).toList();
        boolean authBeforeV5 = type == PacketType.AUTH && !version.isV5();
        if (!authBeforeV5 && cases.stream().noneMatch(ConformanceCase::isValid)) {
          missing.add(type + " " + version + " valid");
        }
        if (version != MqttVersion.V3_1 && cases.stream().allMatch(ConformanceCase::isValid)) {
          missing.add(type + " " + version + " invalid");
        }
      }
    }
    assertEquals(List.of(), missing, "packet types and versions without cases");
    Set<ReasonCode> errors =
        all.stream()
            .map(ConformanceCase::error)
            .filter(e -> e != null)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(ReasonCode.class)));
    assertTrue(
        errors.containsAll(
            EnumSet.of(
                ReasonCode.MALFORMED_PACKET,
                ReasonCode.PROTOCOL_ERROR,
                ReasonCode.TOPIC_NAME_INVALID,
                ReasonCode.TOPIC_FILTER_INVALID,
                ReasonCode.PACKET_TOO_LARGE,
                ReasonCode.UNSUPPORTED_PROTOCOL_VERSION)),
        "error reasons covered: " + errors);
  }

  private static void run(ConformanceCase c) throws MqttDecodeException {
    switch (c.framing()) {
      case COMPLETE -> {
        ByteBuffer frame = frameByteByByte(c);
        checkDecode(c, frame, "from the framer's frame");
        checkDecode(c, c.buffer(), "from the bytes directly");
        checkTwoInOneBuffer(c);
        if (c.isValid() && c.canonical()) {
          byte[] encoded = PacketEncoder.encode(c.expected(), c.version());
          assertEquals(
              hex(c.bytes().unsafeArray()),
              hex(encoded),
              c.id() + ": encoding the expected packet gives other bytes");
          assertEquals(
              c.bytes().length(),
              PacketEncoder.encodedSize(c.expected(), c.version()),
              c.id() + ": encodedSize");
        }
      }
      case INCOMPLETE -> {
        Framer framer = new Framer(c.maximumPacketSize());
        byte[] bytes = c.bytes().unsafeArray();
        for (int i = 0; i < bytes.length; i++) {
          FrameResult r = framer.next(ByteBuffer.wrap(bytes, i, 1));
          assertInstanceOf(
              FrameResult.NeedMoreBytes.class, r, c.id() + ": frame before the packet is complete");
        }
        checkDecode(c, c.buffer(), "from the incomplete bytes directly");
      }
      case REJECTED -> {
        Framer framer = new Framer(c.maximumPacketSize());
        byte[] bytes = c.bytes().unsafeArray();
        MqttDecodeException thrown = null;
        for (int i = 0; i < bytes.length && thrown == null; i++) {
          try {
            FrameResult r = framer.next(ByteBuffer.wrap(bytes, i, 1));
            assertInstanceOf(FrameResult.NeedMoreBytes.class, r, c.id() + ": framed a bad packet");
          } catch (MqttDecodeException e) {
            thrown = e;
          }
        }
        if (thrown == null) {
          fail(c.id() + ": the framer accepted the bytes, expected " + c.error());
        }
        assertEquals(c.error(), thrown.reasonCode(), c.id() + ": " + thrown.getMessage());
        assertNamesRule(c, thrown);
        assertTrue(
            framer.buffered() <= bytes.length,
            c.id() + ": framer buffered " + framer.buffered() + " bytes");
      }
    }
  }

  /** Feeds the framer one byte per call; expects one frame, at the last byte, of all the bytes. */
  private static ByteBuffer frameByteByByte(ConformanceCase c) throws MqttDecodeException {
    Framer framer = new Framer(c.maximumPacketSize());
    byte[] bytes = c.bytes().unsafeArray();
    for (int i = 0; i < bytes.length - 1; i++) {
      FrameResult r = framer.next(ByteBuffer.wrap(bytes, i, 1));
      assertInstanceOf(
          FrameResult.NeedMoreBytes.class,
          r,
          c.id() + ": a frame before the last byte, at byte " + i);
    }
    ByteBuffer last = ByteBuffer.wrap(bytes, bytes.length - 1, 1);
    FrameResult r = framer.next(last);
    FrameResult.Frame frame =
        assertInstanceOf(
            FrameResult.Frame.class, r, c.id() + ": no frame after the last byte; check the hex");
    assertFalse(last.hasRemaining(), c.id() + ": the framer left the last byte");
    byte[] framed = new byte[frame.packet().remaining()];
    frame.packet().duplicate().get(framed);
    assertEquals(hex(bytes), hex(framed), c.id() + ": the frame is not the packet's bytes");
    assertEquals(0, framer.buffered(), c.id() + ": bytes left in the framer");
    return ByteBuffer.wrap(framed).asReadOnlyBuffer();
  }

  /** The packet twice in one buffer: two frames, nothing left. */
  private static void checkTwoInOneBuffer(ConformanceCase c) throws MqttDecodeException {
    byte[] one = c.bytes().unsafeArray();
    ByteBuffer twice = ByteBuffer.allocate(one.length * 2).put(one).put(one).flip();
    Framer framer = new Framer(c.maximumPacketSize());
    for (int i = 0; i < 2; i++) {
      FrameResult.Frame f =
          assertInstanceOf(FrameResult.Frame.class, framer.next(twice), c.id() + ": frame " + i);
      assertEquals(one.length, f.packet().remaining(), c.id() + ": frame " + i + " length");
    }
    assertFalse(twice.hasRemaining(), c.id() + ": leftover after two packets");
    assertInstanceOf(FrameResult.NeedMoreBytes.class, framer.next(twice), c.id());
  }

  private static void checkDecode(ConformanceCase c, ByteBuffer input, String how) {
    if (c.isValid()) {
      Packet decoded;
      try {
        decoded = PacketDecoder.decode(input, c.decodeVersion());
      } catch (MqttDecodeException e) {
        throw new AssertionError(c.id() + ": valid case rejected " + how + ": " + e, e);
      }
      assertEquals(c.expected(), decoded, c.id() + ": decoded " + how);
    } else {
      MqttDecodeException e =
          assertThrows(
              MqttDecodeException.class,
              () -> PacketDecoder.decode(input, c.decodeVersion()),
              c.id() + ": invalid case accepted " + how + ", expected " + c.error());
      assertEquals(c.error(), e.reasonCode(), c.id() + " " + how + ": " + e.getMessage());
      assertNamesRule(c, e);
    }
  }

  /** The message names the rule it enforces: a statement id, or the section for rules without. */
  private static void assertNamesRule(ConformanceCase c, MqttDecodeException e) {
    String message = String.valueOf(e.getMessage());
    assertTrue(
        message.contains("[MQTT-") || message.contains("§"),
        c.id() + ": the message names no rule: " + message);
  }

  private static String hex(byte[] bytes) {
    return HexFormat.ofDelimiter(" ").formatHex(bytes);
  }

  @Test
  void minimalConnectIsTheValidConnectCaseOfEachVersion() {
    // What a server test sends before each case must itself be a valid first packet.
    for (MqttVersion v : MqttVersion.values()) {
      Bytes connect = ConformanceCases.minimalConnect(v);
      ConformanceCase c =
          ConformanceCases.of(PacketType.CONNECT).stream()
              .filter(k -> k.bytes().equals(connect))
              .findFirst()
              .orElseThrow();
      assertTrue(c.isValid() && c.beforeConnect() && c.version() == v, c.id());
    }
  }
}
