package dev.stratus.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Immutable binary data with content equality: payloads, passwords, correlation and authentication
 * data. The array is never exposed for writing; {@link #unsafeArray()} is for encoders only.
 */
public final class Bytes {
  public static final Bytes EMPTY = new Bytes(new byte[0]);

  private final byte[] bytes;
  private int hash;

  private Bytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies the array. */
  public static Bytes of(byte[] bytes) {
    return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone());
  }

  /** Takes ownership of the array: the caller must not change it afterwards. */
  public static Bytes wrap(byte[] bytes) {
    return bytes.length == 0 ? EMPTY : new Bytes(bytes);
  }

  public static Bytes utf8(String text) {
    return wrap(text.getBytes(StandardCharsets.UTF_8));
  }

  public static Bytes fromHex(String hex) {
    return wrap(HexFormat.of().parseHex(hex));
  }

  public int length() {
    return bytes.length;
  }

  public boolean isEmpty() {
    return bytes.length == 0;
  }

  public byte get(int index) {
    return bytes[index];
  }

  public byte[] toArray() {
    return bytes.clone();
  }

  /** The backing array, for encoders and transports that only read it. Never modify it. */
  public byte[] unsafeArray() {
    return bytes;
  }

  public ByteBuffer asReadOnlyBuffer() {
    return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
  }

  public String asUtf8() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  public String toHex() {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return this == o || (o instanceof Bytes other && Arrays.equals(bytes, other.bytes));
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0 && bytes.length > 0) {
      h = Arrays.hashCode(bytes);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    return bytes.length <= 32
        ? "Bytes[" + toHex() + "]"
        : "Bytes[" + bytes.length + " bytes, " + HexFormat.of().formatHex(bytes, 0, 16) + "...]";
  }
}
