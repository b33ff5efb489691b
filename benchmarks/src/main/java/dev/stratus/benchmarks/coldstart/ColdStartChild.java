package dev.stratus.benchmarks.coldstart;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One cold start, in a fresh JVM started by {@link ColdStart}: loads the handler classes by name
 * (as the Lambda runtime does), constructs them (the Stratus handlers build their container's SDK
 * clients and engine here) and invokes {@code $connect}, then {@code $default} with CONNECT,
 * SUBSCRIBE and PUBLISH QoS 1, from the {@code events/} fixtures. Prints {@code ready} once every
 * invocation answered 200 (the parent's stopwatch stops there), then exits 0.
 *
 * <p>Arguments: {@code stratus|trivial EVENTS_DIR}.
 */
public final class ColdStartChild {
  private ColdStartChild() {}

  public static void main(String[] args) throws Exception {
    boolean stratus = args[0].equals("stratus");
    Path events = Path.of(args[1]);
    String[][] steps = {
      {"dev.stratus.functions.ConnectHandler", "connect.json"},
      {"dev.stratus.functions.DefaultHandler", "default-connect.json"},
      {"dev.stratus.functions.DefaultHandler", "default-subscribe.json"},
      {"dev.stratus.functions.DefaultHandler", "default-publish-qos1.json"},
    };
    boolean trace = Boolean.getBoolean("stratus.coldstart.trace");
    long mark = System.nanoTime();
    if (trace) {
      System.err.printf(
          "  %s: JVM start to main %d ms%n",
          args[0],
          java.time.Duration.between(
                  ProcessHandle.current().info().startInstant().orElseThrow(),
                  java.time.Instant.now())
              .toMillis());
    }
    for (String[] step : steps) {
      String className = stratus ? step[0] : TrivialHandler.class.getName();
      RequestStreamHandler h =
          (RequestStreamHandler) Class.forName(className).getDeclaredConstructor().newInstance();
      if (trace) {
        long now = System.nanoTime();
        System.err.printf(
            "  %s: construct %s %d ms%n", args[0], className, (now - mark) / 1_000_000);
        mark = now;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream in = Files.newInputStream(events.resolve(step[1]))) {
        h.handleRequest(in, out, null);
      }
      if (trace) {
        long now = System.nanoTime();
        System.err.printf("  %s: invoke %s %d ms%n", args[0], step[1], (now - mark) / 1_000_000);
        mark = now;
      }
      String response = out.toString(java.nio.charset.StandardCharsets.UTF_8);
      if (!response.startsWith("{\"statusCode\":200")) {
        System.err.println(step[1] + " answered " + response);
        System.exit(2);
      }
    }
    // the cold start ends here: what the JVM does to exit is not part of it
    System.out.println("ready");
    System.out.flush();
  }
}
