package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Eclipse Mosquitto's command line clients (Debian {@code mosquitto-clients}) against the bridge
 * and the real engine: QoS 0/1/2 live, queued QoS 1 across a reconnect, retained on a wildcard, a
 * will on an abrupt close (SIGKILL), and TLS with the self-signed certificate. Each scenario runs
 * for MQTT 3.1.1 and 5.
 */
@Timeout(120)
class MosquittoClientsInteropTest {
  private static final String STDBUF =
      Files.isExecutable(Path.of("/usr/bin/stdbuf")) ? "/usr/bin/stdbuf" : null;

  @TempDir static Path dir;
  static TestCertificates certs;
  static LiveBroker live;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void startBroker() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/mosquitto_pub"))
            && Files.isExecutable(Path.of("/usr/bin/mosquitto_sub"))
            && STDBUF != null,
        "mosquitto_pub/mosquitto_sub (or stdbuf) not installed: mosquitto interop skipped");
    certs = TestCertificates.create(dir, "EC");
    live = new LiveBroker(Tls.serverContext(certs.certificate(), certs.privateKey()));
  }

  @AfterAll
  static void stopBroker() {
    if (live != null) {
      live.close();
    }
  }

  @AfterEach
  void killClients() {
    started.forEach(Process::destroyForcibly);
  }

  /** A running client whose stdout lines are collected. */
  private final class Client {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Client(List<String> command) throws Exception {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      started.add(process);
      Thread.ofVirtual()
          .start(
              () -> {
                try (var r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  r.lines().forEach(lines::add);
                } catch (java.io.IOException | java.io.UncheckedIOException ended) {
                  // The process was killed.
                }
              });
    }

    /** The next line containing {@code text}, skipping others (debug output). */
    String await(String text) throws InterruptedException {
      while (true) {
        String line = lines.poll(20, TimeUnit.SECONDS);
        assertNotNull(line, "no line containing '" + text + "' from " + process.info().command());
        if (line.contains(text)) {
          return line;
        }
      }
    }

    void exitsCleanly() throws InterruptedException {
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), "client did not finish");
      assertEquals(0, process.exitValue(), "client failed: " + lines);
    }
  }

  private Client client(String binary, String version, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    if (STDBUF != null) {
      // The clients' debug lines (-d, e.g. "received SUBACK") are block-buffered on a pipe.
      command.addAll(List.of(STDBUF, "-oL"));
    }
    command.addAll(List.of(binary, "-h", "127.0.0.1", "-V", version));
    command.addAll(List.of(args));
    return new Client(command);
  }

  private void pub(String version, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("-p", String.valueOf(live.tcp())));
    all.addAll(List.of(args));
    client("mosquitto_pub", version, all.toArray(String[]::new)).exitsCleanly();
  }

  private static String run(String version) {
    return "mosq/" + version + "/" + System.nanoTime();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mqttv311", "mqttv5"})
  void liveQos012(String version) throws Exception {
    String topic = run(version);
    Client sub =
        client(
            "mosquitto_sub",
            version,
            "-p",
            String.valueOf(live.tcp()),
            "-d",
            "-q",
            "2",
            "-t",
            topic + "/#",
            "-F",
            "MSG %t %q %p",
            "-C",
            "3");
    sub.await("SUBACK");
    for (int qos = 0; qos <= 2; qos++) {
      pub(version, "-q", String.valueOf(qos), "-t", topic + "/" + qos, "-m", "m" + qos);
    }
    for (int qos = 0; qos <= 2; qos++) {
      assertEquals("MSG " + topic + "/" + qos + " " + qos + " m" + qos, sub.await("MSG "));
    }
    sub.exitsCleanly();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mqttv311", "mqttv5"})
  void queuedQos1AcrossReconnect(String version) throws Exception {
    String topic = run(version);
    String id = "q" + System.nanoTime();
    List<String> session = new ArrayList<>(List.of("-p", String.valueOf(live.tcp()), "-c"));
    if (version.equals("mqttv5")) {
      session.addAll(List.of("-x", "300")); // v5 sessions end with the connection unless told
    }
    List<String> first = new ArrayList<>(session);
    first.addAll(List.of("-i", id, "-q", "1", "-t", topic, "-E"));
    client("mosquitto_sub", version, first.toArray(String[]::new)).exitsCleanly();
    for (int i = 1; i <= 3; i++) {
      pub(version, "-q", "1", "-t", topic, "-m", "queued" + i);
    }
    List<String> again = new ArrayList<>(session);
    again.addAll(List.of("-i", id, "-q", "1", "-t", topic, "-C", "3"));
    Client sub = client("mosquitto_sub", version, again.toArray(String[]::new));
    for (int i = 1; i <= 3; i++) {
      assertEquals("queued" + i, sub.await("queued"));
    }
    sub.exitsCleanly();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mqttv311", "mqttv5"})
  void retainedOnWildcard(String version) throws Exception {
    String topic = run(version);
    pub(version, "-r", "-q", "1", "-t", topic + "/a/x", "-m", "ax");
    pub(version, "-r", "-q", "1", "-t", topic + "/b/x", "-m", "bx");
    pub(version, "-r", "-q", "1", "-t", topic + "/b/y", "-m", "by");
    Client sub =
        client(
            "mosquitto_sub",
            version,
            "-p",
            String.valueOf(live.tcp()),
            "-t",
            topic + "/+/x",
            "-F",
            "%r %p",
            "-C",
            "2");
    List<String> got = new ArrayList<>(List.of(sub.await(" "), sub.await(" ")));
    got.sort(null);
    assertEquals(List.of("1 ax", "1 bx"), got); // retain flag set, y not matched
    sub.exitsCleanly();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mqttv311", "mqttv5"})
  void willOnAbruptClose(String version) throws Exception {
    String topic = run(version);
    Client watcher =
        client(
            "mosquitto_sub",
            version,
            "-p",
            String.valueOf(live.tcp()),
            "-d",
            "-t",
            topic + "/will",
            "-C",
            "1");
    watcher.await("SUBACK");
    Client dying =
        client(
            "mosquitto_sub",
            version,
            "-p",
            String.valueOf(live.tcp()),
            "-d",
            "-t",
            topic + "/other",
            "--will-topic",
            topic + "/will",
            "--will-payload",
            "gone",
            "--will-qos",
            "1");
    dying.await("SUBACK");
    dying.process.destroyForcibly(); // SIGKILL: no DISCONNECT, the kernel just closes the socket
    assertTrue(watcher.await("gone").endsWith("gone"));
    watcher.exitsCleanly();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mqttv311", "mqttv5"})
  void tlsPublisherReachesTcpSubscriber(String version) throws Exception {
    String topic = run(version);
    Client sub =
        client(
            "mosquitto_sub",
            version,
            "-p",
            String.valueOf(live.tcp()),
            "-d",
            "-t",
            topic,
            "-C",
            "1");
    sub.await("SUBACK");
    client(
            "mosquitto_pub",
            version,
            "-p",
            String.valueOf(live.tls()),
            "--cafile",
            certs.certificate().toString(),
            "-q",
            "1",
            "-t",
            topic,
            "-m",
            "over-tls")
        .exitsCleanly();
    assertTrue(sub.await("over-tls").endsWith("over-tls"));
    sub.exitsCleanly();
  }

  @Test
  void tlsRefusesAClientThatDoesNotTrustTheCertificate() throws Exception {
    Client pub =
        client(
            "mosquitto_pub",
            "mqttv311",
            "-p",
            String.valueOf(live.tls()),
            "--capath",
            "/etc/ssl/certs",
            "-t",
            "x",
            "-m",
            "y");
    assertTrue(pub.process.waitFor(20, TimeUnit.SECONDS));
    assertTrue(pub.process.exitValue() != 0, "an untrusted self-signed certificate was accepted");
  }
}
