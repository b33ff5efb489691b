package dev.stratus.codec;

import java.nio.ByteBuffer;

/** Decodes one whole packet (as {@link Framer} delivers it) with full validation. */
public final class PacketDecoder {
  private PacketDecoder() {}

  /**
   * Decodes {@code packet}, which holds exactly one packet, fixed header included.
   *
   * @param version the version negotiated by the connection's CONNECT; null before CONNECT, when
   *     only a CONNECT is accepted [MQTT-3.1.0-1] (CONNECT carries its own version)
   * @throws MqttDecodeException with the reason code the spec asks for and a message naming the
   *     rule; never any other exception, whatever the bytes
   */
  public static Packet decode(ByteBuffer packet, MqttVersion version) throws MqttDecodeException {
    throw new UnsupportedOperationException("not yet implemented");
  }
}
