package dev.stratus.bridge;

import java.nio.ByteBuffer;

/**
 * Incremental decoder for the client-to-server half of RFC 6455, specialised for MQTT over
 * WebSocket. Rules it enforces:
 *
 * <ul>
 *   <li>Client frames must be masked (RFC 6455 §5.1); the payload is unmasked in place and handed
 *       on as a view of the caller's buffer, so no frame is ever buffered whole.
 *   <li>MQTT is carried in binary frames only; a text frame closes the connection with 1003
 *       [MQTT-6.0.0-1].
 *   <li>A binary message may be fragmented into continuation frames, and control frames (ping,
 *       pong, close) may arrive between fragments (§5.4). MQTT packets may span frames and one
 *       frame may hold several packets [MQTT-6.0.0-2], [MQTT-6.0.0-3]: data frame boundaries mean
 *       nothing here, bytes are simply streamed to the MQTT framer.
 *   <li>Control frames have at most 125 bytes of payload and are never fragmented (§5.5).
 *   <li>Reserved bits and opcodes are refused with 1002 (no extension is negotiated).
 * </ul>
 *
 * <p>State survives across {@link #decode} calls, so a header split across TCP reads is fine. Not
 * thread-safe: one per connection, used by its reader.
 */
final class WebSocketDecoder {

  /** Receives what the decoder finds. */
  interface Handler {
    /** Unmasked bytes of a binary or continuation frame; false stops decoding. */
    boolean binary(ByteBuffer payload);

    /** A ping arrived; the pong must echo {@code payload} (§5.5.3). */
    void ping(byte[] payload);

    /**
     * The peer sent a close frame (code 1005 if it carried none), or the decoder found a protocol
     * error and the connection must be closed with {@code code}.
     */
    void close(int code, String reason);
  }

  static final int CLOSE_NORMAL = 1000;
  static final int CLOSE_PROTOCOL_ERROR = 1002;
  static final int CLOSE_UNSUPPORTED_DATA = 1003;
  static final int CLOSE_NO_STATUS = 1005;

  private static final int OP_CONTINUATION = 0x0;
  private static final int OP_TEXT = 0x1;
  private static final int OP_BINARY = 0x2;
  private static final int OP_CLOSE = 0x8;
  private static final int OP_PING = 0x9;
  private static final int OP_PONG = 0xA;

  private enum State {
    FIRST_BYTE,
    LENGTH_BYTE,
    EXTENDED_LENGTH,
    MASK,
    PAYLOAD
  }

  private State state = State.FIRST_BYTE;
  private int opcode;
  private boolean fin;
  private boolean inFragmentedMessage;
  private int headerBytesLeft;
  private long accumulator;
  private int mask;
  private int maskOffset;
  private long payloadLeft;
  // Control frame payloads are collected here (at most 125 bytes); allocated only when one comes.
  private byte[] control;
  private int controlLength;

  /**
   * Decodes {@code length} bytes of {@code buffer} from {@code offset}. Returns false once the
   * connection must stop reading: the handler stopped it, or {@link Handler#close} was called.
   */
  boolean decode(byte[] buffer, int offset, int length, Handler handler) {
    int i = offset;
    int end = offset + length;
    while (i < end) {
      switch (state) {
        case FIRST_BYTE -> {
          int b = buffer[i++] & 0xFF;
          if (!firstByte(b, handler)) {
            return false;
          }
        }
        case LENGTH_BYTE -> {
          int b = buffer[i++] & 0xFF;
          if ((b & 0x80) == 0) {
            handler.close(CLOSE_PROTOCOL_ERROR, "client frames must be masked (RFC 6455 5.1)");
            return false;
          }
          int len = b & 0x7F;
          if (isControl() && len > 125) {
            handler.close(CLOSE_PROTOCOL_ERROR, "control frame longer than 125 bytes");
            return false;
          }
          accumulator = 0;
          if (len == 126) {
            headerBytesLeft = 2;
            state = State.EXTENDED_LENGTH;
          } else if (len == 127) {
            headerBytesLeft = 8;
            state = State.EXTENDED_LENGTH;
          } else {
            startMask(len);
          }
        }
        case EXTENDED_LENGTH -> {
          accumulator = (accumulator << 8) | (buffer[i++] & 0xFF);
          if (--headerBytesLeft == 0) {
            if (accumulator < 0) {
              handler.close(
                  CLOSE_PROTOCOL_ERROR, "payload length has the most significant bit set");
              return false;
            }
            startMask(accumulator);
          }
        }
        case MASK -> {
          mask = (mask << 8) | (buffer[i++] & 0xFF);
          if (--headerBytesLeft == 0) {
            maskOffset = 0;
            controlLength = 0;
            if (payloadLeft == 0) {
              if (!frameEnd(handler)) {
                return false;
              }
            } else {
              state = State.PAYLOAD;
            }
          }
        }
        case PAYLOAD -> {
          int n = (int) Math.min(end - i, payloadLeft);
          unmask(buffer, i, n);
          payloadLeft -= n;
          if (isControl()) {
            if (control == null) {
              control = new byte[125];
            }
            System.arraycopy(buffer, i, control, controlLength, n);
            controlLength += n;
          } else if (!handler.binary(ByteBuffer.wrap(buffer, i, n))) {
            return false;
          }
          i += n;
          if (payloadLeft == 0 && !frameEnd(handler)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  private boolean firstByte(int b, Handler handler) {
    if ((b & 0x70) != 0) {
      handler.close(CLOSE_PROTOCOL_ERROR, "reserved bits set without a negotiated extension");
      return false;
    }
    fin = (b & 0x80) != 0;
    opcode = b & 0x0F;
    switch (opcode) {
      case OP_TEXT -> {
        handler.close(
            CLOSE_UNSUPPORTED_DATA, "[MQTT-6.0.0-1] MQTT control packets must be sent in binary");
        return false;
      }
      case OP_BINARY -> {
        if (inFragmentedMessage) {
          handler.close(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented message");
          return false;
        }
        inFragmentedMessage = !fin;
      }
      case OP_CONTINUATION -> {
        if (!inFragmentedMessage) {
          handler.close(CLOSE_PROTOCOL_ERROR, "continuation frame without a message to continue");
          return false;
        }
        inFragmentedMessage = !fin;
      }
      case OP_CLOSE, OP_PING, OP_PONG -> {
        if (!fin) {
          handler.close(CLOSE_PROTOCOL_ERROR, "fragmented control frame");
          return false;
        }
      }
      default -> {
        handler.close(CLOSE_PROTOCOL_ERROR, "unknown opcode " + opcode);
        return false;
      }
    }
    state = State.LENGTH_BYTE;
    return true;
  }

  private void startMask(long payloadLength) {
    payloadLeft = payloadLength;
    headerBytesLeft = 4;
    mask = 0;
    state = State.MASK;
  }

  private boolean isControl() {
    return (opcode & 0x8) != 0;
  }

  private void unmask(byte[] buffer, int from, int count) {
    int m = mask;
    int k = maskOffset;
    for (int j = from, end = from + count; j < end; j++) {
      buffer[j] ^= (byte) (m >>> (24 - ((k & 3) << 3)));
      k++;
    }
    maskOffset = k & 3;
  }

  private boolean frameEnd(Handler handler) {
    state = State.FIRST_BYTE;
    switch (opcode) {
      case OP_PING -> {
        byte[] payload = new byte[controlLength];
        if (controlLength > 0) {
          System.arraycopy(control, 0, payload, 0, controlLength);
        }
        handler.ping(payload);
      }
      case OP_CLOSE -> {
        // A close frame carries an optional 2-byte status code then a UTF-8 reason (§5.5.1).
        if (controlLength == 1) {
          handler.close(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload");
        } else if (controlLength >= 2) {
          handler.close(((control[0] & 0xFF) << 8) | (control[1] & 0xFF), "closed by the client");
        } else {
          handler.close(CLOSE_NO_STATUS, "closed by the client");
        }
        return false;
      }
      default -> {
        // Pongs need no answer; data frames have streamed their payload already.
      }
    }
    return true;
  }
}
