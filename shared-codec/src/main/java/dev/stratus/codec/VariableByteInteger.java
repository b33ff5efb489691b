package dev.stratus.codec;

/**
 * The variable byte integer of MQTT (MQTT 5.0 §1.5.5): 7 bits per byte, least significant group
 * first, the high bit saying "more bytes follow". At most 4 bytes, so at most 268,435,455; and the
 * encoding must be the shortest one [MQTT-1.5.5-1], which forbids a last byte of 0 after the first.
 */
final class VariableByteInteger {
  /** The largest value 4 bytes can carry. */
  static final int MAX = 268_435_455;

  private VariableByteInteger() {}

  /** The number of bytes {@code value} (0..{@link #MAX}) takes. */
  static int size(int value) {
    if (value < 128) {
      return 1;
    } else if (value < 16_384) {
      return 2;
    } else if (value < 2_097_152) {
      return 3;
    } else {
      return 4;
    }
  }

  /**
   * Checks the byte at position {@code index} (0-based) of an encoding and returns the "continue"
   * decision: true if more bytes follow.
   *
   * @throws MqttDecodeException a fifth byte, or a non-minimal encoding [MQTT-1.5.5-1]
   */
  static boolean checkByte(int index, int b, String field) throws MqttDecodeException {
    if (index == 3 && (b & 0x80) != 0) {
      throw MqttDecodeException.malformed(
          "[MQTT-1.5.5-1] " + field + " is a variable byte integer longer than 4 bytes");
    }
    if (index > 0 && b == 0) {
      throw MqttDecodeException.malformed(
          "[MQTT-1.5.5-1] " + field + " is not encoded in the minimum number of bytes");
    }
    return (b & 0x80) != 0;
  }
}
