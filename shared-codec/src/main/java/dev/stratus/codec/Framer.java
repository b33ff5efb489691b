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
 * Not thread-safe: one framer per connection.
 */
public final class Framer {
  /** Creates a framer that refuses packets larger than {@code maximumPacketSize} bytes in total. */
  public Framer(int maximumPacketSize) {
    throw new UnsupportedOperationException("not yet implemented");
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
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Bytes of an unfinished packet held inside the framer. */
  public int buffered() {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
