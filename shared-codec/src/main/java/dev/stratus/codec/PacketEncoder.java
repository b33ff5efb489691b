package dev.stratus.codec;

/** Encodes packets: computes the exact size first, then writes once into a buffer of that size. */
public final class PacketEncoder {
  private PacketEncoder() {}

  /**
   * The number of bytes {@code packet} takes on the wire in {@code version}, fixed header included.
   */
  public static int encodedSize(Packet packet, MqttVersion version) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /** Encodes {@code packet} for {@code version} into a new, exactly sized array. */
  public static byte[] encode(Packet packet, MqttVersion version) {
    throw new UnsupportedOperationException("not yet implemented");
  }

  /**
   * Encodes {@code packet}, refusing it when it exceeds the receiver's maximum packet size
   * [MQTT-3.1.2-24], [MQTT-3.1.2-25].
   *
   * @throws PacketTooLargeException when the encoded size is above {@code maximumPacketSize}
   */
  public static byte[] encode(Packet packet, MqttVersion version, long maximumPacketSize) {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
