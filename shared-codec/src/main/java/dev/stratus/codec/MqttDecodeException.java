package dev.stratus.codec;

/**
 * The one exception the codec throws for bad input. It carries the MQTT 5 reason code the spec asks
 * for (usually {@link ReasonCode#MALFORMED_PACKET} or {@link ReasonCode#PROTOCOL_ERROR}) and a
 * message that names the rule, e.g. {@code "[MQTT-3.3.1-4] QoS 3 is not allowed"}. The transport
 * decides what the code means on its wire: a v5 DISCONNECT with the reason, or a plain close for
 * 3.1.1 [MQTT-4.13.1-1].
 *
 * <p>Built without a stack trace: bad input is expected, not a bug, and a hostile client must not
 * be able to make the broker spend time filling in stack frames.
 */
public final class MqttDecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ReasonCode reasonCode;

  public MqttDecodeException(ReasonCode reasonCode, String message) {
    super(message, null, false, false);
    this.reasonCode = reasonCode;
  }

  public ReasonCode reasonCode() {
    return reasonCode;
  }

  /** A packet that breaks the wire format [MQTT-4.13.1-1]. */
  public static MqttDecodeException malformed(String message) {
    return new MqttDecodeException(ReasonCode.MALFORMED_PACKET, message);
  }

  /** A well-formed packet that breaks a protocol rule. */
  public static MqttDecodeException protocolError(String message) {
    return new MqttDecodeException(ReasonCode.PROTOCOL_ERROR, message);
  }

  /** A packet above the maximum packet size the receiver accepts [MQTT-3.1.2-24]. */
  public static MqttDecodeException tooLarge(String message) {
    return new MqttDecodeException(ReasonCode.PACKET_TOO_LARGE, message);
  }

  /** The reason code, then the message: {@code "MALFORMED_PACKET: [MQTT-...] ..."}. */
  @Override
  public String toString() {
    return reasonCode + ": " + getMessage();
  }
}
