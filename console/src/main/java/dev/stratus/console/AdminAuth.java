package dev.stratus.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;

/**
 * Decides whether a request may use the admin API. The console's static files are public (they hold
 * no data); every {@code /api/} request passes through {@link #authenticate} first.
 *
 * <p>The seam for the security module: a user store with roles implements {@link CredentialChecker}
 * (user name and password, true only for users holding the admin role) and plugs in with {@link
 * #basic(CredentialChecker)}, or implements this interface directly (e.g. to accept a signed
 * token).
 */
public interface AdminAuth {

  /**
   * The principal the request acts as (for logs and the page's "signed in as"), or null to refuse
   * it with 401.
   *
   * @param authorization the request's {@code Authorization} header, or null
   */
  String authenticate(String authorization);

  /** The scheme named in {@code WWW-Authenticate} on a 401: {@code Basic} or {@code Bearer}. */
  String scheme();

  /** One line for the start-up log, never containing a secret. */
  String describe();

  /** Checks a user name and password, e.g. against users holding an admin role. */
  @FunctionalInterface
  interface CredentialChecker {
    boolean check(String user, String password);
  }

  /**
   * No authentication: only when the stack runs in development mode; otherwise an {@link
   * IllegalStateException}, so a production stack cannot expose its admin API by accident.
   */
  static AdminAuth none(boolean developmentMode) {
    if (!developmentMode) {
      throw new IllegalStateException(
          "the admin API without authentication is allowed in development mode only");
    }
    return new AdminAuth() {
      @Override
      public String authenticate(String authorization) {
        return "anonymous";
      }

      @Override
      public String scheme() {
        return "None";
      }

      @Override
      public String describe() {
        return "admin API without authentication (development mode)";
      }
    };
  }

  /** {@code Authorization: Bearer <token>} with this token. */
  static AdminAuth bearer(String token) {
    Objects.requireNonNull(token, "token");
    if (token.length() < 16) {
      throw new IllegalArgumentException("an admin token needs at least 16 characters");
    }
    byte[] expected = token.getBytes(StandardCharsets.UTF_8);
    return new AdminAuth() {
      @Override
      public String authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
          return null;
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        // constant time: the comparison must not tell how many leading characters were right
        return MessageDigest.isEqual(expected, given) ? "token" : null;
      }

      @Override
      public String scheme() {
        return "Bearer";
      }

      @Override
      public String describe() {
        return "admin API with a bearer token";
      }
    };
  }

  /** {@code Authorization: Basic} with exactly this user name and password. */
  static AdminAuth basic(String user, String password) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    byte[] u = user.getBytes(StandardCharsets.UTF_8);
    byte[] p = password.getBytes(StandardCharsets.UTF_8);
    return basic(
        (givenUser, givenPassword) ->
            // both compared, always, in constant time
            MessageDigest.isEqual(u, givenUser.getBytes(StandardCharsets.UTF_8))
                & MessageDigest.isEqual(p, givenPassword.getBytes(StandardCharsets.UTF_8)));
  }

  /** {@code Authorization: Basic} checked by {@code checker} (RFC 7617). */
  static AdminAuth basic(CredentialChecker checker) {
    Objects.requireNonNull(checker, "checker");
    return new AdminAuth() {
      @Override
      public String authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
          return null;
        }
        String decoded;
        try {
          decoded =
              new String(
                  Base64.getDecoder().decode(authorization.substring(6).trim()),
                  StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
          return null;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
          return null;
        }
        String user = decoded.substring(0, colon);
        return checker.check(user, decoded.substring(colon + 1)) ? user : null;
      }

      @Override
      public String scheme() {
        return "Basic";
      }

      @Override
      public String describe() {
        return "admin API with basic credentials";
      }
    };
  }
}
