package dev.stratus.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratus.bridge.Bridge;
import dev.stratus.bridge.BridgeConfig;
import dev.stratus.bridge.Protocol;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The console in Firefox: Debian's {@code firefox-esr} driven over WebDriver BiDi by {@code
 * puppeteer-core} (pinned in src/test/js/package.json) against a real bridge on in-memory stores.
 * The script (src/test/js/firefox.mjs) connects over the bridge's standard WebSocket, sees an
 * invalid filter refused in the page, subscribes to {@code demo/#}, publishes {@code demo/1} from
 * the page while {@code mosquitto_pub} publishes {@code demo/2}, and finds both in the log; the
 * Chromium test ({@link ConsoleBrowserTest}) covers the rest of the page.
 */
@Timeout(240)
class ConsoleFirefoxTest {
  private static final Path JS = Path.of("src", "test", "js").toAbsolutePath();
  private static final Path SHOTS = Path.of("target", "screenshots").toAbsolutePath();
  private static final String FIREFOX = "/usr/bin/firefox-esr";

  private static boolean onPath(String binary) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, binary))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void theConsoleConnectsSubscribesAndShowsMessagesInFirefox() throws Exception {
    assumeTrue(onPath("node") && onPath("npm"), "node/npm not installed");
    assumeTrue(onPath("mosquitto_pub"), "mosquitto_pub not installed");
    assumeTrue(Files.isExecutable(Path.of(FIREFOX)), "firefox-esr not installed at " + FIREFOX);
    if (!Files.isDirectory(JS.resolve("node_modules/puppeteer-core"))) {
      // never inheritIO: this JVM's standard streams belong to surefire
      File log = Files.createTempFile("npm-ci", ".log").toFile();
      Process npm =
          new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
              .directory(JS.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectErrorStream(true)
              .redirectOutput(log)
              .start();
      assertTrue(
          npm.waitFor(180, TimeUnit.SECONDS) && npm.exitValue() == 0,
          () -> "npm ci failed: " + log);
    }
    Stores stores = Stores.inMemory();
    try (Bridge bridge = new Bridge(BridgeConfig.loopbackDefaults())) {
      bridge.start(
          new Broker(
              BrokerConfig.development(),
              stores,
              bridge,
              InstantSource.system(),
              Authenticator.ALLOW_ALL,
              Authorizer.ALLOW_ALL));
      String ws = "ws://127.0.0.1:" + bridge.port(Protocol.WS) + "/mqtt";
      try (ConsoleServer console =
          ConsoleServer.builder(stores)
              .edge(Edge.bridgeWebSocket(ws))
              .auth(AdminAuth.none(true))
              .start()) {
        Process node =
            new ProcessBuilder(
                    List.of(
                        "node",
                        "firefox.mjs",
                        console.url().toString(),
                        ws,
                        String.valueOf(bridge.port(Protocol.TCP)),
                        SHOTS.toString()))
                .directory(JS.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(60, TimeUnit.SECONDS), "node did not exit:\n" + output);
        assertEquals(0, node.exitValue(), output);
        assertTrue(output.strip().endsWith("ok"), output);
        assertTrue(Files.exists(SHOTS.resolve("firefox-01-log.png")), "screenshot saved");
      }
    }
  }
}
