package dev.stratus.loadgen;

/** What one scenario measured. */
public sealed interface Result {

  /** The scenario's name on the command line. */
  String scenario();

  /** "tcp" or "ws". */
  String transport();

  /**
   * Fan-in or fan-out: messages delivered to the subscribers per second during the measured window
   * (a message delivered to 100 subscribers counts 100 times).
   *
   * @param sent PUBLISH packets written by the publishers, warm-up included
   * @param expected deliveries owed for them: {@code sent} times the number of subscribers
   * @param received deliveries counted by the subscribers once the broker went quiet
   * @param stalls times deliveries stopped for half a second while publishers waited (a broker
   *     dropping messages, or pausing); each wrote the flow window off
   */
  record Throughput(
      String scenario,
      String transport,
      int qos,
      int publishers,
      int subscribers,
      int payload,
      double windowSeconds,
      long sent,
      long expected,
      long received,
      double deliveriesPerSecond,
      double publishesPerSecond,
      int stalls)
      implements Result {
    /** Deliveries that never arrived (never negative: duplicates do not hide losses). */
    public long lost() {
      return Math.max(0, expected - received);
    }
  }

  /**
   * One publisher, one subscriber, a paced rate; end-to-end latency of the messages sent during the
   * measured window, in milliseconds.
   */
  record Latency(
      String transport,
      int qos,
      int rate,
      int payload,
      long sent,
      long received,
      int samples,
      double p50Millis,
      double p90Millis,
      double p99Millis,
      double maxMillis)
      implements Result {
    @Override
    public String scenario() {
      return "latency";
    }

    public long lost() {
      return Math.max(0, sent - received);
    }
  }

  /**
   * Many connections that only connect and stay: how fast they open, and what they cost the broker.
   *
   * @param alive connections that answered a PINGREQ after the broker's memory was read
   * @param rssBeforeKib the broker's VmRSS before connecting, or -1 without {@code --broker-pid}
   * @param firstError why the first failed connection failed, or null
   */
  record Idle(
      String transport,
      int requested,
      int connected,
      int alive,
      double connectSeconds,
      long rssBeforeKib,
      long rssAfterKib,
      String firstError)
      implements Result {
    @Override
    public String scenario() {
      return "idle";
    }

    public double connectsPerSecond() {
      return connectSeconds > 0 ? connected / connectSeconds : 0;
    }

    /** Broker memory per connection in KiB, or NaN when the broker's pid was not given. */
    public double rssPerConnectionKib() {
      if (rssBeforeKib < 0 || rssAfterKib < 0 || connected == 0) {
        return Double.NaN;
      }
      return (double) (rssAfterKib - rssBeforeKib) / connected;
    }
  }
}
