package dev.stratus.codec;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/** Test helper: byte fixtures written as annotated lines, {@code "00 04 // packet id"}. */
final class Wire {
  private Wire() {}

  /** Joins the lines, drops everything after {@code //} on each, and parses the hex. */
  static byte[] bytes(String... lines) {
    StringBuilder hex = new StringBuilder();
    for (String line : lines) {
      int comment = line.indexOf("//");
      hex.append((comment >= 0 ? line.substring(0, comment) : line).replaceAll("\\s+", ""));
    }
    return HexFormat.of().parseHex(hex);
  }

  static ByteBuffer buffer(String... lines) {
    return ByteBuffer.wrap(bytes(lines));
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
