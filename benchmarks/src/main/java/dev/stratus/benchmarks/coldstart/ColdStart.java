package dev.stratus.benchmarks.coldstart;

import com.sun.net.httpserver.HttpServer;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The cold-start comparison of issue 5 (docs/benchmarks.md, "Cold start of the functions"): a fresh
 * JVM that handles {@code $connect} + CONNECT + SUBSCRIBE + PUBLISH through the Stratus handlers
 * against DynamoDB Local, against a fresh JVM that runs a trivial handler on the same four events,
 * alternately, {@code runs} times each; prints each wall time (process start to the child's "ready"
 * after the fourth answer), the medians, their ratio and the size of the function jar. Not a test.
 *
 * <pre>
 * java -cp functions/target/stratus-functions.jar:benchmarks/target/classes \
 *   dev.stratus.benchmarks.coldstart.ColdStart http://127.0.0.1:8000 [runs]
 * </pre>
 *
 * DynamoDB Local must be running at the given endpoint (e.g. {@code ./stratus dynamodb}); each run
 * gets fresh tables under a new prefix. A loopback HTTP server in this process stands in for the
 * Management API (answers 200). Both children run with the flags the Lambda Java runtimes use by
 * default ({@code -XX:+TieredCompilation -XX:TieredStopAtLevel=1}) and the same classpath.
 */
public final class ColdStart {
  private ColdStart() {}

  public static void main(String[] args) throws Exception {
    URI dynamodb = URI.create(args[0]);
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path jar = Path.of("functions/target/stratus-functions.jar");
    Path events = Path.of("events");
    String classpath = System.getProperty("java.class.path");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    HttpServer api =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    api.createContext(
        "/",
        ex -> {
          ex.getRequestBody().readAllBytes();
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    api.start();
    String callback = "http://127.0.0.1:" + api.getAddress().getPort() + "/bench";

    List<Long> stratus = new ArrayList<>();
    List<Long> trivial = new ArrayList<>();
    try (DynamoDbClient dynamo =
        DynamoDbClients.fromEnvironment(Map.of("AWS_ENDPOINT_URL_DYNAMODB", dynamodb.toString()))) {
      // one unmeasured run of each warms the OS file cache, as a deployed function's is
      for (int i = -1; i < runs; i++) {
        String prefix = "cold" + ProcessHandle.current().pid() + "x" + (i + 1) + "-";
        StratusTables.createAll(dynamo, prefix);
        long s =
            run(
                java,
                classpath,
                "stratus",
                events,
                Map.of(
                    "STRATUS_ALLOW_ANONYMOUS", "true",
                    "AWS_ENDPOINT_URL_DYNAMODB", dynamodb.toString(),
                    "STRATUS_TABLE_PREFIX", prefix,
                    "STRATUS_CALLBACK_URL", callback,
                    "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "local",
                    "AWS_SECRET_ACCESS_KEY", "local"));
        long t = run(java, classpath, "trivial", events, Map.of("AWS_REGION", "us-east-1"));
        if (i >= 0) {
          stratus.add(s);
          trivial.add(t);
          System.out.printf(Locale.ROOT, "run %d: stratus %d ms, trivial %d ms%n", i + 1, s, t);
        }
      }
    } finally {
      api.stop(0);
    }
    long ms = median(stratus);
    long mt = median(trivial);
    System.out.printf(
        Locale.ROOT,
        "median: stratus %d ms, trivial %d ms, ratio %.2f%n",
        ms,
        mt,
        (double) ms / mt);
    System.out.printf(
        Locale.ROOT,
        "artifact: %s %d bytes (%.1f MB)%n",
        jar,
        Files.size(jar),
        Files.size(jar) / 1_000_000.0);
  }

  private static long run(
      String java, String classpath, String mode, Path events, Map<String, String> env)
      throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-XX:+TieredCompilation",
            "-XX:TieredStopAtLevel=1",
            "-Dstratus.coldstart.trace=" + Boolean.getBoolean("stratus.coldstart.trace"),
            "-cp",
            classpath,
            ColdStartChild.class.getName(),
            mode,
            events.toString());
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    long start = System.nanoTime();
    Process p = pb.start();
    long elapsed = -1;
    try (var out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.equals("ready") && elapsed < 0) {
          elapsed = (System.nanoTime() - start) / 1_000_000;
        }
      }
    }
    if (!p.waitFor(Duration.ofMinutes(2).toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(mode + " did not finish in 2 minutes");
    }
    if (p.exitValue() != 0 || elapsed < 0) {
      throw new IllegalStateException(mode + " exited with " + p.exitValue());
    }
    return elapsed;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
