package dev.stratus.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.QoS;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OptionsTest {

  @Test
  void defaultsMeasureALocalBrokerWithEveryScenario() {
    Options o = Options.defaults();
    assertEquals(BrokerUrl.Kind.TCP, o.url().kind());
    assertEquals(1883, o.url().port());
    assertEquals(List.of(Options.Scenario.values()), o.scenarios());
    assertEquals(QoS.AT_MOST_ONCE, o.qos());
    assertEquals(MqttVersion.V3_1_1, o.mqttVersion());
    assertEquals(4, o.publishers());
    assertEquals(100, o.subscribers());
    assertEquals(1000, o.rate());
    assertEquals(10_000, o.connections());
  }

  @Test
  void parsesEveryOption() throws Exception {
    Options o =
        Options.parse(
            new String[] {
              "--url",
              "ws://127.0.0.1:8080/mqtt",
              "--scenario",
              "latency",
              "--qos",
              "1",
              "--seconds",
              "3",
              "--payload",
              "16",
              "--publishers",
              "2",
              "--subscribers",
              "7",
              "--rate",
              "50",
              "--connections",
              "9",
              "--broker-pid",
              "42",
              "--mqtt-version",
              "5",
              "--format",
              "markdown",
              "--warmup",
              "0",
              "--window",
              "10",
              "--inflight",
              "5"
            });
    assertEquals(new BrokerUrl(BrokerUrl.Kind.WS, "127.0.0.1", 8080, "/mqtt"), o.url());
    assertEquals(List.of(Options.Scenario.LATENCY), o.scenarios());
    assertEquals(QoS.AT_LEAST_ONCE, o.qos());
    assertEquals(3, o.seconds());
    assertEquals(16, o.payload());
    assertEquals(2, o.publishers());
    assertEquals(7, o.subscribers());
    assertEquals(50, o.rate());
    assertEquals(9, o.connections());
    assertEquals(42, o.brokerPid());
    assertEquals(MqttVersion.V5, o.mqttVersion());
    assertEquals(Options.Format.MARKDOWN, o.format());
    assertEquals(0, o.warmupSeconds());
    assertEquals(10, o.window());
    assertEquals(5, o.inflight());
  }

  @Test
  void webSocketUrlDefaultsToPathMqtt() {
    assertEquals("/mqtt", BrokerUrl.parse("ws://localhost:9001").path());
    assertEquals(80, BrokerUrl.parse("ws://localhost").port());
    assertEquals(1883, BrokerUrl.parse("mqtt://localhost").port());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--qos 2",
        "--scenario everything",
        "--seconds 0",
        "--seconds ten",
        "--url http://127.0.0.1:1883",
        "--url nonsense",
        "--mqtt-version 4.0",
        "--format json",
        "--scenario latency --payload 4",
        "--rate",
        "stray",
        "--unknown 1"
      })
  void badArgumentsAreOneLineErrors(String line) {
    Options.UsageException e =
        assertThrows(Options.UsageException.class, () -> Options.parse(line.split(" ")));
    assertTrue(!e.getMessage().isBlank() && !e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void anUnreachableBrokerFailsTheScenarioWithExitCode1() throws Exception {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    Options o =
        Options.parse(new String[] {"--url", "mqtt://127.0.0.1:1", "--scenario", "latency"});
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        LoadGenMain.run(
            o,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(1, code);
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("latency over tcp failed"), err.toString());
  }
}
