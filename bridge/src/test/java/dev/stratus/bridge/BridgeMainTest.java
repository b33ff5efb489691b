package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
              "stratus bridge: no client authentication configured: give --password-file FILE"
                  + " and/or --tls-client-ca FILE, or --allow-anonymous true to accept anyone"
                  + " (development only)"),
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
          {"stray"}
        }) {
      assertThrows(
          BridgeOptions.UsageException.class,
          () -> BridgeOptions.parse(bad),
          String.join(" ", bad));
    }
  }
}
