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

  /**
   * One row per (operation, payload, qos): Stratus ops/µs, Netty ops/µs, and Stratus ÷ Netty. Both
   * Stratus decoders are set against Netty's one decoder.
   */
  static String table(Collection<RunResult> results) {
    Map<String, Double> score = new TreeMap<>();
    Map<String, String[]> cells = new TreeMap<>();
    for (RunResult r : results) {
      String method = r.getParams().getBenchmark();
      method = method.substring(method.lastIndexOf('.') + 1);
      String payload = r.getParams().getParam("payloadSize");
      String qos = r.getParams().getParam("qos");
      score.put(method + "/" + payload + "/" + qos, r.getPrimaryResult().getScore());
      cells.put(String.format(Locale.ROOT, "%6s/%s", payload, qos), new String[] {payload, qos});
    }
    String[][] operations = {
      {"decode, payload copied", "stratusDecode", "nettyDecode"},
      {"decode, owned frame (zero-copy)", "stratusDecodeOwned", "nettyDecode"},
      {"encode", "stratusEncode", "nettyEncode"},
    };
    List<String> lines = new ArrayList<>();
    lines.add(
        "| operation | payload | QoS | Stratus (ops/µs) | Netty (ops/µs) | Stratus ÷ Netty |");
    lines.add("|---|---|---|---|---|---|");
    for (String[] op : operations) {
      for (String[] cell : cells.values()) {
        String suffix = "/" + cell[0] + "/" + cell[1];
        Double ours = score.get(op[1] + suffix);
        Double netty = score.get(op[2] + suffix);
        if (ours == null || netty == null) {
          continue;
        }
        lines.add(
            String.format(
                Locale.ROOT,
                "| %s | %s B | %s | %.2f | %.2f | %.2f× |",
                op[0],
                cell[0],
                cell[1],
                ours,
                netty,
                ours / netty));
      }
    }
    return String.join("\n", lines);
  }
}
