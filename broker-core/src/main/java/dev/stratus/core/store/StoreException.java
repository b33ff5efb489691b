package dev.stratus.core.store;

/**
 * A store could not complete an operation, after whatever retrying its implementation does (a
 * remote store throttled or unreachable). The state the operation meant to change may or may not
 * have changed. The engine never acknowledges a message whose storing failed this way: it closes
 * the connection instead, so the client resends it after reconnecting [MQTT-4.4.0-1].
 */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
