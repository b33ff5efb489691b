package dev.stratus.console;

import dev.stratus.core.Broker;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Samples each engine's counters on one thread at a fixed interval and keeps the last {@link
 * #HISTORY} samples. Browsers read the history, never the engines: however many consoles are open,
 * the engines (and, on DynamoDB, the Scan behind the connection count) are asked once per interval.
 */
final class Counters implements AutoCloseable {
  static final int HISTORY = 120;

  /**
   * One sample: totals since the engine started, and rates over the interval before it (0 on the
   * first sample).
   */
  record Sample(
      long atMillis,
      int connections,
      long received,
      long sent,
      long dropped,
      double inPerSecond,
      double outPerSecond) {}

  private final Map<String, Supplier<Broker.Stats>> engines;
  private final Map<String, ArrayDeque<Sample>> history = new LinkedHashMap<>();
  private final Map<String, String> errors = new LinkedHashMap<>();
  private final InstantSource clock;
  private final Duration interval;
  private final ScheduledExecutorService timer;

  Counters(Map<String, Supplier<Broker.Stats>> engines, Duration interval, InstantSource clock) {
    this.engines = new LinkedHashMap<>(engines);
    this.interval = interval;
    this.clock = clock;
    for (String name : engines.keySet()) {
      history.put(name, new ArrayDeque<>());
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("console-counters").unstarted(r));
    if (!engines.isEmpty()) {
      timer.scheduleWithFixedDelay(this::sample, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  Duration interval() {
    return interval;
  }

  void sample() {
    for (Map.Entry<String, Supplier<Broker.Stats>> e : engines.entrySet()) {
      Broker.Stats s;
      try {
        s = e.getValue().get();
      } catch (RuntimeException failed) {
        // a store outage must not stop the sampling of the other engines or of later intervals
        synchronized (this) {
          errors.put(e.getKey(), String.valueOf(failed.getMessage()));
        }
        continue;
      }
      long now = clock.millis();
      synchronized (this) {
        errors.remove(e.getKey());
        ArrayDeque<Sample> h = history.get(e.getKey());
        Sample last = h.peekLast();
        double in = 0;
        double out = 0;
        if (last != null && now > last.atMillis()) {
          double seconds = (now - last.atMillis()) / 1000.0;
          in = Math.max(0, s.messagesReceived() - last.received()) / seconds;
          out = Math.max(0, s.messagesSent() - last.sent()) / seconds;
        }
        h.addLast(
            new Sample(
                now,
                s.clientsConnected(),
                s.messagesReceived(),
                s.messagesSent(),
                s.messagesDropped(),
                in,
                out));
        while (h.size() > HISTORY) {
          h.removeFirst();
        }
      }
    }
  }

  synchronized Map<String, List<Sample>> history() {
    Map<String, List<Sample>> out = new LinkedHashMap<>();
    history.forEach((k, v) -> out.put(k, new ArrayList<>(v)));
    return out;
  }

  synchronized Map<String, String> errors() {
    return new LinkedHashMap<>(errors);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
