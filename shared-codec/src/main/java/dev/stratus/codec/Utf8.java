package dev.stratus.codec;

/** UTF-8 length without encoding; the codec's decoder does the strict validation. */
public final class Utf8 {
  private Utf8() {}

  /** The number of bytes {@code s} takes in UTF-8 (unpaired surrogates count as 3, like '?'). */
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
}
