package dev.stratus.core.auth;

import java.util.Map;

/** Decides whether a CONNECT may proceed. Called once per CONNECT, possibly concurrently. */
@FunctionalInterface
public interface Authenticator {

  AuthResult authenticate(ConnectRequest request);

  /**
   * Counters the engine publishes under {@code $SYS/broker/security/<name>} with its own (e.g.
   * {@code logins/failed}), in a stable order; none by default.
   */
  default Map<String, Long> counters() {
    return Map.of();
  }

  /**
   * Accepts everyone. The engine refuses to run with it unless {@code
   * BrokerConfig.developmentMode()} is true.
   */
  Authenticator ALLOW_ALL = request -> AuthResult.ACCEPTED;
}
