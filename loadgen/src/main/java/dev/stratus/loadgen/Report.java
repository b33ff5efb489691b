package dev.stratus.loadgen;

import java.util.List;
import java.util.Locale;

/**
 * Formats results. Text is one line of {@code key=value} pairs per scenario, readable by people and
 * by {@code awk} (benchmarks/broker-compare/run.sh parses it); markdown is one table for all.
 */
final class Report {
  private Report() {}

  static String text(Result result) {
    return switch (result) {
      case Result.Throughput t ->
          format(
              "scenario=%s transport=%s qos=%d publishers=%d subscribers=%d payload=%d window_s=%.1f sent=%d expected=%d received=%d lost=%d stalls=%d publish_msg_s=%.0f throughput_msg_s=%.0f",
              t.scenario(),
              t.transport(),
              t.qos(),
              t.publishers(),
              t.subscribers(),
              t.payload(),
              t.windowSeconds(),
              t.sent(),
              t.expected(),
              t.received(),
              t.lost(),
              t.stalls(),
              t.publishesPerSecond(),
              t.deliveriesPerSecond());
      case Result.Latency l ->
          format(
              "scenario=latency transport=%s qos=%d rate=%d payload=%d sent=%d received=%d lost=%d samples=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f",
              l.transport(),
              l.qos(),
              l.rate(),
              l.payload(),
              l.sent(),
              l.received(),
              l.lost(),
              l.samples(),
              l.p50Millis(),
              l.p90Millis(),
              l.p99Millis(),
              l.maxMillis());
      case Result.Idle i ->
          format(
              "scenario=idle transport=%s connections=%d connected=%d alive=%d connect_s=%.2f connect_rate_s=%.0f rss_before_kib=%d rss_after_kib=%d rss_per_conn_kib=%s%s",
              i.transport(),
              i.requested(),
              i.connected(),
              i.alive(),
              i.connectSeconds(),
              i.connectsPerSecond(),
              i.rssBeforeKib(),
              i.rssAfterKib(),
              Double.isNaN(i.rssPerConnectionKib())
                  ? "n/a"
                  : String.format(Locale.ROOT, "%.2f", i.rssPerConnectionKib()),
              i.firstError() == null ? "" : " first_error=\"" + i.firstError() + "\"");
    };
  }

  /** Formats with a fixed locale: the output is parsed, and "5,0" is not a number to awk. */
  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }

  static String markdown(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| Scenario | Transport | QoS | Clients | Throughput (msg/s) | p50 (ms) | p99 (ms) |"
            + " Connects/s | RSS/conn (KiB) | Sent | Received | Lost |\n");
    sb.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      String row =
          switch (r) {
            case Result.Throughput t ->
                row(
                    t.scenario(),
                    t.transport(),
                    Integer.toString(t.qos()),
                    t.publishers() + " → " + t.subscribers(),
                    number(t.deliveriesPerSecond(), 0),
                    "",
                    "",
                    "",
                    "",
                    Long.toString(t.sent()),
                    Long.toString(t.received()),
                    Long.toString(t.lost()));
            case Result.Latency l ->
                row(
                    "latency",
                    l.transport(),
                    Integer.toString(l.qos()),
                    "1 → 1 at " + l.rate() + "/s",
                    "",
                    number(l.p50Millis(), 3),
                    number(l.p99Millis(), 3),
                    "",
                    "",
                    Long.toString(l.sent()),
                    Long.toString(l.received()),
                    Long.toString(l.lost()));
            case Result.Idle i ->
                row(
                    "idle",
                    i.transport(),
                    "",
                    i.connected() + " of " + i.requested() + " (" + i.alive() + " alive)",
                    "",
                    "",
                    "",
                    number(i.connectsPerSecond(), 0),
                    number(i.rssPerConnectionKib(), 2),
                    "",
                    "",
                    "");
          };
      sb.append(row).append('\n');
    }
    return sb.toString();
  }

  private static String row(String... cells) {
    return "| " + String.join(" | ", cells) + " |";
  }

  private static String number(double value, int decimals) {
    return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
  }
}
