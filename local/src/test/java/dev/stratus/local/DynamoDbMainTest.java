package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** {@code ./stratus dynamodb}'s main, run as a child process as the launcher runs it. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DynamoDbMainTest {
  @TempDir Path dir;
  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void kill() {
    children.forEach(Process::destroyForcibly);
  }

  private Process run(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(DynamoDbMain.class.getName());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    children.add(p);
    return p;
  }

  /** Reads the listening line and returns the endpoint. */
  private static URI listening(Process p) throws Exception {
    String line =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertNotNull(line, "the server printed its endpoint");
    assertTrue(line.matches("listening dynamodb http://127\\.0\\.0\\.1:\\d+"), line);
    return URI.create(line.substring("listening dynamodb ".length()));
  }

  private static String stderr(Process p) throws Exception {
    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void printsTheEndpointCreatesTheTablesKeepsThemAcrossARestartAndStopsOnSigterm()
      throws Exception {
    Path data = dir.resolve("data");
    Process first = run("--port", "0", "--data-dir", data.toString(), "--table-prefix", "m-");
    URI endpoint = listening(first);
    try (DynamoDbClient client =
        DynamoDbClients.builder(endpoint, "us-east-1", true, List.of()).build()) {
      List<String> names = client.listTables().tableNames();
      for (StratusTables.Table t : StratusTables.ALL) {
        assertTrue(names.contains(t.name("m-")), t.name("m-") + " in " + names);
      }
      new BridgeTasks(client, "m-")
          .register(
              "bridge-kept", URI.create("http://127.0.0.1:1"), Instant.now(), Duration.ofHours(1));
    }

    // a second server on the same port: one line, exit 2
    Process clash = run("--port", Integer.toString(endpoint.getPort()), "--in-memory");
    assertTrue(clash.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, clash.exitValue());
    String clashErr = stderr(clash).strip();
    assertTrue(
        clashErr.startsWith("stratus dynamodb: cannot listen on dynamodb 127.0.0.1:"), clashErr);
    assertFalse(clashErr.contains("\n"), clashErr);

    first.destroy(); // SIGTERM
    assertTrue(first.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, first.exitValue());
    assertThrows(
        java.io.IOException.class,
        () -> new Socket("127.0.0.1", endpoint.getPort()).close(),
        "nothing listens any more");

    // restarted on the same data directory: the tables and their items are still there
    Process second = run("--port", "0", "--data-dir", data.toString(), "--table-prefix", "m-");
    URI again = listening(second);
    try (DynamoDbClient client =
        DynamoDbClients.builder(again, "us-east-1", true, List.of()).build()) {
      assertEquals(
          URI.create("http://127.0.0.1:1"),
          new BridgeTasks(client, "m-").lookup("bridge-kept", Instant.now()));
    }
    second.destroy();
    assertTrue(second.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, second.exitValue());
  }

  @Test
  void aBadCommandLineExitsWith2() throws Exception {
    Process p = run("--port", "x");
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertThrows(
        DynamoDbMain.UsageException.class,
        () -> DynamoDbMain.parse("--in-memory", "--data-dir", "d"));
    assertEquals(8000, DynamoDbMain.parse().port());
    assertEquals(null, DynamoDbMain.parse("--in-memory").dataDir());
  }
}
