package dev.stratus.bridge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the server's {@link SSLContext} from PEM files, the format certificate authorities and AWS
 * Certificate Manager exports hand out: a certificate chain ({@code BEGIN CERTIFICATE}, leaf first)
 * and an unencrypted private key, either PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA, EC or Ed25519) or
 * PKCS#1 ({@code BEGIN RSA PRIVATE KEY}).
 */
public final class Tls {
  private static final char[] NO_PASSWORD = new char[0];

  private Tls() {}

  /** Reads the PEM files; the message of the exception names the file and what is wrong. */
  public static SSLContext serverContext(Path certificateChain, Path privateKey)
      throws IOException, GeneralSecurityException {
    return serverContext(certificateChain, privateKey, null);
  }

  /**
   * As {@link #serverContext(Path, Path)}, and when {@code clientCa} is not null, client
   * certificates are verified against the certificate authorities in that PEM bundle only (not the
   * JDK's public roots: a certificate any public CA signed must not open the broker).
   */
  public static SSLContext serverContext(Path certificateChain, Path privateKey, Path clientCa)
      throws IOException, GeneralSecurityException {
    List<? extends Certificate> chain;
    try (var in = Files.newInputStream(certificateChain)) {
      chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(certificateChain + ": not a PEM certificate chain", e);
    }
    if (chain.isEmpty()) {
      throw new GeneralSecurityException(certificateChain + ": no certificate found");
    }
    PrivateKey key = readPrivateKey(privateKey);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("server", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, NO_PASSWORD);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), clientCa == null ? null : trustOnly(clientCa), null);
    return context;
  }

  /** Trust managers that accept chains leading to a certificate of the PEM bundle, and no other. */
  static TrustManager[] trustOnly(Path caBundle) throws IOException, GeneralSecurityException {
    List<? extends Certificate> cas;
    try (var in = Files.newInputStream(caBundle)) {
      cas = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(caBundle + ": not a PEM certificate bundle", e);
    }
    if (cas.isEmpty()) {
      throw new GeneralSecurityException(caBundle + ": no certificate found");
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    for (int i = 0; i < cas.size(); i++) {
      trust.setCertificateEntry("ca-" + i, cas.get(i));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf.getTrustManagers();
  }

  static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    byte[] pkcs8;
    if (pem.contains("-----BEGIN PRIVATE KEY-----")) {
      pkcs8 = pemBody(pem, "PRIVATE KEY");
    } else if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
      pkcs8 = rsaPkcs1ToPkcs8(pemBody(pem, "RSA PRIVATE KEY"));
    } else {
      throw new GeneralSecurityException(
          file
              + ": expected an unencrypted 'PRIVATE KEY' or 'RSA PRIVATE KEY' PEM block"
              + " (convert with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pkcs8)");
    }
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "EdDSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException tryNext) {
        // The PKCS#8 envelope names its algorithm; trying the few we support is simpler.
      }
    }
    throw new GeneralSecurityException(file + ": unsupported private key algorithm");
  }

  static byte[] pemBody(String pem, String label) throws GeneralSecurityException {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end, from);
    if (from < 0 || to < 0) {
      throw new GeneralSecurityException("missing " + begin + " ... " + end);
    }
    String base64 = pem.substring(from + begin.length(), to).replaceAll("\\s", "");
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("bad base64 in " + label, e);
    }
  }

  /**
   * Wraps a PKCS#1 RSAPrivateKey in the PKCS#8 PrivateKeyInfo the JDK's KeyFactory reads: SEQUENCE
   * { INTEGER 0, SEQUENCE { OID rsaEncryption, NULL }, OCTET STRING { pkcs1 } }.
   */
  static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
    byte[] algorithm = {
      0x30,
      0x0D,
      0x06,
      0x09,
      0x2A,
      (byte) 0x86,
      0x48,
      (byte) 0x86,
      (byte) 0xF7,
      0x0D,
      0x01,
      0x01,
      0x01,
      0x05,
      0x00
    };
    byte[] version = {0x02, 0x01, 0x00};
    byte[] octets = der(0x04, pkcs1);
    byte[] body = new byte[version.length + algorithm.length + octets.length];
    System.arraycopy(version, 0, body, 0, version.length);
    System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
    System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
    return der(0x30, body);
  }

  private static byte[] der(int tag, byte[] content) {
    int n = content.length;
    byte[] length;
    if (n < 0x80) {
      length = new byte[] {(byte) n};
    } else if (n < 0x100) {
      length = new byte[] {(byte) 0x81, (byte) n};
    } else if (n < 0x10000) {
      length = new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
    } else {
      length = new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
    }
    byte[] out = new byte[1 + length.length + n];
    out[0] = (byte) tag;
    System.arraycopy(length, 0, out, 1, length.length);
    System.arraycopy(content, 0, out, 1 + length.length, n);
    return out;
  }

  /** For tests: the PEM text of DER bytes under {@code label}. */
  static String toPem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }
}
