package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./stratus local}'s main in its own JVM, as the launcher runs it: the listening lines, a
 * stop on SIGTERM with exit 0, a restart on the same data directory that keeps retained messages,
 * and clear errors for a bad flag or a port in use.
 */
class LocalMainTest {
  @TempDir Path dataDir;

  private Process start(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                LocalMain.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Reads the listening lines: apigw, dynamodb, tcp, ws, (tls), internal, console. */
  private static List<String> listening(Process p, int lines) throws Exception {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines; i++) {
      String l = r.readLine();
      if (l == null) {
        break;
      }
      out.add(l);
    }
    return out;
  }

  private String[] freePorts() {
    return new String[] {
      "--apigw-port",
      "0",
      "--tcp-port",
      "0",
      "--ws-port",
      "0",
      "--dynamodb-port",
      "0",
      "--console-port",
      "0",
      "--data-dir",
      dataDir.toString()
    };
  }

  @Test
  void printsOneLinePerEndpointStopsOnSigtermAndKeepsRetainedMessagesAcrossARestart()
      throws Exception {
    Process p = start(concat(freePorts(), "--tls-port", "0"));
    List<String> lines = listening(p, 7);
    assertEquals(7, lines.size(), lines.toString());
    assertTrue(
        lines.get(0).matches("listening apigw ws://127\\.0\\.0\\.1:\\d+/local"), lines.get(0));
    assertTrue(
        lines.get(1).matches("listening dynamodb http://127\\.0\\.0\\.1:\\d+"), lines.get(1));
    assertTrue(lines.get(2).matches("listening tcp 127\\.0\\.0\\.1:\\d+"), lines.get(2));
    assertTrue(
        lines.contains(
            lines.stream()
                .filter(l -> l.startsWith("listening tls 127.0.0.1:"))
                .findFirst()
                .orElse("no tls line")),
        lines.toString());
    assertTrue(
        lines.stream().anyMatch(l -> l.matches("listening ws ws://127\\.0\\.0\\.1:\\d+/mqtt")),
        lines.toString());
    String consoleLine = lines.get(6);
    assertTrue(consoleLine.matches("listening console http://127\\.0\\.0\\.1:\\d+/"), consoleLine);
    URI console = URI.create(consoleLine.substring("listening console ".length()));
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> page =
        http.send(HttpRequest.newBuilder(console).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    // the text-profile adapter comes from the jar (copied there by the build), not the checkout
    HttpResponse<String> adapter =
        http.send(
            HttpRequest.newBuilder(console.resolve("/clients/stratus-mqtt.js")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, adapter.statusCode());
    assertTrue(adapter.body().contains("export function textProfile("), "the adapter module");
    // both edges prefilled, with the URLs printed above
    HttpResponse<String> info =
        http.send(
            HttpRequest.newBuilder(console.resolve("/api/info")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, info.statusCode(), info.body());
    String apigwUrl = lines.get(0).substring("listening apigw ".length());
    String wsUrl =
        lines.stream()
            .filter(l -> l.startsWith("listening ws "))
            .findFirst()
            .orElseThrow()
            .substring("listening ws ".length());
    assertTrue(info.body().contains(apigwUrl) && info.body().contains(wsUrl), info.body());
    int tcp = Integer.parseInt(lines.get(2).substring(lines.get(2).lastIndexOf(':') + 1));
    LocalStackTest.mosquittoPub(tcp, "kept/a", "across-restarts", 1, "-r");
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stopped");
    assertEquals(0, p.exitValue());

    Process again = start(freePorts());
    List<String> lines2 = listening(again, 6);
    int tcp2 = Integer.parseInt(lines2.get(2).substring(lines2.get(2).lastIndexOf(':') + 1));
    assertEquals(
        List.of("kept/a across-restarts"),
        LocalStackTest.output(LocalStackTest.mosquittoSub(tcp2, "kept/#", 1, 1)));
    again.destroy();
    assertTrue(again.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, again.exitValue());
  }

  @Test
  void aBadFlagOrAPortInUseExitsWith2() throws Exception {
    assertEquals(2, start("--dispatch", "sideways").waitFor());
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Process p =
          start(
              "--apigw-port",
              String.valueOf(taken.getLocalPort()),
              "--store",
              "memory",
              "--tcp-port",
              "0",
              "--ws-port",
              "0");
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue());
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
