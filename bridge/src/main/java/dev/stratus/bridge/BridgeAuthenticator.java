package dev.stratus.bridge;

import dev.stratus.codec.ReasonCode;
import dev.stratus.core.auth.AuthResult;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.ConnectRequest;

/**
 * The bridge's authentication from its command line, checked in this order:
 *
 * <ol>
 *   <li>a verified TLS client certificate ({@code --tls-client-ca}): accepted; its mapped name is
 *       the request's {@code certificateSubject};
 *   <li>a CONNECT without user name and password: accepted only with {@code --allow-anonymous
 *       true}, else refused with Not authorized (0x87; 3.1.1 return code 5);
 *   <li>a user name: checked against the {@code --password-file} (Bad User Name or Password, 0x86 /
 *       return code 4, when wrong); without a password file it is accepted only when anonymous
 *       access is on (the name is then unchecked, as Mosquitto does), else refused with 0x87.
 * </ol>
 */
final class BridgeAuthenticator implements Authenticator {
  private final PasswordFile passwords;
  private final boolean anonymous;

  /**
   * @param passwords the password file, or null
   * @param anonymous whether clients without credentials are accepted
   */
  BridgeAuthenticator(PasswordFile passwords, boolean anonymous) {
    this.passwords = passwords;
    this.anonymous = anonymous;
  }

  @Override
  public AuthResult authenticate(ConnectRequest request) {
    if (request.certificateSubject() != null) {
      // The TLS handshake verified the chain against the configured client CAs.
      return AuthResult.ACCEPTED;
    }
    if (request.username() == null && request.password() == null) {
      return anonymous ? AuthResult.ACCEPTED : new AuthResult.Refused(ReasonCode.NOT_AUTHORIZED);
    }
    if (passwords != null) {
      return passwords.authenticate(request);
    }
    return anonymous ? AuthResult.ACCEPTED : new AuthResult.Refused(ReasonCode.NOT_AUTHORIZED);
  }
}
