package dev.stratus.core.auth.jwt;

/** A token was refused; the message says why (for logs, never sent to the client). */
public final class JwtException extends Exception {
  public JwtException(String message) {
    super(message, null, false, false);
  }
}
