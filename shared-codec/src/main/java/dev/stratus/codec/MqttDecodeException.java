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
  private final MqttVersion connectVersion;

  public MqttDecodeException(ReasonCode reasonCode, String message) {
    this(reasonCode, message, null);
  }

  /** A failure inside a CONNECT whose protocol name and level said {@code connectVersion}. */
  public MqttDecodeException(ReasonCode reasonCode, String message, MqttVersion connectVersion) {
    super(message, null, false, false);
    this.reasonCode = reasonCode;
    this.connectVersion = connectVersion;
  }

  public ReasonCode reasonCode() {
    return reasonCode;
  }

  /**
   * The protocol version of a CONNECT that failed to decode after its protocol name and level were
   * read, so that the server can answer in that version's CONNACK format (MQTT 5.0 §3.1.4: "the
   * Server MAY send a CONNACK with a Reason Code of 0x80 or greater" before closing); null when the
   * failing packet was not a CONNECT or its version was not known yet.
   */
  public MqttVersion connectVersion() {
    return connectVersion;
  }

  /** This failure, as part of a CONNECT whose protocol name and level said {@code version}. */
  MqttDecodeException inConnect(MqttVersion version) {
    return new MqttDecodeException(reasonCode, getMessage(), version);
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
