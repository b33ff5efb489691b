package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.core.auth.PasswordHash;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./stratus bridge} as a child process: start lines, exit codes, SIGTERM drain. */
@Timeout(90)
class BridgeMainTest {
  private Process child;

  @AfterEach
  void kill() {
    if (child != null && child.isAlive()) {
      child.destroyForcibly();
    }
  }

  private Process run(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(BridgeMain.class.getName());
    command.addAll(List.of(args));
    child = new ProcessBuilder(command).start();
    return child;
  }

  private static List<String> lines(InputStream in) {
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
  }

  @Test
  void printsListenersAndDrainsOnSigterm() throws Exception {
    Process p = run("--tcp-port", "0", "--ws-port", "0", "--allow-anonymous", "true");
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String tcpLine = out.readLine();
    String wsLine = out.readLine();
    assertTrue(tcpLine.matches("listening tcp 127\\.0\\.0\\.1:\\d+"), tcpLine);
    assertTrue(wsLine.matches("listening ws ws://127\\.0\\.0\\.1:\\d+/mqtt"), wsLine);
    int port = Integer.parseInt(tcpLine.substring(tcpLine.lastIndexOf(':') + 1));

    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(Wire.connect(5, "drained"));
      InputStream in = s.getInputStream();
      byte[] connAckHeader = Wire.read(in, 2);
      assertEquals(0x20, connAckHeader[0] & 0xFF);
      Wire.read(in, connAckHeader[1]);

      p.destroy(); // SIGTERM
      byte[] disconnect = in.readAllBytes();
      assertEquals(0xE0, disconnect[0] & 0xFF, "a v5 client is told why");
      assertEquals(0x8B, disconnect[2] & 0xFF, "reason 0x8B Server shutting down");
    }
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    assertThrows(java.io.IOException.class, () -> new Socket("127.0.0.1", port).close());
  }

  @Test
  void portInUseIsOneLineAndExitCode2() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Process p = run("--tcp-port", String.valueOf(port), "--ws-port", "-1", "--allow-anonymous");
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue());
      List<String> err = lines(p.getErrorStream());
      assertEquals(1, err.size(), err.toString());
      assertTrue(
          err.get(0).startsWith("stratus bridge: cannot listen on tcp 127.0.0.1:" + port + ": "),
          err.get(0));
      assertEquals(List.of(), lines(p.getInputStream()));
    }
  }

  @Test
  void withoutAuthenticationItRefusesToStartAndSaysWhichFlagToUse() throws Exception {
    for (String[] args :
        new String[][] {{"--tcp-port", "0"}, {"--tcp-port", "0", "--allow-anonymous", "false"}}) {
      Process p = run(args);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue());
      List<String> err = lines(p.getErrorStream());
      assertEquals(
          List.of(
              "stratus bridge: no client authentication configured: give --users dynamodb,"
                  + " --password-file FILE, --jwt-..., and/or --tls-client-ca FILE, or"
                  + " --allow-anonymous true to accept anyone (development only)"),
          err);
      assertEquals(List.of(), lines(p.getInputStream()), "nothing listens");
    }
  }

  @Test
  void badArgumentIsOneLinePlusUsageAndExitCode2() throws Exception {
    Process p = run("--tcp-port", "many");
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    List<String> err = lines(p.getErrorStream());
    assertEquals("stratus bridge: --tcp-port: many is not a number", err.get(0));
    assertTrue(err.get(1).startsWith("usage: stratus bridge"), err.toString());
  }

  @Test
  void helpGoesToStdoutWithExitCode0() throws Exception {
    Process p = run("-h");
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    assertTrue(lines(p.getInputStream()).get(0).startsWith("usage: stratus bridge"));
  }

  @Test
  void aBadAclFileIsOneLineWithFileAndLineAndExitCode2(@TempDir Path dir) throws Exception {
    Path acl = dir.resolve("acl.conf");
    Files.writeString(acl, "user alice\n  allow publish alice/#\n  allow read alice/#\n");
    Process p = run("--tcp-port", "0", "--allow-anonymous", "true", "--acl-file", acl.toString());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    List<String> err = lines(p.getErrorStream());
    assertEquals(1, err.size(), err.toString());
    assertTrue(
        err.get(0).startsWith("stratus bridge: " + acl + ":3: unknown right 'read'"), err.get(0));
    assertEquals(List.of(), lines(p.getInputStream()), "nothing listens");
  }

  @Test
  void hashPasswordPrintsAPbkdf2HashOfStdin() throws Exception {
    Process p = run("--hash-password");
    p.getOutputStream().write("correct horse\n".getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    List<String> out = lines(p.getInputStream());
    assertEquals(1, out.size(), out.toString());
    assertTrue(
        PasswordHash.verify("correct horse".getBytes(StandardCharsets.UTF_8), out.get(0)),
        "the line end is not part of the password");
  }

  /**
   * The command as a user runs it, with mosquitto's clients: a password file with one PBKDF2 and
   * one SHA-256 line and an ACL file.
   */
  @Test
  void mosquittoClientsAgainstPasswordAndAclFiles(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/mosquitto_pub")), "mosquitto_pub not installed");
    Path passwords = dir.resolve("passwords");
    Files.writeString(
        passwords,
        "alice:"
            + PasswordHash.hash("alice-pw".getBytes(StandardCharsets.UTF_8), 1000)
            + "\nold:"
            + java.util.HexFormat.of()
                .formatHex(PasswordFile.sha256("old-pw".getBytes(StandardCharsets.UTF_8)))
            + "\n");
    Path acl = dir.resolve("acl.conf");
    Files.writeString(acl, "user alice\n  allow all alice/#\nuser old\n  allow all old/#\n");
    Process p =
        run(
            "--tcp-port",
            "0",
            "--ws-port",
            "-1",
            "--password-file",
            passwords.toString(),
            "--acl-file",
            acl.toString());
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String tcpLine = out.readLine();
    assertNotNull(tcpLine, "the bridge did not start");
    String port = tcpLine.substring(tcpLine.lastIndexOf(':') + 1);

    assertNotEquals(0, mosquittoPub(port, "alice/t", null, null), "no credentials");
    assertNotEquals(0, mosquittoPub(port, "alice/t", "alice", "wrong"), "wrong password");
    assertEquals(0, mosquittoPub(port, "alice/t", "alice", "alice-pw"));
    assertEquals(0, mosquittoPub(port, "old/t", "old", "old-pw"), "the SHA-256 line");
    // mosquitto_sub -E exits after the SUBACK, saying when the filter was refused
    assertEquals("", mosquittoSub(port, "alice/#", "alice", "alice-pw"));
    assertEquals(
        "All subscription requests were denied.",
        mosquittoSub(port, "#", "alice", "alice-pw"),
        "outside its ACL");
    p.destroy();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
  }

  private static int mosquittoPub(String port, String topic, String user, String password)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "mosquitto_pub",
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "-V",
                "mqttv5",
                "-i",
                "mp",
                "-q",
                "1",
                "-t",
                topic,
                "-m",
                "x"));
    if (user != null) {
      cmd.addAll(List.of("-u", user, "-P", password));
    }
    return exit(cmd);
  }

  /** What mosquitto_sub printed, once it exited 0. */
  private static String mosquittoSub(String port, String filter, String user, String password)
      throws Exception {
    return output(
        List.of(
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-V",
            "mqttv5",
            "-i",
            "ms",
            "-E",
            "-t",
            filter,
            "-u",
            user,
            "-P",
            password));
  }

  private static String output(List<String> command) throws Exception {
    Process c = new ProcessBuilder(command).redirectErrorStream(true).start();
    String printed = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(c.waitFor(30, TimeUnit.SECONDS), command.toString());
    assertEquals(0, c.exitValue(), printed);
    return printed;
  }

  private static int exit(List<String> command) throws Exception {
    Process c = new ProcessBuilder(command).redirectErrorStream(true).start();
    c.getInputStream().readAllBytes();
    assertTrue(c.waitFor(30, TimeUnit.SECONDS), command.toString());
    return c.exitValue();
  }

  @Test
  void optionsParseWithDefaultsAndChecks() throws Exception {
    BridgeOptions d = BridgeOptions.parse();
    assertEquals("127.0.0.1", d.host());
    assertEquals(1883, d.tcpPort());
    assertEquals(-1, d.tlsPort());
    assertEquals(8080, d.wsPort());
    assertFalse(d.allowAnonymous(), "anonymous access only when asked for");
    assertNotNull(d.authenticationProblem());
    assertFalse(d.help());
    assertTrue(BridgeOptions.parse("--allow-anonymous", "true").allowAnonymous());
    assertTrue(BridgeOptions.parse("--allow-anonymous").allowAnonymous(), "the bare flag");
    assertTrue(BridgeOptions.parse("--allow-anonymous", "--tcp-port", "1").allowAnonymous());
    assertTrue(BridgeOptions.parse("--allow-anonymous=true").allowAnonymous());
    assertNull(BridgeOptions.parse("--allow-anonymous", "true").authenticationProblem());
    assertNotNull(BridgeOptions.parse("--allow-anonymous", "false").authenticationProblem());
    assertNull(BridgeOptions.parse("--password-file", "p").authenticationProblem());
    assertNull(
        BridgeOptions.parse("--store", "dynamodb", "--users", "dynamodb").authenticationProblem());
    assertEquals(BridgeOptions.SecurityOptions.NONE, d.security());
    BridgeOptions.SecurityOptions cognito =
        BridgeOptions.parse(
                "--jwt-cognito",
                "eu-west-1/eu-west-1_AbC123",
                "--jwt-audience",
                "app1,app2",
                "--max-publish-rate",
                "100",
                "--max-connections-per-user",
                "5",
                "--acl-file",
                "acl.conf")
            .security();
    assertEquals(
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", cognito.jwt().issuer());
    assertEquals(List.of("app1", "app2"), cognito.jwt().audiences());
    assertEquals(100, cognito.maxPublishRate());
    assertEquals(BridgeOptions.DEFAULT_PUBLISH_BURST, cognito.publishBurst());
    assertEquals(5, cognito.maxConnectionsPerUser());
    assertEquals(Path.of("acl.conf"), cognito.aclFile());
    BridgeOptions.SecurityOptions tables =
        BridgeOptions.parse(
                "--store",
                "dynamodb",
                "--users",
                "dynamodb",
                "--acl-store",
                "dynamodb",
                "--max-publish-rate",
                "10/50")
            .security();
    assertTrue(tables.usersFromDynamodb() && tables.aclFromDynamodb());
    assertEquals(10, tables.maxPublishRate());
    assertEquals(50, tables.publishBurst());

    BridgeOptions mtls =
        BridgeOptions.parse("--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "ca.pem");
    assertNull(mtls.authenticationProblem(), "client certificates authenticate");
    assertEquals(
        new ClientCertificates(ClientCertificates.Mode.REQUIRED, ClientCertificates.UserFrom.CN),
        mtls.clientCertificates());
    assertEquals(
        new ClientCertificates(
            ClientCertificates.Mode.OPTIONAL, ClientCertificates.UserFrom.SAN_EMAIL),
        BridgeOptions.parse(
                "--tls-cert",
                "c",
                "--tls-key",
                "k",
                "--tls-client-ca",
                "ca.pem",
                "--tls-client-auth",
                "optional",
                "--tls-user-from",
                "san-email")
            .clientCertificates());
    assertEquals(ClientCertificates.NONE, d.clientCertificates());

    BridgeOptions tls = BridgeOptions.parse("--tls-cert", "c.pem", "--tls-key=k.pem");
    assertEquals(8883, tls.tlsPort());
    assertEquals(
        0, BridgeOptions.parse("--tls-cert", "c", "--tls-key", "k", "--tls-port", "0").tlsPort());
    assertEquals(-5, BridgeOptions.parse("--tcp-port", "-5").tcpPort());
    assertEquals(-1, d.internalPort());
    BridgeOptions shared =
        BridgeOptions.parse(
            "--store",
            "dynamodb",
            "--dynamodb-endpoint",
            "http://127.0.0.1:8000",
            "--table-prefix",
            "dev-");
    assertEquals("dynamodb", shared.store());
    assertEquals("http://127.0.0.1:8000", shared.dynamodbEndpoint());
    assertEquals("dev-", shared.tablePrefix());
    assertEquals(0, shared.internalPort());

    for (String[] bad :
        new String[][] {
          {"--tls-port", "8883"},
          {"--tls-cert", "c.pem"},
          {"--store", "sqlite"},
          {"--table-prefix", "p-"},
          {"--internal-port", "0"},
          {"--store", "dynamodb", "--dynamodb-endpoint", "ftp://x"},
          {"--store", "dynamodb", "--table-prefix", "a b"},
          {"--store", "dynamodb", "--internal-port", "-1"},
          {"--allow-anonymous", "maybe"},
          {"--tls-client-ca", "ca.pem"},
          {"--tls-cert", "c", "--tls-key", "k", "--tls-client-auth", "required"},
          {"--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "a", "--tls-client-auth", "no"},
          {
            "--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "a", "--tls-client-auth", "none"
          },
          {"--tls-cert", "c", "--tls-key", "k", "--tls-user-from", "cn"},
          {"--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "a", "--tls-user-from", "uid"},
          {"--tcp-port", "70000"},
          {"--ws-port"},
          {"--nope", "1"},
          {"stray"},
          {"--users", "dynamodb"},
          {"--acl-store", "dynamodb"},
          {"--store", "dynamodb", "--users", "file"},
          {"--jwt-jwks-url", "https://i/jwks.json", "--jwt-issuer", "https://i"},
          {"--jwt-jwks-url", "https://i/jwks.json", "--jwt-audience", "a"},
          {"--jwt-issuer", "https://i", "--jwt-audience", "a"},
          {"--jwt-jwks-url", "file:///etc/keys", "--jwt-issuer", "i", "--jwt-audience", "a"},
          {"--jwt-cognito", "eu-west-1/eu-west-1_Abc"},
          {"--jwt-cognito", "eu-west-1_Abc", "--jwt-audience", "a"},
          {"--jwt-cognito", "eu-west-1/us-east-1_Abc", "--jwt-audience", "a"},
          {"--jwt-cognito", "eu-west-1/eu-west-1_Abc", "--jwt-audience", "a", "--jwt-issuer", "i"},
          {"--max-publish-rate", "fast"},
          {"--max-publish-rate", "10/0"},
          {"--max-connections-per-user", "-1"}
        }) {
      assertThrows(
          BridgeOptions.UsageException.class,
          () -> BridgeOptions.parse(bad),
          String.join(" ", bad));
    }
  }
}
