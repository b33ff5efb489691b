package dev.stratus.loadgen;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code ./stratus loadgen}: measures an MQTT broker at a URL. Results go to standard output,
 * progress and errors to standard error. Exit code 0 when every scenario ran, 1 when one failed
 * (the others still run), 2 for a bad command line.
 */
public final class LoadGenMain {
  private LoadGenMain() {}

  public static void main(String[] args) {
    for (String arg : args) {
      if (arg.equals("--help") || arg.equals("-h")) {
        System.out.print(Options.USAGE);
        System.exit(0);
      }
    }
    Options options;
    try {
      options = Options.parse(args);
    } catch (Options.UsageException e) {
      System.err.println("loadgen: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(run(options, System.out, System.err));
  }

  /** Runs the scenarios the options ask for; returns the process exit code. */
  static int run(Options options, PrintStream out, PrintStream err) {
    Consumer<String> progress = message -> err.println("loadgen: " + message);
    List<Result> results = new ArrayList<>();
    int failures = 0;
    for (Options.Scenario scenario : options.scenarios()) {
      try {
        Result result = run(options, scenario, progress);
        results.add(result);
        if (options.format() == Options.Format.TEXT) {
          out.println(Report.text(result));
          out.flush();
        }
      } catch (IOException | RuntimeException e) {
        failures++;
        err.println(
            "loadgen: "
                + scenario.label()
                + " over "
                + options.url().transportName()
                + " failed: "
                + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }
    if (options.format() == Options.Format.MARKDOWN) {
      out.print(Report.markdown(results));
      out.flush();
    }
    return failures == 0 ? 0 : 1;
  }

  /** Runs one scenario. */
  public static Result run(Options options, Options.Scenario scenario, Consumer<String> progress)
      throws IOException, InterruptedException {
    return switch (scenario) {
      case FANIN ->
          new ThroughputScenario(options, "fanin", options.publishers(), 1, progress).run();
      case FANOUT ->
          new ThroughputScenario(options, "fanout", 1, options.subscribers(), progress).run();
      case LATENCY -> new LatencyScenario(options, progress).run();
      case IDLE -> new IdleScenario(options, progress).run();
    };
  }
}
