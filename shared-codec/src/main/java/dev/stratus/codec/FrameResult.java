package dev.stratus.codec;

import java.nio.ByteBuffer;

/** What {@link Framer#next} found: a whole packet, or the need for more bytes (not an error). */
public sealed interface FrameResult {

  /**
   * One complete packet, fixed header included, ready for {@link PacketDecoder#decode}. The buffer
   * is a view of the framer's input or of its internal buffer: it is valid until the next call.
   */
  record Frame(ByteBuffer packet) implements FrameResult {}

  /** The input ended inside a packet; {@code atLeast} more bytes are needed to make progress. */
  record NeedMoreBytes(int atLeast) implements FrameResult {}
}
