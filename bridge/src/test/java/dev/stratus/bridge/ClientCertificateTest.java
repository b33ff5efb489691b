package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.ConnectRequest;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.acl.AclRule;
import dev.stratus.core.store.Stores;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client certificates on the TLS listener (mTLS): certificate authorities and client certificates
 * made with the JDK's keytool, real clients (HiveMQ with a client key store, mosquitto_pub with PEM
 * files), and an authenticator that records what the engine hands it.
 */
class ClientCertificateTest {
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir static Path dir;
  private static TestCertificates server;
  private static Pki trusted;
  private static Pki stranger;
  private static Pki.Client device;
  private static Pki.Client impostor;

  private Bridge bridge;
  private final BlockingQueue<ConnectRequest> seen = new LinkedBlockingQueue<>();
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @BeforeAll
  static void makeCertificates() throws Exception {
    server = TestCertificates.create(dir, "EC");
    trusted = Pki.authority(dir, "trusted");
    stranger = Pki.authority(dir, "stranger");
    device =
        trusted.issue(
            "device", "CN=device-17,O=Acme", "email:dev17@example.com,dns:device17.example.com");
    impostor = stranger.issue("impostor", "CN=device-17,O=Acme", "dns:device17.example.com");
  }

  @AfterEach
  void stop() {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
    if (bridge != null) {
      bridge.close();
    }
  }

  /** A bridge asking for client certificates of the trusted CA, wired as BridgeMain wires it. */
  private void start(ClientCertificates certificates) throws Exception {
    start(certificates, List.of());
  }

  private void start(ClientCertificates certificates, List<AclRule> acl) throws Exception {
    BridgeConfig config =
        BridgeConfig.loopbackDefaults()
            .withClientCertificates(
                Tls.serverContext(server.certificate(), server.privateKey(), trusted.caPem),
                0,
                certificates);
    bridge = new Bridge(config);
    Security security =
        BridgeMain.security(
            BridgeOptions.parse("--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "ca"),
            null,
            acl,
            null,
            null);
    Broker broker =
        new Broker(
            BrokerConfig.defaults(),
            Stores.inMemory(),
            bridge,
            InstantSource.system(),
            request -> {
              seen.add(request);
              return security.authenticator().authenticate(request);
            },
            security.authorizer());
    bridge.start(broker);
  }

  private Mqtt5BlockingClient client(String id, Pki.Client certificate) throws Exception {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(bridge.port(Protocol.TLS))
            .sslConfig()
            .trustManagerFactory(server.trustManagerFactory())
            .keyManagerFactory(certificate == null ? null : certificate.keyManagerFactory())
            .applySslConfig()
            .useMqttVersion5()
            .buildBlocking();
    clients.add(c);
    return c;
  }

  @Test
  void aCertificateOfTheTrustedCaConnectsAndItsCommonNameReachesTheAuthenticator()
      throws Exception {
    start(new ClientCertificates(ClientCertificates.Mode.REQUIRED, ClientCertificates.UserFrom.CN));
    Mqtt5BlockingClient c = client("sensor", device);
    c.connect();
    ConnectRequest request = seen.poll(20, TimeUnit.SECONDS);
    assertNotNull(request);
    assertEquals("device-17", request.certificateSubject());
    assertEquals("sensor", request.clientId());

    c.subscribeWith().topicFilter("echo").qos(MqttQos.AT_LEAST_ONCE).send();
    try (Mqtt5BlockingClient.Mqtt5Publishes in =
        c.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      c.publishWith().topic("echo").qos(MqttQos.AT_LEAST_ONCE).payload("hi".getBytes()).send();
      Optional<Mqtt5Publish> p = in.receive(20, TimeUnit.SECONDS);
      assertTrue(p.isPresent(), "the authenticated client works");
    }
  }

  /**
   * The certificate's user is the principal the ACL sees ({@code %u}), whatever user name and
   * password its CONNECT carries.
   */
  @Test
  void theCertificateUserIsThePrincipalOfTheAcl() throws Exception {
    start(
        new ClientCertificates(ClientCertificates.Mode.REQUIRED, ClientCertificates.UserFrom.CN),
        AclFile.parse(
            "acl",
            List.of("user device-17", "  allow all devices/%u/#", "user admin", "  allow all #")));
    Mqtt5BlockingClient c = client("sensor-acl", device);
    c.connectWith()
        .simpleAuth()
        .username("admin")
        .password("not-checked".getBytes())
        .applySimpleAuth()
        .send();
    assertEquals(
        List.of(Mqtt5SubAckReasonCode.GRANTED_QOS_1),
        c.subscribeWith()
            .topicFilter("devices/device-17/#")
            .qos(MqttQos.AT_LEAST_ONCE)
            .send()
            .getReasonCodes());
    Mqtt5SubAckException refused =
        assertThrows(
            Mqtt5SubAckException.class,
            () -> c.subscribeWith().topicFilter("devices/#").qos(MqttQos.AT_LEAST_ONCE).send());
    assertEquals(
        List.of(Mqtt5SubAckReasonCode.NOT_AUTHORIZED), refused.getMqttMessage().getReasonCodes());
  }

  @Test
  void theUserNameCanComeFromTheEmailAlternativeName() throws Exception {
    start(
        new ClientCertificates(
            ClientCertificates.Mode.REQUIRED, ClientCertificates.UserFrom.SAN_EMAIL));
    client("mailer", device).connect();
    assertEquals("dev17@example.com", seen.poll(20, TimeUnit.SECONDS).certificateSubject());
  }

  @Test
  void eachFieldMapsAsDocumented() {
    X509Certificate leaf = device.leaf();
    assertEquals("device-17", ClientCertificates.nameOf(leaf, ClientCertificates.UserFrom.CN));
    assertEquals(
        "dev17@example.com",
        ClientCertificates.nameOf(leaf, ClientCertificates.UserFrom.SAN_EMAIL));
    assertEquals(
        "device17.example.com",
        ClientCertificates.nameOf(leaf, ClientCertificates.UserFrom.SAN_DNS));
    assertEquals(
        "CN=device-17,O=Acme",
        ClientCertificates.nameOf(leaf, ClientCertificates.UserFrom.SUBJECT));
    assertNull(
        ClientCertificates.nameOf(impostor.leaf(), ClientCertificates.UserFrom.SAN_EMAIL),
        "absent field");
  }

  @Test
  void withoutACertificateTheHandshakeIsRefusedWhenRequired() throws Exception {
    start(new ClientCertificates(ClientCertificates.Mode.REQUIRED, ClientCertificates.UserFrom.CN));
    Mqtt5BlockingClient c = client("anonymous", null);
    assertThrows(RuntimeException.class, c::connect);
    assertNull(seen.poll(1, TimeUnit.SECONDS), "the engine never saw it");
  }

  @Test
  void aCertificateOfAnotherCaIsRefusedAtTheHandshake() throws Exception {
    start(new ClientCertificates(ClientCertificates.Mode.REQUIRED, ClientCertificates.UserFrom.CN));
    Mqtt5BlockingClient c = client("impostor", impostor);
    assertThrows(RuntimeException.class, c::connect);
    assertNull(seen.poll(1, TimeUnit.SECONDS), "the engine never saw it");
  }

  @Test
  void whenOptionalAClientWithoutCertificateOrPasswordIsNotAuthorized() throws Exception {
    start(new ClientCertificates(ClientCertificates.Mode.OPTIONAL, ClientCertificates.UserFrom.CN));
    Mqtt5ConnAckException refused =
        assertThrows(Mqtt5ConnAckException.class, client("bare", null)::connect);
    assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, refused.getMqttMessage().getReasonCode());
    assertNull(seen.poll(20, TimeUnit.SECONDS).certificateSubject());
    client("badged", device).connect();
    assertEquals("device-17", seen.poll(20, TimeUnit.SECONDS).certificateSubject());
  }

  @Test
  void mosquittoPubWithCertAndKeyIsAcceptedAndWithoutIsRefused() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/mosquitto_pub")),
        "mosquitto_pub not installed: skipped");
    start(new ClientCertificates(ClientCertificates.Mode.REQUIRED, ClientCertificates.UserFrom.CN));
    List<String> base =
        List.of(
            "mosquitto_pub",
            "-h",
            "127.0.0.1",
            "-p",
            String.valueOf(bridge.port(Protocol.TLS)),
            "--cafile",
            server.certificate().toString(),
            "-i",
            "mosq",
            "-t",
            "t",
            "-m",
            "m");
    List<String> withCert = new ArrayList<>(base);
    withCert.addAll(
        List.of("--cert", device.chainPem.toString(), "--key", device.keyPem.toString()));
    assertEquals(0, exit(withCert), "accepted with a good certificate");
    assertEquals("device-17", seen.poll(20, TimeUnit.SECONDS).certificateSubject());

    assertTrue(exit(base) != 0, "refused without a certificate");
    List<String> foreign = new ArrayList<>(base);
    foreign.addAll(
        List.of("--cert", impostor.chainPem.toString(), "--key", impostor.keyPem.toString()));
    assertTrue(exit(foreign) != 0, "refused with another CA's certificate");
    assertNull(seen.poll(1, TimeUnit.SECONDS), "neither reached the engine");
  }

  private static int exit(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "mosquitto_pub ended: " + output);
    return p.exitValue();
  }

  /** A certificate authority in a PKCS#12 store, and the client certificates it issues. */
  record Pki(Path dir, String name, Path store, Path caPem) {
    /** A client's key and certificate chain, as a key store (HiveMQ) and as PEM (mosquitto). */
    record Client(Path store, Path chainPem, Path keyPem, X509Certificate leaf) {
      KeyManagerFactory keyManagerFactory() throws GeneralSecurityException, IOException {
        KeyStore ks = load(store);
        KeyManagerFactory kmf =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        return kmf;
      }
    }

    static Pki authority(Path dir, String name) throws Exception {
      Path store = dir.resolve(name + "-ca.p12");
      keytool(
          "-genkeypair",
          "-alias",
          "ca",
          "-keyalg",
          "EC",
          "-dname",
          "CN=" + name + " test CA",
          "-ext",
          "bc:c",
          "-validity",
          "2",
          "-storetype",
          "PKCS12",
          "-keystore",
          store.toString(),
          "-storepass",
          new String(PASSWORD));
      Path pem = dir.resolve(name + "-ca.pem");
      Files.writeString(
          pem, Tls.toPem("CERTIFICATE", load(store).getCertificate("ca").getEncoded()));
      return new Pki(dir, name, store, pem);
    }

    /** A client certificate signed by this CA, for {@code dname} with subject alternative names. */
    Client issue(String alias, String dname, String san) throws Exception {
      Path store = dir.resolve(alias + ".p12");
      Path csr = dir.resolve(alias + ".csr");
      Path signed = dir.resolve(alias + ".crt");
      String pass = new String(PASSWORD);
      keytool(
          "-genkeypair",
          "-alias",
          alias,
          "-keyalg",
          "EC",
          "-dname",
          dname,
          "-validity",
          "2",
          "-storetype",
          "PKCS12",
          "-keystore",
          store.toString(),
          "-storepass",
          pass);
      keytool(
          "-certreq",
          "-alias",
          alias,
          "-keystore",
          store.toString(),
          "-storepass",
          pass,
          "-file",
          csr.toString());
      keytool(
          "-gencert",
          "-alias",
          "ca",
          "-keystore",
          this.store.toString(),
          "-storepass",
          pass,
          "-infile",
          csr.toString(),
          "-outfile",
          signed.toString(),
          "-rfc",
          "-validity",
          "2",
          "-ext",
          "SAN=" + san,
          "-ext",
          "ku:c=digitalSignature",
          "-ext",
          "eku=clientAuth");
      keytool(
          "-importcert",
          "-noprompt",
          "-alias",
          "ca",
          "-file",
          caPem.toString(),
          "-keystore",
          store.toString(),
          "-storepass",
          pass);
      keytool(
          "-importcert",
          "-noprompt",
          "-alias",
          alias,
          "-file",
          signed.toString(),
          "-keystore",
          store.toString(),
          "-storepass",
          pass);
      KeyStore ks = load(store);
      Certificate[] chain = ks.getCertificateChain(alias);
      StringBuilder chainText = new StringBuilder();
      for (Certificate c : chain) {
        chainText.append(Tls.toPem("CERTIFICATE", c.getEncoded()));
      }
      Path chainPem = dir.resolve(alias + "-chain.pem");
      Path keyPem = dir.resolve(alias + "-key.pem");
      Files.writeString(chainPem, chainText);
      PrivateKey key = (PrivateKey) ks.getKey(alias, PASSWORD);
      Files.writeString(keyPem, Tls.toPem("PRIVATE KEY", key.getEncoded()));
      return new Client(store, chainPem, keyPem, (X509Certificate) chain[0]);
    }

    static KeyStore load(Path store) throws GeneralSecurityException, IOException {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        ks.load(in, PASSWORD);
      }
      return ks;
    }

    private static void keytool(String... args) throws Exception {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
      }
    }
  }
}
