package dev.stratus.codec;

/**
 * Writes the MQTT data types (MQTT 5.0 §1.5) into an array sized beforehand by the encoder. It does
 * no bounds checks of its own beyond the JVM's: a wrong size computation is a bug that the array
 * index check reports.
 */
final class WireWriter {
  private final byte[] a;
  private int pos;

  WireWriter(byte[] a) {
    this.a = a;
  }

  int position() {
    return pos;
  }

  byte[] array() {
    return a;
  }

  void u8(int v) {
    a[pos++] = (byte) v;
  }

  void u16(int v) {
    a[pos] = (byte) (v >>> 8);
    a[pos + 1] = (byte) v;
    pos += 2;
  }

  void u32(long v) {
    a[pos] = (byte) (v >>> 24);
    a[pos + 1] = (byte) (v >>> 16);
    a[pos + 2] = (byte) (v >>> 8);
    a[pos + 3] = (byte) v;
    pos += 4;
  }

  void vbi(int v) {
    do {
      int b = v & 0x7F;
      v >>>= 7;
      a[pos++] = (byte) (v > 0 ? b | 0x80 : b);
    } while (v > 0);
  }

  /**
   * A UTF-8 encoded string: the characters are written first, then the two byte length in front of
   * them, so the string is scanned once. Unpaired surrogates become U+FFFD, as {@link
   * Utf8#encodedLength} counts them.
   */
  void utf8(String s) {
    int start = pos;
    pos += 2;
    int n = s.length();
    int i = 0;
    // ASCII prefix, nearly always the whole string
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        break;
      }
      a[pos++] = (byte) c;
    }
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        a[pos++] = (byte) c;
      } else if (c < 0x800) {
        a[pos++] = (byte) (0xC0 | (c >>> 6));
        a[pos++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        a[pos++] = (byte) (0xF0 | (cp >>> 18));
        a[pos++] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
        a[pos++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
        a[pos++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        int cp = Character.isSurrogate(c) ? 0xFFFD : c;
        a[pos++] = (byte) (0xE0 | (cp >>> 12));
        a[pos++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
        a[pos++] = (byte) (0x80 | (cp & 0x3F));
      }
    }
    int len = pos - start - 2;
    a[start] = (byte) (len >>> 8);
    a[start + 1] = (byte) len;
  }

  /** Binary data: a two byte length, then the bytes. */
  void binary(Bytes b) {
    u16(b.length());
    raw(b);
  }

  /** The bytes with no length (a PUBLISH payload). */
  void raw(Bytes b) {
    b.copyTo(a, pos);
    pos += b.length();
  }
}
