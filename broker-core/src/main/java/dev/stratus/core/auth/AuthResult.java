package dev.stratus.core.auth;

import dev.stratus.codec.ReasonCode;
import java.util.Objects;

/** The outcome of {@link Authenticator#authenticate}. */
public sealed interface AuthResult {

  AuthResult ACCEPTED = new Accepted();

  /** The client may connect. */
  record Accepted() implements AuthResult {}

  /**
   * The client is refused with this CONNACK reason, e.g. {@link
   * ReasonCode#BAD_USER_NAME_OR_PASSWORD} or {@link ReasonCode#NOT_AUTHORIZED}; 3.1.1 clients get
   * its return code equivalent.
   */
  record Refused(ReasonCode reason) implements AuthResult {
    public Refused {
      Objects.requireNonNull(reason, "reason");
      if (!reason.isError()) {
        throw new IllegalArgumentException("a refusal needs an error reason: " + reason);
      }
    }
  }
}
