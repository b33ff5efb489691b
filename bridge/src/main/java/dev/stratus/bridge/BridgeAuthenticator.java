package dev.stratus.bridge;

import dev.stratus.core.auth.AuthResult;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.ConnectRequest;
import dev.stratus.core.auth.LoginThrottle;
import dev.stratus.core.auth.Security;

/**
 * {@link Security}'s authenticator, plus the one thing it does not know: password-file lines in the
 * old unsalted SHA-256 form ({@link PasswordFile}). Only a CONNECT that names such a user with a
 * matching password, without a client certificate, is accepted here (as that user, without roles);
 * everything else, a wrong password for such a user included, goes to {@code Security}, so
 * refusals, failure counting and lockout are the same for every user. A locked user or address is
 * never checked here.
 */
final class BridgeAuthenticator implements Authenticator {
  private final Authenticator security;
  private final LoginThrottle throttle;
  private final PasswordFile passwords;

  BridgeAuthenticator(Security security, PasswordFile passwords) {
    this.security = security.authenticator();
    this.throttle = security.throttle();
    this.passwords = passwords;
  }

  /**
   * Security's authenticator alone when no SHA-256 line needs checking, else this wrapper.
   *
   * @param passwords the password file, or null
   */
  static Authenticator of(Security security, PasswordFile passwords) {
    return passwords == null || passwords.sha256Users().isEmpty()
        ? security.authenticator()
        : new BridgeAuthenticator(security, passwords);
  }

  @Override
  public AuthResult authenticate(ConnectRequest r) {
    if (r.certificateSubject() == null
        && r.bearerToken() == null
        && passwords.hasSha256(r.username())
        && !throttle.isLocked(r.username(), r.remoteAddress())
        && passwords.sha256Matches(r.username(), r.password())) {
      throttle.succeeded(r.username(), r.remoteAddress());
      return AuthResult.accepted(r.username(), java.util.Set.of());
    }
    return security.authenticate(r);
  }
}
