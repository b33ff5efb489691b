package dev.stratus.bridge;

/** Server-to-client WebSocket frames: unmasked (RFC 6455 §5.1), never fragmented. */
final class WebSocketFrames {
  static final int OP_BINARY = 0x2;
  static final int OP_CLOSE = 0x8;
  static final int OP_PONG = 0xA;

  private WebSocketFrames() {}

  static int headerLength(int payloadLength) {
    if (payloadLength < 126) {
      return 2;
    }
    return payloadLength <= 0xFFFF ? 4 : 10;
  }

  /** Writes a FIN frame header into {@code into} at {@code at}; returns its length. */
  static int writeHeader(byte[] into, int at, int opcode, int payloadLength) {
    into[at] = (byte) (0x80 | opcode);
    if (payloadLength < 126) {
      into[at + 1] = (byte) payloadLength;
      return 2;
    }
    if (payloadLength <= 0xFFFF) {
      into[at + 1] = 126;
      into[at + 2] = (byte) (payloadLength >>> 8);
      into[at + 3] = (byte) payloadLength;
      return 4;
    }
    into[at + 1] = 127;
    for (int i = 0; i < 8; i++) {
      into[at + 2 + i] = (byte) (i < 4 ? 0 : payloadLength >>> (8 * (7 - i)));
    }
    return 10;
  }

  static byte[] frame(int opcode, byte[] payload) {
    byte[] out = new byte[headerLength(payload.length) + payload.length];
    int at = writeHeader(out, 0, opcode, payload.length);
    System.arraycopy(payload, 0, out, at, payload.length);
    return out;
  }

  /** A close frame carrying only a status code (RFC 6455 §5.5.1). */
  static byte[] close(int code) {
    return frame(OP_CLOSE, new byte[] {(byte) (code >>> 8), (byte) code});
  }
}
