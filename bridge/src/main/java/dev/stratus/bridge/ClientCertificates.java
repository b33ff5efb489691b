package dev.stratus.bridge;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * Client certificates on the TLS listener (mutual TLS): whether the bridge asks for one, and which
 * field of a verified certificate becomes the client's user name ({@code
 * ConnectionInfo.certificateSubject}, which the engine hands to the authenticator as {@code
 * ConnectRequest.certificateSubject}).
 *
 * <p>Verification is the JDK's: the handshake fails unless the chain leads to one of the {@code
 * --tls-client-ca} certificates (PKIX path validation, validity dates included). With {@link
 * Mode#REQUIRED} a client without a certificate fails the handshake; with {@link Mode#OPTIONAL} it
 * connects without a certificate subject and must authenticate otherwise (a password).
 *
 * @param mode whether a certificate is asked for
 * @param userFrom which field of the verified leaf certificate names the user
 */
public record ClientCertificates(Mode mode, UserFrom userFrom) {

  /** No client certificates: the TLS listener authenticates only itself. */
  public static final ClientCertificates NONE = new ClientCertificates(Mode.NONE, UserFrom.CN);

  /** {@code --tls-client-auth}. */
  public enum Mode {
    NONE,
    OPTIONAL,
    REQUIRED
  }

  /** {@code --tls-user-from}. */
  public enum UserFrom {
    /** The subject's common name ({@code CN=device-17} gives {@code device-17}). */
    CN,
    /** The first rfc822Name (e-mail) subject alternative name. */
    SAN_EMAIL,
    /** The first dNSName subject alternative name. */
    SAN_DNS,
    /** The whole subject as an RFC 2253 string ({@code CN=device-17,O=Acme}). */
    SUBJECT
  }

  // GeneralName tags of X509Certificate.getSubjectAlternativeNames (RFC 5280 §4.2.1.6).
  private static final int RFC822_NAME = 1;
  private static final int DNS_NAME = 2;

  public ClientCertificates {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(userFrom, "userFrom");
  }

  /** Asks the client for a certificate as {@link #mode} says; call before the handshake. */
  void configure(SSLSocket socket) {
    switch (mode) {
      case NONE -> {}
      case OPTIONAL -> socket.setWantClientAuth(true);
      case REQUIRED -> socket.setNeedClientAuth(true);
    }
  }

  /**
   * The user name of the verified client certificate of a completed handshake, or null when the
   * client sent none, certificates are not asked for, or the chosen field is absent.
   */
  String userOf(SSLSession session) {
    if (mode == Mode.NONE) {
      return null;
    }
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException noCertificate) {
      return null;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return null;
    }
    return nameOf(leaf, userFrom);
  }

  /** The field {@code from} of {@code certificate}, or null when it has none. */
  static String nameOf(X509Certificate certificate, UserFrom from) {
    return switch (from) {
      case SUBJECT -> certificate.getSubjectX500Principal().getName();
      case CN -> commonName(certificate);
      case SAN_EMAIL -> alternativeName(certificate, RFC822_NAME);
      case SAN_DNS -> alternativeName(certificate, DNS_NAME);
    };
  }

  private static String commonName(X509Certificate certificate) {
    try {
      List<Rdn> rdns = new LdapName(certificate.getSubjectX500Principal().getName()).getRdns();
      // LdapName lists the RDNs from the least significant (rightmost) up; the most specific CN is
      // the last one (the leftmost in the string form).
      for (int i = rdns.size() - 1; i >= 0; i--) {
        Rdn rdn = rdns.get(i);
        if (rdn.getType().toUpperCase(Locale.ROOT).equals("CN")) {
          return rdn.getValue().toString();
        }
      }
      return null;
    } catch (InvalidNameException e) {
      return null;
    }
  }

  private static String alternativeName(X509Certificate certificate, int tag) {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return null;
    }
    if (names == null) {
      return null;
    }
    for (List<?> name : names) {
      if (name.size() >= 2
          && name.get(0) instanceof Integer type
          && type == tag
          && name.get(1) instanceof String value) {
        return value;
      }
    }
    return null;
  }
}
