package dev.stratus.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratus.bridge.Bridge;
import dev.stratus.bridge.BridgeConfig;
import dev.stratus.bridge.Protocol;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.AuthResult;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The console in a real browser: Debian's Chromium driven by Playwright ({@code playwright-core},
 * pinned in src/test/js/package.json, installed with {@code npm ci} when missing) against a real
 * bridge on in-memory stores. The script (src/test/js/console.mjs) connects over the bridge's
 * standard WebSocket, subscribes to {@code demo/#}, publishes {@code demo/1} from the page while
 * {@code mosquitto_pub} publishes {@code demo/2}, browses and deletes a retained message, and
 * checks the messages shown for a wrong password, an invalid filter, a refused SUBACK and the
 * broker going away. Screenshots go to target/screenshots/.
 */
@Timeout(240)
class ConsoleBrowserTest {
  private static final Path JS = Path.of("src", "test", "js").toAbsolutePath();
  private static final Path SHOTS = Path.of("target", "screenshots").toAbsolutePath();
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String TOKEN = "browser-test-token-0123";

  private static boolean onPath(String binary) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, binary))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void theConsoleDrivesABridgeFromChromium() throws Exception {
    assumeTrue(onPath("node") && onPath("npm"), "node/npm not installed");
    assumeTrue(onPath("mosquitto_pub"), "mosquitto_pub not installed");
    assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "chromium not installed at " + CHROMIUM);
    if (!Files.isDirectory(JS.resolve("node_modules/playwright-core"))) {
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

    Stores stores = Stores.inMemory();
    // password "secret" only, so the page can show a refused CONNACK; subscriptions under
    // forbidden/ refused, so it can show a failed SUBACK (0x87 [MQTT-3.9.3-2])
    Authenticator passwords =
        r ->
            r.password() != null
                    && new String(r.password().toArray(), StandardCharsets.UTF_8).equals("secret")
                ? AuthResult.ACCEPTED
                : new AuthResult.Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    Authorizer noForbidden =
        new Authorizer() {
          @Override
          public boolean mayPublish(
              String clientId, String username, java.util.Set<String> roles, TopicName topic) {
            return true;
          }

          @Override
          public boolean maySubscribe(
              String clientId, String username, java.util.Set<String> roles, TopicFilter filter) {
            return !filter.value().startsWith("forbidden/");
          }
        };
    Bridge bridge = new Bridge(BridgeConfig.loopbackDefaults());
    Broker broker =
        new Broker(
            BrokerConfig.development(),
            stores,
            bridge,
            InstantSource.system(),
            passwords,
            noForbidden);
    bridge.start(broker);
    String ws = "ws://127.0.0.1:" + bridge.port(Protocol.WS) + "/mqtt";
    try (ConsoleServer console =
            ConsoleServer.builder(stores)
                .engine("bridge", broker)
                .edge(Edge.bridgeWebSocket(ws))
                .edge(Edge.apiGateway("ws://127.0.0.1:9/"))
                .auth(AdminAuth.none(true))
                .start();
        ConsoleServer secured =
            ConsoleServer.builder(stores).auth(AdminAuth.bearer(TOKEN)).start()) {
      Process node =
          new ProcessBuilder(
                  List.of(
                      "node",
                      "console.mjs",
                      console.url().toString(),
                      ws,
                      String.valueOf(bridge.port(Protocol.TCP)),
                      SHOTS.toString(),
                      secured.url().toString(),
                      TOKEN))
              .directory(JS.toFile())
              .redirectErrorStream(true)
              .start();
      StringBuilder output = new StringBuilder();
      Bridge restarted = null;
      try (BufferedReader out =
              new BufferedReader(
                  new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
          OutputStream in = node.getOutputStream()) {
        String line;
        while ((line = out.readLine()) != null) {
          output.append(line).append('\n');
          if (line.equals("STOP-BRIDGE")) {
            bridge.close(); // the broker goes away under the page
            in.write("stopped\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
          } else if (line.equals("START-BRIDGE")) {
            // the broker comes back on the same WebSocket port, on the same stores
            restarted =
                new Bridge(
                    BridgeConfig.loopbackDefaults().withPorts(0, -1, bridge.port(Protocol.WS)));
            restarted.start(
                new Broker(
                    BrokerConfig.development(),
                    stores,
                    restarted,
                    InstantSource.system(),
                    passwords,
                    noForbidden));
            in.write("started\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
          }
        }
      } finally {
        bridge.close();
        if (restarted != null) {
          restarted.close();
        }
      }
      assertTrue(node.waitFor(60, TimeUnit.SECONDS), "node did not exit:\n" + output);
      assertEquals(0, node.exitValue(), output.toString());
      assertTrue(output.toString().strip().endsWith("ok"), output.toString());
      assertTrue(Files.exists(SHOTS.resolve("04-retained.png")), "screenshots saved");
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
