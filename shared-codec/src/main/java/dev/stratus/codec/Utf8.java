package dev.stratus.codec;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 as MQTT uses it (MQTT 5.0 §1.5.4): the encoded length without encoding, and a strict
 * decoder that refuses what the spec forbids.
 *
 * <p>The decoder rejects, with reason Malformed Packet: U+0000 [MQTT-1.5.4-2]; surrogate code
 * points U+D800..U+DFFF [MQTT-1.5.4-1]; overlong forms, stray continuation bytes, truncated
 * sequences and code points above U+10FFFF (ill-formed UTF-8 [MQTT-1.5.4-1]). Strings that are pure
 * ASCII, nearly every topic and client id, take a single pass and a Latin-1 copy.
 */
public final class Utf8 {
  private Utf8() {}

  /**
   * The number of bytes {@code s} takes in UTF-8. An unpaired surrogate counts as 3 bytes: the
   * encoder writes it as U+FFFD, the replacement character.
   */
  public static int encodedLength(String s) {
    int n = s.length();
    int bytes = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        if (c < 0x800) {
          bytes += 1;
        } else if (Character.isHighSurrogate(c)
            && i + 1 < n
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          bytes += 2; // 4 bytes for the pair of 2 chars
          i++;
        } else {
          bytes += 2;
        }
      }
    }
    return bytes;
  }

  /**
   * Decodes {@code len} bytes at {@code off} as a strict MQTT UTF-8 string.
   *
   * @param field what the string is, for the error message
   * @throws MqttDecodeException reason Malformed Packet, naming the broken rule
   */
  static String decode(byte[] a, int off, int len, String field) throws MqttDecodeException {
    int end = off + len;
    for (int i = off; i < end; i++) {
      byte b = a[i];
      if (b <= 0) { // U+0000 or the first non-ASCII byte
        validateFrom(a, i, end, field);
        return new String(a, off, len, StandardCharsets.UTF_8);
      }
    }
    return new String(a, off, len, StandardCharsets.ISO_8859_1);
  }

  /**
   * Checks that {@code a[from..end)} is well-formed UTF-8 without U+0000.
   *
   * @throws MqttDecodeException reason Malformed Packet
   */
  static void validateFrom(byte[] a, int from, int end, String field) throws MqttDecodeException {
    int i = from;
    while (i < end) {
      int b = a[i] & 0xFF;
      if (b == 0) {
        throw MqttDecodeException.malformed(
            "[MQTT-1.5.4-2] " + field + " must not contain the null character U+0000");
      }
      if (b < 0x80) {
        i++;
        continue;
      }
      int need;
      int min1 = 0x80; // allowed range of the second byte, which catches overlong forms,
      int max1 = 0xBF; // surrogates and code points above U+10FFFF in one comparison
      if (b < 0xC2) {
        // 0x80..0xBF: a continuation byte cannot start a character; 0xC0, 0xC1: overlong forms
        throw illFormed(field, b < 0xC0 ? "a stray continuation byte" : "an overlong encoding");
      } else if (b < 0xE0) {
        need = 1;
      } else if (b < 0xF0) {
        need = 2;
        if (b == 0xE0) {
          min1 = 0xA0;
        } else if (b == 0xED) {
          max1 = 0x9F;
        }
      } else if (b < 0xF5) {
        need = 3;
        if (b == 0xF0) {
          min1 = 0x90;
        } else if (b == 0xF4) {
          max1 = 0x8F;
        }
      } else {
        throw illFormed(field, "a code point above U+10FFFF");
      }
      if (i + need >= end) { // the sequence's last byte would be past the string
        throw illFormed(field, "a truncated sequence");
      }
      int b1 = a[i + 1] & 0xFF;
      if (b1 < min1 || b1 > max1) {
        if (b == 0xED && b1 >= 0xA0 && b1 <= 0xBF) {
          throw MqttDecodeException.malformed(
              "[MQTT-1.5.4-1] " + field + " must not encode a surrogate code point");
        }
        throw illFormed(
            field,
            b1 >= 0x80 && b1 <= 0xBF
                ? (b == 0xF4 ? "a code point above U+10FFFF" : "an overlong encoding")
                : "a truncated sequence");
      }
      for (int k = 2; k <= need; k++) {
        int bk = a[i + k] & 0xFF;
        if (bk < 0x80 || bk > 0xBF) {
          throw illFormed(field, "a truncated sequence");
        }
      }
      i += need + 1;
    }
  }

  private static MqttDecodeException illFormed(String field, String what) {
    return MqttDecodeException.malformed(
        "[MQTT-1.5.4-1] " + field + " is ill-formed UTF-8: " + what);
  }

  /** True if {@code s} is pure ASCII (then its UTF-8 length is its length). */
  static boolean isAscii(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
