package dev.stratus.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs short scenarios against a real Mosquitto on a free loopback port. Mosquitto at QoS 1 loses
 * nothing, so every message sent must be counted as received: this checks the load generator's
 * counting, acknowledgements and draining, not the broker's speed (no timing is asserted).
 */
class MosquittoLoadGenTest {
  private static final List<String> PROGRESS = new ArrayList<>();

  @TempDir static Path dir;
  private static Process mosquitto;
  private static int port;

  @BeforeAll
  static void startMosquitto() throws Exception {
    Path binary = findMosquitto();
    Assumptions.assumeTrue(
        binary != null,
        "mosquitto is not installed (apt-get install mosquitto): skipping the load generator's"
            + " broker tests");
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    Path config = dir.resolve("mosquitto.conf");
    Files.writeString(
        config,
        "listener " + port + " 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n");
    mosquitto =
        new ProcessBuilder(binary.toString(), "-c", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("mosquitto.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        new Socket("127.0.0.1", port).close();
        return;
      } catch (IOException notYet) {
        if (!mosquitto.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "mosquitto did not start: " + Files.readString(dir.resolve("mosquitto.log")));
        }
        Thread.sleep(50);
      }
    }
  }

  @AfterAll
  static void stopMosquitto() throws InterruptedException {
    if (mosquitto != null) {
      mosquitto.destroy();
      if (!mosquitto.waitFor(5, TimeUnit.SECONDS)) {
        mosquitto.destroyForcibly();
      }
    }
  }

  private static Path findMosquitto() {
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "mosquitto"));
      }
    }
    candidates.add(Path.of("/usr/sbin/mosquitto"));
    candidates.add(Path.of("/usr/local/sbin/mosquitto"));
    return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }

  private static Options options(String... args) throws Options.UsageException {
    List<String> all = new ArrayList<>(List.of("--url", "mqtt://127.0.0.1:" + port));
    all.addAll(List.of(args));
    return Options.parse(all.toArray(String[]::new));
  }

  @Test
  void fanInAtQos1ReceivesEveryMessageSent() throws Exception {
    Options o = options("--qos", "1", "--seconds", "1", "--warmup", "0", "--publishers", "3");
    Result.Throughput r =
        (Result.Throughput) LoadGenMain.run(o, Options.Scenario.FANIN, PROGRESS::add);
    assertTrue(r.sent() > 0, "sent nothing: " + r);
    assertEquals(r.sent(), r.expected(), "one subscriber: one delivery per message");
    assertEquals(r.expected(), r.received(), "QoS 1 on Mosquitto loses nothing: " + r);
    assertEquals(0, r.lost());
    assertTrue(r.deliveriesPerSecond() > 0, "no deliveries in the measured window: " + r);
    assertEquals(3, r.publishers());
  }

  @Test
  void fanOutAtQos1DeliversEveryMessageToEverySubscriber() throws Exception {
    Options o = options("--qos", "1", "--seconds", "1", "--warmup", "0", "--subscribers", "5");
    Result.Throughput r =
        (Result.Throughput) LoadGenMain.run(o, Options.Scenario.FANOUT, PROGRESS::add);
    assertTrue(r.sent() > 0, "sent nothing: " + r);
    assertEquals(5 * r.sent(), r.expected());
    assertEquals(r.expected(), r.received(), "QoS 1 on Mosquitto loses nothing: " + r);
  }

  @Test
  void latencyAtQos1SamplesEveryMessageOfTheWindow() throws Exception {
    Options o = options("--qos", "1", "--seconds", "1", "--warmup", "1", "--rate", "200");
    Result.Latency r = (Result.Latency) LoadGenMain.run(o, Options.Scenario.LATENCY, PROGRESS::add);
    assertEquals(400, r.sent(), "two seconds at 200/s");
    assertEquals(r.sent(), r.received(), "QoS 1 on Mosquitto loses nothing: " + r);
    assertEquals(200, r.samples(), "only the measured second is sampled: " + r);
    assertTrue(r.p50Millis() > 0, "a latency cannot be zero or negative: " + r);
    assertTrue(r.p50Millis() <= r.p99Millis() && r.p99Millis() <= r.maxMillis(), r.toString());
  }

  @Test
  void latencyOverMqtt5AtQos0() throws Exception {
    Options o = options("--mqtt-version", "5", "--seconds", "1", "--warmup", "0", "--rate", "100");
    Result.Latency r = (Result.Latency) LoadGenMain.run(o, Options.Scenario.LATENCY, PROGRESS::add);
    assertEquals(100, r.sent());
    assertEquals(r.sent(), r.received(), "an idle loopback broker drops nothing: " + r);
  }

  @Test
  void idleConnectionsAreCountedAndMeasured() throws Exception {
    Options o = options("--connections", "200", "--broker-pid", Long.toString(mosquitto.pid()));
    Result.Idle r = (Result.Idle) LoadGenMain.run(o, Options.Scenario.IDLE, PROGRESS::add);
    assertEquals(200, r.connected(), "first error: " + r.firstError());
    assertEquals(200, r.alive(), "every connection answers a PINGREQ: " + r.firstError());
    assertTrue(r.rssBeforeKib() > 0 && r.rssAfterKib() > 0, r.toString());
    assertTrue(r.connectsPerSecond() > 0, r.toString());
  }
}
