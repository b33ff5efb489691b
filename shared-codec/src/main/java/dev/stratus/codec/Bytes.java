package dev.stratus.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Immutable binary data with content equality: payloads, passwords, correlation and authentication
 * data.
 *
 * <p>A value may be a view of a range of a larger array that nobody writes any more (see {@link
 * PacketDecoder#decodeOwned}): that is how a PUBLISH payload avoids a copy. The array is never
 * exposed for writing.
 */
public final class Bytes {
  public static final Bytes EMPTY = new Bytes(new byte[0], 0, 0);

  private final byte[] bytes;
  private final int offset;
  private final int length;
  private int hash;

  private Bytes(byte[] bytes, int offset, int length) {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
  }

  /** Copies the array. */
  public static Bytes of(byte[] bytes) {
    return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone(), 0, bytes.length);
  }

  /** Takes ownership of the array: the caller must not change it afterwards. */
  public static Bytes wrap(byte[] bytes) {
    return bytes.length == 0 ? EMPTY : new Bytes(bytes, 0, bytes.length);
  }

  /**
   * Takes ownership of a range of the array: the caller must not change those bytes afterwards.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the array
   */
  public static Bytes wrap(byte[] bytes, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
    return length == 0 ? EMPTY : new Bytes(bytes, offset, length);
  }

  public static Bytes utf8(String text) {
    return wrap(text.getBytes(StandardCharsets.UTF_8));
  }

  public static Bytes fromHex(String hex) {
    return wrap(HexFormat.of().parseHex(hex));
  }

  public int length() {
    return length;
  }

  public boolean isEmpty() {
    return length == 0;
  }

  public byte get(int index) {
    java.util.Objects.checkIndex(index, length);
    return bytes[offset + index];
  }

  public byte[] toArray() {
    return Arrays.copyOfRange(bytes, offset, offset + length);
  }

  /**
   * An array holding exactly these bytes, for code that only reads it: the backing array itself
   * when this value spans all of it (no copy), otherwise a copy. Never modify it.
   */
  public byte[] unsafeArray() {
    return offset == 0 && length == bytes.length ? bytes : toArray();
  }

  /** Copies these bytes into {@code target} at {@code position}. */
  public void copyTo(byte[] target, int position) {
    System.arraycopy(bytes, offset, target, position, length);
  }

  /** True if this value is a view of part of a larger array (see {@link #compact()}). */
  public boolean isView() {
    return offset != 0 || length != bytes.length;
  }

  /**
   * This value on an array of its own: for storing a small view for a long time without keeping its
   * whole backing array alive.
   */
  public Bytes compact() {
    return isView() ? new Bytes(toArray(), 0, length) : this;
  }

  public ByteBuffer asReadOnlyBuffer() {
    return ByteBuffer.wrap(bytes, offset, length).slice().asReadOnlyBuffer();
  }

  public String asUtf8() {
    return new String(bytes, offset, length, StandardCharsets.UTF_8);
  }

  public String toHex() {
    return HexFormat.of().formatHex(bytes, offset, offset + length);
  }

  @Override
  public boolean equals(Object o) {
    return this == o
        || (o instanceof Bytes other
            && Arrays.equals(
                bytes,
                offset,
                offset + length,
                other.bytes,
                other.offset,
                other.offset + other.length));
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0 && length > 0) {
      h = 1;
      for (int i = offset; i < offset + length; i++) {
        h = 31 * h + bytes[i];
      }
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    return length <= 32
        ? "Bytes[" + toHex() + "]"
        : "Bytes["
            + length
            + " bytes, "
            + HexFormat.of().formatHex(bytes, offset, offset + 16)
            + "...]";
  }
}
