package dev.stratus.codec;

import java.nio.ByteBuffer;

/**
 * Splits a byte stream into whole MQTT packets, whatever the chunking: one byte at a time, many
 * packets in one buffer, a packet split across WebSocket frames or TCP reads.
 *
 * <p>The remaining length is checked against the maximum packet size before any body byte is
 * buffered, so a hostile length costs nothing [MQTT-3.2.2-15 / MQTT 5.0 §3.1.2.11.4]. Usage:
 *
 * <pre>{@code
 * while (true) {
 *   FrameResult r = framer.next(input);
 *   if (r instanceof FrameResult.Frame f) handle(PacketDecoder.decode(f.packet(), version));
 *   else break; // NeedMoreBytes: read more, then call again; input.remaining() is the leftover
 * }
 * }</pre>
 *
 * <p>How: when a whole packet is already inside {@code input}, the frame is a zero-copy slice of
 * it. Only a packet that spans calls is copied, into an array of exactly its size allocated once
 * its fixed header is complete (so never above the maximum). The fixed header itself (at most 5
 * bytes) is collected in a small array while it is incomplete.
 *
 * <p>Not thread-safe: one framer per connection. After it throws, the stream is unusable (the
 * connection must be closed) and so is the framer.
 */
public final class Framer {
  /** Fixed header: 1 type byte and at most 4 remaining length bytes [MQTT-1.5.5-1]. */
  private static final int MAX_HEADER = 5;

  /** The usual answer at the end of a read, shared: records are values. */
  private static final FrameResult.NeedMoreBytes ONE_MORE_BYTE = new FrameResult.NeedMoreBytes(1);

  private final int maximumPacketSize;

  /** The incomplete fixed header of a packet split across calls. */
  private final byte[] header = new byte[MAX_HEADER];

  private int headerLength;

  /** The packet being assembled across calls once its size is known, else null. */
  private byte[] packet;

  private int packetFilled;

  /** Creates a framer that refuses packets larger than {@code maximumPacketSize} bytes in total. */
  public Framer(int maximumPacketSize) {
    if (maximumPacketSize < 2) {
      throw new IllegalArgumentException(
          "the maximum packet size must allow at least a 2 byte packet: " + maximumPacketSize);
    }
    this.maximumPacketSize = maximumPacketSize;
  }

  /**
   * Consumes bytes from {@code input} and returns the next whole packet, or {@link
   * FrameResult.NeedMoreBytes} when {@code input} is used up inside a packet (its bytes are then
   * kept inside the framer). Bytes after the returned packet stay in {@code input}.
   *
   * @throws MqttDecodeException a malformed remaining length [MQTT-1.5.5-1] (reason Malformed
   *     Packet), or a packet above the maximum size (reason Packet too large)
   */
  public FrameResult next(ByteBuffer input) throws MqttDecodeException {
    if (packet != null) {
      return continuePacket(input);
    }
    if (headerLength > 0) {
      return continueHeader(input);
    }
    // Nothing buffered: parse the fixed header in place, without consuming it yet.
    int start = input.position();
    int available = input.remaining();
    if (available == 0) {
      return ONE_MORE_BYTE;
    }
    int remainingLength = 0;
    for (int i = 1; ; i++) {
      if (i >= available) {
        // the header itself is split: keep its bytes
        input.get(header, 0, available);
        headerLength = available;
        return ONE_MORE_BYTE;
      }
      int b = input.get(start + i) & 0xFF;
      remainingLength |= (b & 0x7F) << (7 * (i - 1));
      if (!VariableByteInteger.checkByte(i - 1, b, "the remaining length")) {
        int total = checkSize(i + 1, remainingLength);
        if (total <= available) {
          ByteBuffer frame = input.slice(start, total);
          input.position(start + total);
          return new FrameResult.Frame(frame, false);
        }
        packet = new byte[total];
        packetFilled = available;
        input.get(packet, 0, available);
        return new FrameResult.NeedMoreBytes(total - available);
      }
    }
  }

  /** Bytes of an unfinished packet held inside the framer. */
  public int buffered() {
    return packet != null ? packetFilled : headerLength;
  }

  private FrameResult continueHeader(ByteBuffer input) throws MqttDecodeException {
    while (input.hasRemaining()) {
      int b = input.get() & 0xFF;
      header[headerLength++] = (byte) b;
      if (!VariableByteInteger.checkByte(headerLength - 2, b, "the remaining length")) {
        int remainingLength = 0;
        for (int i = 1; i < headerLength; i++) {
          remainingLength |= (header[i] & 0x7F) << (7 * (i - 1));
        }
        int total = checkSize(headerLength, remainingLength);
        packet = new byte[total];
        System.arraycopy(header, 0, packet, 0, headerLength);
        packetFilled = headerLength;
        headerLength = 0;
        return continuePacket(input);
      }
    }
    return ONE_MORE_BYTE;
  }

  private FrameResult continuePacket(ByteBuffer input) {
    int n = Math.min(packet.length - packetFilled, input.remaining());
    input.get(packet, packetFilled, n);
    packetFilled += n;
    if (packetFilled < packet.length) {
      return new FrameResult.NeedMoreBytes(packet.length - packetFilled);
    }
    ByteBuffer frame = ByteBuffer.wrap(packet);
    packet = null;
    packetFilled = 0;
    return new FrameResult.Frame(frame, true);
  }

  /** The total size of the packet, refused above the maximum before its body is buffered. */
  private int checkSize(int headerSize, int remainingLength) throws MqttDecodeException {
    long total = (long) headerSize + remainingLength;
    if (total > maximumPacketSize) {
      throw MqttDecodeException.tooLarge(
          "[MQTT-3.2.2-15] a packet of "
              + total
              + " bytes exceeds the maximum packet size of "
              + maximumPacketSize);
    }
    return (int) total;
  }
}
