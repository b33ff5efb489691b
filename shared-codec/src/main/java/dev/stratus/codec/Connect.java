package dev.stratus.codec;

import java.util.Objects;

/**
 * CONNECT. {@code cleanStart} is "clean session" in 3.1/3.1.1. {@code username} and {@code
 * password} are null when absent; {@code will} is null when the will flag is 0.
 */
public record Connect(
    MqttVersion version,
    String clientId,
    boolean cleanStart,
    int keepAliveSeconds,
    String username,
    Bytes password,
    Will will,
    Properties properties)
    implements Packet {
  public Connect {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(properties, "properties");
  }

  @Override
  public PacketType type() {
    return PacketType.CONNECT;
  }
}
