package dev.stratus.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A self-signed certificate for 127.0.0.1, made with the JDK's keytool, written as PEM files. */
record TestCertificates(Path certificate, Path privateKey, X509Certificate x509) {
  private static final char[] PASSWORD = "changeit".toCharArray();

  static TestCertificates create(Path dir, String keyAlgorithm)
      throws IOException, InterruptedException, GeneralSecurityException {
    Path store = dir.resolve("server-" + keyAlgorithm + ".p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p =
        new ProcessBuilder(
                keytool.toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                keyAlgorithm,
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + output);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD);
    }
    X509Certificate cert = (X509Certificate) ks.getCertificate("server");
    PrivateKey key = (PrivateKey) ks.getKey("server", PASSWORD);
    Path certPem = dir.resolve("cert-" + keyAlgorithm + ".pem");
    Path keyPem = dir.resolve("key-" + keyAlgorithm + ".pem");
    Files.writeString(certPem, Tls.toPem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyPem, Tls.toPem("PRIVATE KEY", key.getEncoded()));
    return new TestCertificates(certPem, keyPem, cert);
  }

  /** A client context that trusts only this certificate. */
  SSLContext clientContext() throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", x509);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
