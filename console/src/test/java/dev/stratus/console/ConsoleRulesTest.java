package dev.stratus.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The page's topic filter and topic name checks, reason code names and payload formats
 * (mqtt-rules.js), from the table in src/test/js/rules.test.mjs, under node's test runner.
 */
@Timeout(120)
class ConsoleRulesTest {
  @Test
  void pageRulesHoldUnderNode() throws Exception {
    boolean node = false;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      node |= Files.isExecutable(Path.of(dir, "node"));
    }
    assumeTrue(node, "node not installed");
    Process p =
        new ProcessBuilder("node", "--experimental-detect-module", "--test", "rules.test.mjs")
            .directory(Path.of("src", "test", "js").toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(100, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("# fail 0") && !out.contains("# pass 0"), out);
  }
}
