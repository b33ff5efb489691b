package dev.stratus.loadgen;

import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.QoS;
import java.util.List;
import java.util.Locale;

/**
 * The command line, parsed and checked. Every option has a default so that {@code ./stratus
 * loadgen} alone measures a local broker on port 1883.
 *
 * @param publishers publishers of the fan-in scenario (its one subscriber is fixed)
 * @param subscribers subscribers of the fan-out scenario (its one publisher is fixed)
 * @param window how many deliveries may be owed but not yet received (a message to 100 subscribers
 *     owes 100) before publishers wait; keeps the broker's queues bounded so that throughput is
 *     what the broker sustains, not what it can buffer
 * @param inflight QoS 1 PUBLISH packets a publisher may have unacknowledged
 */
public record Options(
    BrokerUrl url,
    List<Scenario> scenarios,
    QoS qos,
    int seconds,
    int warmupSeconds,
    int payload,
    int publishers,
    int subscribers,
    int rate,
    int connections,
    long brokerPid,
    MqttVersion mqttVersion,
    Format format,
    int window,
    int inflight) {

  /** The measurements the tool knows. */
  public enum Scenario {
    FANIN,
    FANOUT,
    LATENCY,
    IDLE;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Report formats. */
  public enum Format {
    TEXT,
    MARKDOWN
  }

  static final String USAGE =
      """
      usage: stratus loadgen [options]
        --url URL              mqtt://host:port or ws://host:port/path (default mqtt://127.0.0.1:1883)
        --scenario S           fanin | fanout | latency | idle | all (default all)
        --qos Q                0 | 1 (default 0)
        --seconds N            measured window per scenario (default 10)
        --warmup N             seconds of traffic before the window opens (default 2)
        --payload BYTES        payload size (default 64; at least 8 for latency)
        --publishers N         fan-in publishers (default 4)
        --subscribers N        fan-out subscribers (default 100)
        --rate MSG_PER_S       latency scenario publish rate (default 1000)
        --connections N        idle scenario connections (default 10000)
        --broker-pid PID       read the broker's VmRSS from /proc for the idle scenario
        --mqtt-version V       3.1.1 | 5 (default 3.1.1)
        --format F             text | markdown (default text)
        --window N             deliveries owed but not yet received before publishers wait (default 20000)
        --inflight N           unacknowledged QoS 1 publishes per publisher (default 100)
      """;

  /** Thrown for a bad command line; the message is the one-line error. */
  public static final class UsageException extends Exception {
    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  /** The defaults, as if no option were given. */
  public static Options defaults() {
    try {
      return parse(new String[0]);
    } catch (UsageException e) {
      throw new AssertionError(e);
    }
  }

  public static Options parse(String[] args) throws UsageException {
    BrokerUrl url = BrokerUrl.parse("mqtt://127.0.0.1:1883");
    List<Scenario> scenarios = List.of(Scenario.values());
    QoS qos = QoS.AT_MOST_ONCE;
    int seconds = 10;
    int warmup = 2;
    int payload = 64;
    int publishers = 4;
    int subscribers = 100;
    int rate = 1000;
    int connections = 10_000;
    long brokerPid = -1;
    MqttVersion version = MqttVersion.V3_1_1;
    Format format = Format.TEXT;
    int window = 20_000;
    int inflight = 100;
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (!name.startsWith("--")) {
        throw new UsageException("unexpected argument '" + name + "' (see --help)");
      }
      if (i + 1 >= args.length) {
        throw new UsageException(name + " needs a value (see --help)");
      }
      String value = args[++i];
      switch (name) {
        case "--url" -> {
          try {
            url = BrokerUrl.parse(value);
          } catch (IllegalArgumentException e) {
            throw new UsageException("--url: " + e.getMessage());
          }
        }
        case "--scenario" ->
            scenarios =
                switch (value) {
                  case "all" -> List.of(Scenario.values());
                  case "fanin" -> List.of(Scenario.FANIN);
                  case "fanout" -> List.of(Scenario.FANOUT);
                  case "latency" -> List.of(Scenario.LATENCY);
                  case "idle" -> List.of(Scenario.IDLE);
                  default ->
                      throw new UsageException(
                          "--scenario must be fanin, fanout, latency, idle or all, got '"
                              + value
                              + "'");
                };
        case "--qos" ->
            qos =
                switch (value) {
                  case "0" -> QoS.AT_MOST_ONCE;
                  case "1" -> QoS.AT_LEAST_ONCE;
                  default -> throw new UsageException("--qos must be 0 or 1, got '" + value + "'");
                };
        case "--seconds" -> seconds = positive(name, value, 1, 86_400);
        case "--warmup" -> warmup = positive(name, value, 0, 3_600);
        case "--payload" -> payload = positive(name, value, 0, 10_000_000);
        case "--publishers" -> publishers = positive(name, value, 1, 10_000);
        case "--subscribers" -> subscribers = positive(name, value, 1, 10_000);
        case "--rate" -> rate = positive(name, value, 1, 1_000_000);
        case "--connections" -> connections = positive(name, value, 1, 1_000_000);
        case "--broker-pid" -> brokerPid = positive(name, value, 1, Integer.MAX_VALUE);
        case "--mqtt-version" ->
            version =
                switch (value) {
                  case "3.1.1", "4" -> MqttVersion.V3_1_1;
                  case "5", "5.0" -> MqttVersion.V5;
                  default ->
                      throw new UsageException(
                          "--mqtt-version must be 3.1.1 or 5, got '" + value + "'");
                };
        case "--format" ->
            format =
                switch (value) {
                  case "text" -> Format.TEXT;
                  case "markdown" -> Format.MARKDOWN;
                  default ->
                      throw new UsageException(
                          "--format must be text or markdown, got '" + value + "'");
                };
        case "--window" -> window = positive(name, value, 1, 10_000_000);
        case "--inflight" -> inflight = positive(name, value, 1, 65_535);
        default -> throw new UsageException("unknown option '" + name + "' (see --help)");
      }
    }
    if (scenarios.contains(Scenario.LATENCY) && payload < LatencyScenario.TIMESTAMP_BYTES) {
      throw new UsageException(
          "--payload must be at least "
              + LatencyScenario.TIMESTAMP_BYTES
              + " bytes for the latency scenario (it carries a timestamp)");
    }
    return new Options(
        url,
        scenarios,
        qos,
        seconds,
        warmup,
        payload,
        publishers,
        subscribers,
        rate,
        connections,
        brokerPid,
        version,
        format,
        window,
        inflight);
  }

  private static int positive(String name, String value, int min, int max) throws UsageException {
    try {
      int n = Integer.parseInt(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with the accepted range
    }
    throw new UsageException(
        name + " must be a whole number from " + min + " to " + max + ", got '" + value + "'");
  }
}
