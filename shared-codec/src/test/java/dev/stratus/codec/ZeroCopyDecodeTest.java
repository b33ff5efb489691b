package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link PacketDecoder#decodeOwned}: a PUBLISH payload shares the array handed over, unless it is
 * too small a part of it; {@link PacketDecoder#decode} always copies.
 */
class ZeroCopyDecodeTest {

  private static byte[] publish(int payloadSize) {
    byte[] payload = new byte[payloadSize];
    Arrays.fill(payload, (byte) 'x');
    return PacketEncoder.encode(
        new Publish(
            TopicName.of("a/b"),
            QoS.AT_LEAST_ONCE,
            false,
            false,
            7,
            Bytes.wrap(payload),
            Properties.NONE),
        MqttVersion.V3_1_1);
  }

  @Test
  void ownedDecodeSharesTheArrayAndCopyingDecodeDoesNot() throws MqttDecodeException {
    byte[] wire = publish(4096);
    Publish copied = (Publish) PacketDecoder.decode(ByteBuffer.wrap(wire), MqttVersion.V3_1_1);
    Publish shared = (Publish) PacketDecoder.decodeOwned(ByteBuffer.wrap(wire), MqttVersion.V3_1_1);
    assertEquals(copied, shared);
    assertTrue(shared.payload().isView(), "the payload is a view of the packet's array");

    // Breaking the contract shows the sharing: the owned payload changes, the copy does not.
    wire[wire.length - 1] = 'y';
    assertEquals('y', shared.payload().get(4095));
    assertEquals('x', copied.payload().get(4095));
  }

  @Test
  void aSmallPayloadInALargeArrayIsCopiedSoItCannotPinTheArray() throws MqttDecodeException {
    byte[] wire = publish(16);
    byte[] large = Arrays.copyOf(wire, 4096); // the packet, then unrelated bytes
    Publish p =
        (Publish)
            PacketDecoder.decodeOwned(ByteBuffer.wrap(large, 0, wire.length), MqttVersion.V3_1_1);
    assertFalse(p.payload().isView());
    large[wire.length - 1] = 'y';
    assertEquals('x', p.payload().get(15));
  }

  @Test
  void readOnlyBuffersAreCopied() throws MqttDecodeException {
    byte[] wire = publish(1024);
    Publish p =
        (Publish)
            PacketDecoder.decodeOwned(ByteBuffer.wrap(wire).asReadOnlyBuffer(), MqttVersion.V3_1_1);
    wire[wire.length - 1] = 'y';
    assertEquals('x', p.payload().get(1023));
  }

  @Test
  void theFramerSaysWhichFramesItAssembledItself() throws MqttDecodeException {
    byte[] wire = publish(100);
    Framer framer = new Framer(1 << 16);
    FrameResult whole = framer.next(ByteBuffer.wrap(wire));
    assertFalse(((FrameResult.Frame) whole).owned(), "a view of the caller's buffer");

    assertTrue(framer.next(ByteBuffer.wrap(wire, 0, 50)) instanceof FrameResult.NeedMoreBytes);
    FrameResult assembled = framer.next(ByteBuffer.wrap(wire, 50, wire.length - 50));
    assertTrue(((FrameResult.Frame) assembled).owned(), "an array of the framer's own");
    Publish p =
        (Publish)
            PacketDecoder.decodeOwned(((FrameResult.Frame) assembled).packet(), MqttVersion.V3_1_1);
    assertTrue(p.payload().isView());
    assertEquals(100, p.payload().length());
  }

  @Test
  void aViewEqualsACopyWithTheSameBytesAndCompactsToOne() {
    byte[] array = {9, 1, 2, 3, 9};
    Bytes view = Bytes.wrap(array, 1, 3);
    Bytes copy = Bytes.of(new byte[] {1, 2, 3});
    assertEquals(copy, view);
    assertEquals(copy.hashCode(), view.hashCode());
    assertEquals("010203", view.toHex());
    assertEquals(3, view.unsafeArray().length);
    Bytes compact = view.compact();
    assertFalse(compact.isView());
    assertEquals(view, compact);
    assertNotEquals(Bytes.wrap(array, 0, 3), view);
  }
}
