package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebSocketDecoderTest {

  /** Records what the decoder reports. */
  static final class Recorder implements WebSocketDecoder.Handler {
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final List<byte[]> pings = new ArrayList<>();
    Integer closeCode;

    @Override
    public boolean binary(ByteBuffer payload) {
      byte[] b = new byte[payload.remaining()];
      payload.get(b);
      data.writeBytes(b);
      return true;
    }

    @Override
    public void ping(byte[] payload) {
      pings.add(payload);
    }

    @Override
    public void close(int code, String reason) {
      closeCode = code;
    }
  }

  /** A masked client frame, as RFC 6455 §5.2 lays it out. */
  static byte[] clientFrame(boolean fin, int opcode, byte[] payload, int mask) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((fin ? 0x80 : 0) | opcode);
    int n = payload.length;
    if (n < 126) {
      out.write(0x80 | n);
    } else if (n <= 0xFFFF) {
      out.write(0x80 | 126);
      out.write(n >>> 8);
      out.write(n);
    } else {
      out.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        out.write(i >= 4 ? 0 : n >>> (8 * i));
      }
    }
    byte[] m = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
    out.writeBytes(m);
    for (int i = 0; i < n; i++) {
      out.write(payload[i] ^ m[i & 3]);
    }
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] bytes(int length, int seed) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 31 + seed);
    }
    return b;
  }

  /** Feeds {@code wire} in chunks of {@code chunk} bytes; returns false if decoding stopped. */
  static boolean feed(WebSocketDecoder decoder, Recorder r, byte[] wire, int chunk) {
    for (int at = 0; at < wire.length; at += chunk) {
      int n = Math.min(chunk, wire.length - at);
      byte[] copy = java.util.Arrays.copyOfRange(wire, at, at + n);
      if (!decoder.decode(copy, 0, n, r)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void unmasksBinaryFramesOfEveryLengthEncodingWhateverTheChunking() {
    byte[] small = bytes(5, 1);
    byte[] medium = bytes(300, 2); // 16-bit extended length
    byte[] large = bytes(70_000, 3); // 64-bit extended length
    byte[] wire =
        concat(
            clientFrame(true, 2, small, 0x11223344),
            clientFrame(true, 2, medium, 0xA1B2C3D4),
            clientFrame(true, 2, large, 0x0F0E0D0C));
    for (int chunk : new int[] {1, 3, 7, 1000, wire.length}) {
      Recorder r = new Recorder();
      assertTrue(feed(new WebSocketDecoder(), r, wire, chunk), "chunk " + chunk);
      assertArrayEquals(concat(small, medium, large), r.data.toByteArray(), "chunk " + chunk);
      assertNull(r.closeCode);
    }
  }

  @Test
  void fragmentedMessageWithInterleavedPingStreamsInOrder() {
    byte[] a = bytes(10, 4);
    byte[] b = bytes(20, 5);
    byte[] ping = {'h', 'i'};
    byte[] wire =
        concat(
            clientFrame(false, 2, a, 0x01020304),
            clientFrame(true, 9, ping, 0x05060708),
            clientFrame(true, 0, b, 0x0A0B0C0D));
    Recorder r = new Recorder();
    assertTrue(feed(new WebSocketDecoder(), r, wire, 2));
    assertArrayEquals(concat(a, b), r.data.toByteArray());
    assertEquals(1, r.pings.size());
    assertArrayEquals(ping, r.pings.get(0));
  }

  @Test
  void emptyFramesAndPongsAreHarmless() {
    byte[] wire =
        concat(
            clientFrame(true, 2, new byte[0], 1),
            clientFrame(true, 0xA, new byte[] {1}, 2),
            clientFrame(true, 9, new byte[0], 3));
    Recorder r = new Recorder();
    assertTrue(feed(new WebSocketDecoder(), r, wire, 1));
    assertEquals(0, r.data.size());
    assertEquals(1, r.pings.size());
    assertEquals(0, r.pings.get(0).length);
  }

  @Test
  void textFrameClosesWith1003() {
    // [MQTT-6.0.0-1]: MQTT packets travel in binary frames; any other data frame closes.
    Recorder r = new Recorder();
    byte[] wire =
        concat(clientFrame(true, 2, bytes(3, 0), 7), clientFrame(true, 1, bytes(3, 0), 7));
    assertFalse(feed(new WebSocketDecoder(), r, wire, wire.length));
    assertEquals(WebSocketDecoder.CLOSE_UNSUPPORTED_DATA, r.closeCode);
    assertEquals(3, r.data.size());
  }

  @Test
  void protocolErrorsCloseWith1002() {
    byte[] unmasked = {(byte) 0x82, 0x01, 0x00};
    byte[] reservedBit = {(byte) 0xC2, (byte) 0x80, 0, 0, 0, 0};
    byte[] strayContinuation = clientFrame(true, 0, bytes(2, 0), 9);
    byte[] fragmentedPing = clientFrame(false, 9, bytes(2, 0), 9);
    byte[] longPing = clientFrame(true, 9, bytes(126, 0), 9);
    byte[] unknownOpcode = clientFrame(true, 3, bytes(1, 0), 9);
    byte[] binaryInsideMessage =
        concat(clientFrame(false, 2, bytes(1, 0), 9), clientFrame(true, 2, bytes(1, 0), 9));
    for (byte[] wire :
        List.of(
            unmasked,
            reservedBit,
            strayContinuation,
            fragmentedPing,
            longPing,
            unknownOpcode,
            binaryInsideMessage)) {
      Recorder r = new Recorder();
      assertFalse(feed(new WebSocketDecoder(), r, wire, 1));
      assertEquals(WebSocketDecoder.CLOSE_PROTOCOL_ERROR, r.closeCode);
    }
  }

  @Test
  void closeFrameReportsThePeersCode() {
    Recorder r = new Recorder();
    assertFalse(
        feed(
            new WebSocketDecoder(), r, clientFrame(true, 8, new byte[] {0x03, (byte) 0xE9}, 5), 1));
    assertEquals(1001, r.closeCode);

    Recorder none = new Recorder();
    assertFalse(feed(new WebSocketDecoder(), none, clientFrame(true, 8, new byte[0], 5), 4));
    assertEquals(WebSocketDecoder.CLOSE_NO_STATUS, none.closeCode);
  }

  @Test
  void serverFramesAreUnmaskedWithTheShortestLength() {
    assertArrayEquals(
        new byte[] {(byte) 0x82, 2, 9, 8}, WebSocketFrames.frame(2, new byte[] {9, 8}));
    byte[] medium = WebSocketFrames.frame(2, new byte[300]);
    assertEquals(126, medium[1]);
    assertEquals(300, ((medium[2] & 0xFF) << 8) | (medium[3] & 0xFF));
    byte[] large = WebSocketFrames.frame(2, new byte[70_000]);
    assertEquals(127, large[1]);
    assertEquals(70_000, ByteBuffer.wrap(large, 2, 8).getLong());
    assertArrayEquals(new byte[] {(byte) 0x88, 2, 0x03, (byte) 0xEB}, WebSocketFrames.close(1003));
  }
}
