package dev.stratus.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link PublishCodecBenchmark} (or whatever JMH arguments select) and prints a markdown table
 * of Stratus against Netty, cell by cell, with the ratio: the table in docs/benchmarks.md comes
 * from here.
 */
public final class CodecBenchmarkMain {
  private CodecBenchmarkMain() {}

  public static void main(String[] args) throws RunnerException, CommandLineOptionException {
    Options options =
        new OptionsBuilder()
            .parent(new CommandLineOptions(args))
            .include(PublishCodecBenchmark.class.getSimpleName())
            .build();
    Collection<RunResult> results = new Runner(options).run();
    System.out.println();
    System.out.println(table(results));
  }

  /** One row per (operation, payload, qos): Stratus ops/µs, Netty ops/µs, and Stratus ÷ Netty. */
  static String table(Collection<RunResult> results) {
    Map<String, double[]> rows = new TreeMap<>();
    for (RunResult r : results) {
      String method = r.getParams().getBenchmark();
      method = method.substring(method.lastIndexOf('.') + 1);
      boolean stratus = method.startsWith("stratus");
      String operation =
          method.replace("stratus", "").replace("netty", "").toLowerCase(Locale.ROOT);
      String key =
          String.format(
              Locale.ROOT,
              "%s | %5s B | QoS %s",
              operation,
              r.getParams().getParam("payloadSize"),
              r.getParams().getParam("qos"));
      double[] row = rows.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN});
      row[stratus ? 0 : 1] = r.getPrimaryResult().getScore();
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        "| operation | payload | QoS | Stratus (ops/µs) | Netty (ops/µs) | Stratus ÷ Netty |");
    lines.add("|---|---|---|---|---|---|");
    for (Map.Entry<String, double[]> e : rows.entrySet()) {
      double[] v = e.getValue();
      lines.add(
          String.format(
              Locale.ROOT,
              "| %s | %.2f | %.2f | %.2f× |",
              e.getKey().replace(" | QoS ", " | "),
              v[0],
              v[1],
              v[0] / v[1]));
    }
    return String.join("\n", lines);
  }
}
