package dev.stratus.console;

import java.util.Objects;

/**
 * An edge the console's connect form offers, prefilled with its URL.
 *
 * @param kind {@code ws} for the bridge's standard MQTT-over-WebSocket (binary frames, subprotocol
 *     {@code mqtt}), {@code apigw} for the API Gateway edge (the text profile through the project's
 *     adapter)
 * @param label what the form shows, e.g. {@code bridge WebSocket}
 * @param url the WebSocket URL, e.g. {@code ws://127.0.0.1:8083/mqtt}
 */
public record Edge(String kind, String label, String url) {
  public Edge {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(url, "url");
    if (!kind.equals("ws") && !kind.equals("apigw")) {
      throw new IllegalArgumentException("edge kind must be ws or apigw, was " + kind);
    }
  }

  public static Edge bridgeWebSocket(String url) {
    return new Edge("ws", "bridge WebSocket (standard MQTT)", url);
  }

  public static Edge apiGateway(String url) {
    return new Edge("apigw", "API Gateway (text profile)", url);
  }
}
