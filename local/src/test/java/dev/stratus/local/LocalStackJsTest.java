package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratus.bridge.Protocol;
import dev.stratus.console.ConsoleServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack as a JavaScript developer meets it: one stack (DynamoDB Local, the API Gateway
 * emulator running the real handlers, the bridge, the console) and real clients in node, from
 * src/test/js (MQTT.js 5.16.0, ws and playwright-core pinned in package.json; {@code npm ci} when
 * missing).
 *
 * <ul>
 *   <li>crossedge.mjs: MQTT.js with the text-profile adapter (clients/js/src/index.js) on the API
 *       Gateway edge against mosquitto_pub/mosquitto_sub and plain MQTT.js on the bridge: both
 *       directions at QoS 0/1/2, retained messages through wildcard filters, a will on an abrupt
 *       close, a persistent session moving between the edges, takeover across the edges, and a
 *       standard MQTT.js client (subprotocol mqtt) refused at the API Gateway handshake.
 *   <li>console.mjs: the web console in Chromium, connected on each edge in turn (screenshots under
 *       target/screenshots/).
 * </ul>
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalStackJsTest {
  private static final Path JS = Path.of("src", "test", "js").toAbsolutePath();
  private static final Path SHOTS = Path.of("target", "screenshots").toAbsolutePath();
  private static final String CHROMIUM = "/usr/bin/chromium";

  @TempDir static Path dataDir;
  static LocalStack stack;
  static ConsoleServer console;

  static boolean onPath(String binary) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, binary))) {
        return true;
      }
    }
    return false;
  }

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(onPath("node") && onPath("npm"), "node/npm not installed");
    assumeTrue(onPath("mosquitto_pub") && onPath("mosquitto_sub"), "mosquitto clients missing");
    if (!Files.isDirectory(JS.resolve("node_modules/mqtt"))
        || !Files.isDirectory(JS.resolve("node_modules/playwright-core"))) {
      // Never inheritIO here: this JVM's stdin and stdout are surefire's channel to Maven, and a
      // child that reads or writes them corrupts it (the fork then cannot report its exit).
      java.io.File log = Files.createTempFile("npm-ci", ".log").toFile();
      Process npm =
          new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
              .directory(JS.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectErrorStream(true)
              .redirectOutput(log)
              .start();
      assertTrue(
          npm.waitFor(180, TimeUnit.SECONDS) && npm.exitValue() == 0,
          () -> "npm ci failed: " + readQuietly(log.toPath()));
    }
    stack =
        LocalStack.start(LocalStackTest.options(dataDir, ApiGatewayEmulator.Dispatch.SEQUENTIAL));
    console = stack.startConsole("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private static String bridgeWs() {
    return "ws://127.0.0.1:" + stack.bridge().port(Protocol.WS) + "/mqtt";
  }

  private static String tcpPort() {
    return String.valueOf(stack.bridge().port(Protocol.TCP));
  }

  /** Runs a node script, feeding each line it prints to {@code onLine}; returns all it printed. */
  private static String node(List<String> args, LineHandler onLine) throws Exception {
    Process node =
        new ProcessBuilder(args).directory(JS.toFile()).redirectErrorStream(true).start();
    StringBuilder output = new StringBuilder();
    try (BufferedReader out =
            new BufferedReader(
                new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
        OutputStream in = node.getOutputStream()) {
      String line;
      while ((line = out.readLine()) != null) {
        output.append(line).append('\n');
        String answer = onLine.handle(line);
        if (answer != null) {
          in.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
          in.flush();
        }
      }
    } finally {
      if (!node.waitFor(30, TimeUnit.SECONDS)) {
        node.destroyForcibly();
      }
    }
    assertEquals(0, node.exitValue(), output.toString());
    return output.toString();
  }

  @FunctionalInterface
  interface LineHandler {
    /** An answer for the script's stdin, or null. */
    String handle(String line) throws IOException;
  }

  @Test
  @Order(1)
  void mqttJsWithTheAdapterOnApiGatewayMeetsTheBridgesClients() throws Exception {
    String output =
        node(
            List.of(
                "node", "crossedge.mjs", stack.emulator().url().toString(), tcpPort(), bridgeWs()),
            line -> null);
    for (String check :
        List.of(
            "ok apigw->bridge qos 0 1 2",
            "ok bridge->apigw qos 0 1 2",
            "ok retained wildcard both ways",
            "ok will on abrupt close",
            "ok persistent session moves between edges",
            "ok takeover across edges",
            "ok standard mqtt subprotocol refused on apigw")) {
      assertTrue(output.contains(check), check + " missing in:\n" + output);
    }
    assertTrue(output.strip().endsWith("ok"), output);
  }

  /**
   * Issue 6's proof: the console served by the stack, connected on the API Gateway edge (the
   * adapter, served from this jar) and then on the bridge's WebSocket; on each, {@code demo/#}
   * receives {@code demo/1} from the page and {@code demo/2} from mosquitto_pub, a retained message
   * shows in the retained view, an invalid filter is explained; the counters chart the bridge and
   * the handler containers; then each edge goes away under the page, which says so. No wrong
   * password case: the stack runs in anonymous development mode, where any password is accepted
   * (ConsoleBrowserTest covers that against a bridge with passwords). Last, as it stops both edges.
   */
  @Test
  @Order(2)
  void theConsoleWorksOverBothEdges() throws Exception {
    assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "chromium not installed at " + CHROMIUM);
    String output =
        node(
            List.of(
                "node",
                "console.mjs",
                console.url().toString(),
                stack.emulator().url().toString(),
                bridgeWs(),
                tcpPort(),
                SHOTS.toString()),
            line ->
                switch (line) {
                  case "STOP-BRIDGE" -> {
                    stack.bridge().close(); // the bridge goes away under the page
                    yield "stopped";
                  }
                  case "STOP-APIGW" -> {
                    stack.emulator().close(); // and then the API Gateway edge
                    yield "stopped";
                  }
                  default -> null;
                });
    assertTrue(output.strip().endsWith("ok"), output);
    for (String shot :
        List.of("12-apigw-log", "13-apigw-retained", "22-ws-log", "23-ws-retained")) {
      assertTrue(Files.exists(SHOTS.resolve(shot + ".png")), shot + " saved");
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
