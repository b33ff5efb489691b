package dev.stratus.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the MQTT data types (MQTT 5.0 §1.5) from a byte array, with a movable end so that a nested
 * structure (the properties) cannot read past its own length. Every length is checked against the
 * bytes that remain before anything is allocated, so a hostile length costs nothing.
 */
final class WireReader {
  private final byte[] a;
  private int pos;
  private int end;

  WireReader(byte[] a, int pos, int end) {
    this.a = a;
    this.pos = pos;
    this.end = end;
  }

  /** A reader at the same place, for a nested structure read by a method of its own. */
  WireReader fork() {
    return new WireReader(a, pos, end);
  }

  /** Continues where {@code fork}, made by {@link #fork}, stopped. */
  void moveTo(WireReader fork) {
    pos = fork.pos;
  }

  /** Consumes the next byte if it is 0 (an empty property length) and says whether it did. */
  boolean skipZeroByte() {
    if (pos < end && a[pos] == 0) {
      pos++;
      return true;
    }
    return false;
  }

  int remaining() {
    return end - pos;
  }

  boolean hasRemaining() {
    return pos < end;
  }

  /**
   * Narrows the end to {@code length} bytes from here and returns the previous end, for {@link
   * #restoreEnd}.
   */
  int narrow(int length, String field) throws MqttDecodeException {
    if (length > end - pos) {
      throw truncated(field);
    }
    int previous = end;
    end = pos + length;
    return previous;
  }

  void restoreEnd(int previous) {
    end = previous;
  }

  int u8(String field) throws MqttDecodeException {
    if (pos >= end) {
      throw truncated(field);
    }
    return a[pos++] & 0xFF;
  }

  int u16(String field) throws MqttDecodeException {
    if (end - pos < 2) {
      throw truncated(field);
    }
    int v = ((a[pos] & 0xFF) << 8) | (a[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  long u32(String field) throws MqttDecodeException {
    if (end - pos < 4) {
      throw truncated(field);
    }
    long v =
        ((long) (a[pos] & 0xFF) << 24)
            | ((a[pos + 1] & 0xFF) << 16)
            | ((a[pos + 2] & 0xFF) << 8)
            | (a[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  int vbi(String field) throws MqttDecodeException {
    int value = 0;
    for (int i = 0; ; i++) {
      int b = u8(field);
      value |= (b & 0x7F) << (7 * i);
      if (!VariableByteInteger.checkByte(i, b, field)) {
        return value;
      }
    }
  }

  /** A UTF-8 encoded string (§1.5.4), strictly validated. */
  String utf8(String field) throws MqttDecodeException {
    int len = u16(field);
    if (len > end - pos) {
      throw truncated(field);
    }
    String s = Utf8.decode(a, pos, len, field);
    pos += len;
    return s;
  }

  /**
   * A topic name (§4.7). Pure ASCII names without wildcards or U+0000, nearly all of them, are
   * checked in the same single pass that finds they are ASCII.
   *
   * @param allowEmpty true where a zero-length name is legal (a v5 PUBLISH with a topic alias)
   */
  TopicName topicName(String field, boolean allowEmpty) throws MqttDecodeException {
    int len = u16(field);
    if (len > end - pos) {
      throw truncated(field);
    }
    int from = pos;
    int to = from + len;
    boolean plain = true;
    for (int i = from; i < to; i++) {
      byte b = a[i];
      // '#' is 0x23, '+' is 0x2B; negative bytes are non-ASCII; 0 is U+0000
      if (b <= 0 || b == '#' || b == '+') {
        plain = false;
        break;
      }
    }
    pos = to;
    if (len == 0) {
      if (allowEmpty) {
        return TopicName.EMPTY;
      }
      return TopicName.decode("");
    }
    if (plain) {
      return TopicName.validated(new String(a, from, len, StandardCharsets.ISO_8859_1));
    }
    return TopicName.decode(Utf8.decode(a, from, len, field));
  }

  /** A topic filter (§4.7), validated by {@link TopicFilter#decode}. */
  TopicFilter topicFilter(String field) throws MqttDecodeException {
    return TopicFilter.decode(utf8(field));
  }

  /** Binary data (§1.5.6): a two byte length, then the bytes, copied once. */
  Bytes binary(String field) throws MqttDecodeException {
    int len = u16(field);
    return Bytes.wrap(bytes(len, field));
  }

  /** Copies the next {@code len} bytes. */
  byte[] bytes(int len, String field) throws MqttDecodeException {
    if (len > end - pos) {
      throw truncated(field);
    }
    byte[] copy = Arrays.copyOfRange(a, pos, pos + len);
    pos += len;
    return copy;
  }

  /**
   * Copies every byte up to the end (a PUBLISH payload). {@link Arrays#copyOfRange} is a JIT
   * intrinsic that skips zeroing the new array, which matters for large payloads.
   */
  Bytes rest() {
    if (pos == end) {
      return Bytes.EMPTY;
    }
    byte[] copy = Arrays.copyOfRange(a, pos, end);
    pos = end;
    return Bytes.wrap(copy);
  }

  /**
   * Every byte up to the end as a view of the array, without a copy: only for arrays handed over
   * for good ({@link PacketDecoder#decodeOwned}). A payload smaller than half the array is copied
   * after all, so that a small message kept for long (retained, queued) never holds a much larger
   * array alive.
   */
  Bytes restOwned() {
    int length = end - pos;
    if (length == 0 || length < a.length / 2) {
      return rest();
    }
    Bytes view = Bytes.wrap(a, pos, length);
    pos = end;
    return view;
  }

  /** Fails if bytes are left before the end: the remaining length claimed more than the packet. */
  void expectEnd(String packet) throws MqttDecodeException {
    if (pos != end) {
      throw MqttDecodeException.malformed(
          "[MQTT 5.0 §2.1.4] the remaining length of "
              + packet
              + " is "
              + (end - pos)
              + " byte(s) longer than its contents");
    }
  }

  private static MqttDecodeException truncated(String field) {
    return MqttDecodeException.malformed(
        "[MQTT 5.0 §2.1.4] the remaining length ends inside the " + field);
  }
}
