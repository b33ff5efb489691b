package dev.stratus.bridge;

/** The transports the bridge listens on. */
public enum Protocol {
  /** Plain MQTT over TCP (usually port 1883). */
  TCP("tcp"),
  /** MQTT over TLS (usually port 8883). */
  TLS("tls"),
  /** MQTT over WebSocket, binary frames, path {@code /mqtt} [MQTT-6.0.0-1]. */
  WS("ws");

  private final String label;

  Protocol(String label) {
    this.label = label;
  }

  /** The short name used in logs, edge names and the {@code listening ...} lines. */
  public String label() {
    return label;
  }
}
