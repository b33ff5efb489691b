package dev.stratus.codec;

import java.nio.ByteBuffer;

/** What {@link Framer#next} found: a whole packet, or the need for more bytes (not an error). */
public sealed interface FrameResult {

  /**
   * One complete packet, fixed header included, ready for {@link PacketDecoder#decode}.
   *
   * @param packet a view of the framer's input (valid until the caller reuses its buffer), or of an
   *     array the framer assembled for this packet alone
   * @param owned true in the second case: nobody else holds that array, so the packet may be
   *     decoded with {@link PacketDecoder#decodeOwned} and its payload shares the array (no copy)
   */
  record Frame(ByteBuffer packet, boolean owned) implements FrameResult {}

  /** The input ended inside a packet; {@code atLeast} more bytes are needed to make progress. */
  record NeedMoreBytes(int atLeast) implements FrameResult {}
}
