package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MQTT.js (the npm {@code mqtt} package pinned in src/test/js/package.json) over TCP and WebSocket,
 * MQTT 3.1.1 and 5: QoS 0/1/2 and retained messages on a wildcard subscription. The script is
 * src/test/js/interop.mjs; dependencies are installed with {@code npm ci} when missing.
 */
@Timeout(180)
class MqttJsInteropTest {
  private static final Path JS = Path.of("src", "test", "js").toAbsolutePath();

  private static boolean onPath(String binary) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, binary))) {
        return true;
      }
    }
    return false;
  }

  private static String run(List<String> command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(JS.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(150, TimeUnit.SECONDS), "timed out: " + command);
    assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + output);
    return output;
  }

  @Test
  void mqttJsOverTcpAndWebSocket() throws Exception {
    assumeTrue(onPath("node") && onPath("npm"), "node/npm not installed: MQTT.js interop skipped");
    if (!Files.isDirectory(JS.resolve("node_modules/mqtt"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund"));
    }
    try (LiveBroker live = new LiveBroker(null)) {
      String tcp = "mqtt://127.0.0.1:" + live.tcp();
      String ws = "ws://127.0.0.1:" + live.ws() + "/mqtt";
      String output = run(List.of("node", "interop.mjs", tcp, ws));
      for (String url : List.of(tcp, ws)) {
        for (String v : List.of("v4", "v5")) {
          assertTrue(output.contains("ok " + url + " " + v), output);
        }
      }
    }
  }
}
