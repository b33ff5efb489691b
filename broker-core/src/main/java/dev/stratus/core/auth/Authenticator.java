package dev.stratus.core.auth;

/** Decides whether a CONNECT may proceed. Called once per CONNECT, possibly concurrently. */
@FunctionalInterface
public interface Authenticator {

  AuthResult authenticate(ConnectRequest request);

  /**
   * Accepts everyone. The engine refuses to run with it unless {@code
   * BrokerConfig.developmentMode()} is true.
   */
  Authenticator ALLOW_ALL = request -> AuthResult.ACCEPTED;
}
