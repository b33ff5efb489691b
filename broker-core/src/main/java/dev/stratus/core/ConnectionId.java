package dev.stratus.core;

import java.util.Objects;

/**
 * Identifies one network connection on one edge: an API Gateway connection id, or a bridge task's
 * own id for the sockets it holds. Unique across edges (bridge ids carry the task's prefix).
 */
public record ConnectionId(String value) {
  public ConnectionId {
    Objects.requireNonNull(value, "value");
  }

  @Override
  public String toString() {
    return value;
  }
}
