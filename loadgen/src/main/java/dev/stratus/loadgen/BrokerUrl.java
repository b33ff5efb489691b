package dev.stratus.loadgen;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where the broker under test listens: {@code mqtt://host:port} (plain TCP, default port 1883) or
 * {@code ws://host:port/path} (MQTT over a binary WebSocket, default port 80, default path {@code
 * /mqtt}).
 */
public record BrokerUrl(Kind kind, String host, int port, String path) {

  /** The two transports the load generator speaks. */
  public enum Kind {
    TCP,
    WS
  }

  /** Parses a URL; throws {@link IllegalArgumentException} with a one-line reason. */
  public static BrokerUrl parse(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: '" + text + "'");
    }
    String scheme = uri.getScheme();
    if (scheme == null || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "expected mqtt://host:port or ws://host:port/path, got '" + text + "'");
    }
    return switch (scheme) {
      case "mqtt", "tcp" ->
          new BrokerUrl(Kind.TCP, uri.getHost(), uri.getPort() < 0 ? 1883 : uri.getPort(), "");
      case "ws" ->
          new BrokerUrl(
              Kind.WS,
              uri.getHost(),
              uri.getPort() < 0 ? 80 : uri.getPort(),
              uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/mqtt" : uri.getRawPath());
      default ->
          throw new IllegalArgumentException(
              "unsupported scheme '" + scheme + "' (mqtt:// or ws:// only)");
    };
  }

  /** "tcp" or "ws", as the reports name the transport. */
  public String transportName() {
    return kind == Kind.TCP ? "tcp" : "ws";
  }

  @Override
  public String toString() {
    return kind == Kind.TCP ? "mqtt://" + host + ":" + port : "ws://" + host + ":" + port + path;
  }
}
