package dev.stratus.core.auth;

import dev.stratus.codec.ReasonCode;
import java.util.Objects;
import java.util.Set;

/** The outcome of {@link Authenticator#authenticate}. */
public sealed interface AuthResult {

  /** Accepted as the user name the CONNECT carried, with no roles. */
  AuthResult ACCEPTED = new Accepted(null, Set.of());

  /** Accepted as this user with these roles. */
  static AuthResult accepted(String username, Set<String> roles) {
    return new Accepted(Objects.requireNonNull(username, "username"), roles);
  }

  /**
   * The client may connect.
   *
   * @param username the principal: the name the authorizer, ACL patterns ({@code %u}) and the
   *     takeover check use; null means the CONNECT's own user name (null for anonymous clients)
   * @param roles the principal's roles, for role ACL rules
   */
  record Accepted(String username, Set<String> roles) implements AuthResult {
    public Accepted {
      roles = Set.copyOf(roles);
    }
  }

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
