package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class FramerTest {

  /** Three packets back to back: a PINGREQ, a PUBLISH of 200 bytes (2 byte length), a PUBACK. */
  private static final byte[] STREAM =
      concat(
          Wire.bytes("C0 00 // PINGREQ"),
          PacketEncoder.encode(
              new Publish(
                  TopicName.of("a/b"),
                  QoS.AT_MOST_ONCE,
                  false,
                  false,
                  0,
                  Bytes.wrap(new byte[195]),
                  Properties.NONE),
              MqttVersion.V3_1_1),
          Wire.bytes("40 02 // PUBACK", "00 01 // packet id"));

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Feeds {@code stream} in chunks of {@code chunk} bytes and collects the frames as hex. */
  private static List<String> frames(Framer framer, byte[] stream, int chunk)
      throws MqttDecodeException {
    List<String> out = new ArrayList<>();
    for (int at = 0; at < stream.length; at += chunk) {
      ByteBuffer input = ByteBuffer.wrap(stream, at, Math.min(chunk, stream.length - at));
      while (true) {
        FrameResult r = framer.next(input);
        if (r instanceof FrameResult.Frame f) {
          byte[] b = new byte[f.packet().remaining()];
          f.packet().get(b);
          out.add(Wire.hex(b));
        } else {
          assertFalse(input.hasRemaining(), "need more bytes only when the input is used up");
          break;
        }
      }
    }
    return out;
  }

  static Stream<Integer> chunkSizes() {
    return Stream.of(1, 2, 3, 4, 5, 7, 100, 203, 204, STREAM.length);
  }

  @ParameterizedTest(name = "chunks of {0} byte(s)")
  @MethodSource("chunkSizes")
  void findsTheSamePacketsWhateverTheChunking(int chunk) throws MqttDecodeException {
    List<String> frames = frames(new Framer(1024), STREAM, chunk);
    assertEquals(3, frames.size());
    assertEquals("c000", frames.get(0));
    assertEquals(203, frames.get(1).length() / 2);
    assertTrue(frames.get(1).startsWith("30c801"), frames.get(1)); // 200 = C8 01
    assertEquals("40020001", frames.get(2));
  }

  @Test
  void aWholePacketInTheInputIsASliceOfIt() throws MqttDecodeException {
    ByteBuffer input = ByteBuffer.wrap(STREAM);
    FrameResult.Frame first =
        assertInstanceOf(FrameResult.Frame.class, new Framer(1024).next(input));
    assertTrue(first.packet().hasArray());
    assertTrue(first.packet().array() == STREAM, "no copy");
    assertEquals(2, first.packet().remaining());
    assertEquals(2, input.position(), "the leftover stays in the input");
  }

  @Test
  void reportsHowManyBytesAreMissing() throws MqttDecodeException {
    Framer framer = new Framer(1024);
    ByteBuffer input = ByteBuffer.wrap(STREAM, 2, 10); // 10 bytes of the 203 byte PUBLISH
    FrameResult.NeedMoreBytes need =
        assertInstanceOf(FrameResult.NeedMoreBytes.class, framer.next(input));
    assertEquals(193, need.atLeast());
    assertEquals(10, framer.buffered());
    assertFalse(input.hasRemaining());
  }

  @Test
  void aSplitHeaderNeedsOneMoreByte() throws MqttDecodeException {
    Framer framer = new Framer(1024);
    FrameResult r = framer.next(Wire.buffer("30 C8 // PUBLISH, first length byte says more"));
    assertEquals(new FrameResult.NeedMoreBytes(1), r);
    assertEquals(2, framer.buffered());
    assertEquals(new FrameResult.NeedMoreBytes(1), framer.next(ByteBuffer.allocate(0)));
  }

  @Test
  void refusesAnOversizePacketBeforeBufferingItsBody() {
    Framer framer = new Framer(100);
    // remaining length 268,435,455 (FF FF FF 7F): refused on its header alone
    MqttDecodeException e =
        assertThrows(
            MqttDecodeException.class,
            () -> framer.next(Wire.buffer("30 // PUBLISH", "FF FF FF 7F // remaining length")));
    assertEquals(ReasonCode.PACKET_TOO_LARGE, e.reasonCode());
    assertEquals(0, framer.buffered());
  }

  @Test
  void refusesAnOversizePacketWhoseHeaderArrivesByteByByte() throws MqttDecodeException {
    Framer framer = new Framer(100);
    assertEquals(new FrameResult.NeedMoreBytes(1), framer.next(Wire.buffer("30")));
    assertEquals(new FrameResult.NeedMoreBytes(1), framer.next(Wire.buffer("E2")));
    MqttDecodeException e =
        assertThrows(MqttDecodeException.class, () -> framer.next(Wire.buffer("01")));
    assertEquals(ReasonCode.PACKET_TOO_LARGE, e.reasonCode()); // length E2 01 = 226
  }

  @Test
  void acceptsAPacketOfExactlyTheMaximumSize() throws MqttDecodeException {
    Framer framer = new Framer(4);
    assertInstanceOf(FrameResult.Frame.class, framer.next(Wire.buffer("40 02 00 01")));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "30 80 80 80 80 01 // five length bytes [MQTT-1.5.5-1]",
        "30 80 00 // 0 written in two bytes",
        "30 FF 80 00 // 127 written in three bytes",
        "30 80 80 80 00 // 0 written in four bytes"
      })
  void refusesMalformedRemainingLengths(String fixture) {
    for (int chunk : new int[] {1, 100}) {
      byte[] stream = Wire.bytes(fixture);
      MqttDecodeException e =
          assertThrows(MqttDecodeException.class, () -> frames(new Framer(1 << 28), stream, chunk));
      assertEquals(ReasonCode.MALFORMED_PACKET, e.reasonCode());
      assertTrue(e.getMessage().contains("[MQTT-1.5.5-1]"), e.getMessage());
    }
  }

  @Test
  void framesAndDecodesPacketsFromAReadOnlyBuffer() throws MqttDecodeException {
    ByteBuffer input = ByteBuffer.wrap(STREAM).asReadOnlyBuffer();
    Framer framer = new Framer(1024);
    framer.next(input);
    FrameResult.Frame publish = assertInstanceOf(FrameResult.Frame.class, framer.next(input));
    Publish p = (Publish) PacketDecoder.decode(publish.packet(), MqttVersion.V3_1_1);
    assertEquals("a/b", p.topic().value());
    assertEquals(195, p.payload().length());
  }
}
