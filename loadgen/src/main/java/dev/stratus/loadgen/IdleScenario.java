package dev.stratus.loadgen;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * Opens many connections that connect and then stay silent (keepalive 0), reporting the connect
 * rate (CONNACKs per second with {@link #CONCURRENCY} handshakes in progress at a time) and, given
 * the broker's pid, its resident memory per connection: (RSS after - RSS before) / connections.
 * Then every connection is pinged, to count the ones the broker still serves.
 */
final class IdleScenario {
  /**
   * Handshakes in progress at once: enough to keep a one-core broker busy, few enough that the
   * connect rate is not set by a listen backlog overflowing.
   */
  static final int CONCURRENCY = 64;

  /** Time for the broker to finish whatever it does after the last CONNACK before RSS is read. */
  private static final long SETTLE_MILLIS = 2_000;

  /** Idle connections read only CONNACK and PINGRESP: a small buffer keeps 10,000 of them cheap. */
  private static final int READ_BUFFER = 256;

  private final Options options;
  private final Consumer<String> progress;

  IdleScenario(Options options, Consumer<String> progress) {
    this.options = options;
    this.progress = progress;
  }

  Result.Idle run() throws IOException, InterruptedException {
    String runId = RunId.next();
    int n = options.connections();
    long pid = options.brokerPid();
    long rssBefore = pid > 0 ? ProcessMemory.rssKib(pid) : -1;
    progress.accept("idle: opening " + n + " connections to " + options.url());
    AtomicReferenceArray<MqttConnection> connections = new AtomicReferenceArray<>(n);
    AtomicReference<String> firstError = new AtomicReference<>();
    AtomicInteger connected = new AtomicInteger();
    try {
      long t0 = System.nanoTime();
      forEach(
          n,
          i -> {
            connections.set(
                i,
                MqttConnection.open(
                    options.url(),
                    options.mqttVersion(),
                    "lg-" + runId + "-i" + i,
                    0,
                    READ_BUFFER));
            connected.incrementAndGet();
          },
          firstError);
      double connectSeconds = (System.nanoTime() - t0) / 1e9;
      Thread.sleep(SETTLE_MILLIS);
      long rssAfter = pid > 0 ? ProcessMemory.rssKib(pid) : -1;
      AtomicInteger alive = new AtomicInteger();
      forEach(
          n,
          i -> {
            MqttConnection c = connections.get(i);
            if (c != null) {
              c.ping();
              alive.incrementAndGet();
            }
          },
          firstError);
      return new Result.Idle(
          options.url().transportName(),
          n,
          connected.get(),
          alive.get(),
          connectSeconds,
          rssBefore,
          rssAfter,
          firstError.get());
    } finally {
      for (int i = 0; i < n; i++) {
        MqttConnection c = connections.get(i);
        if (c != null) {
          c.close();
        }
      }
    }
  }

  private interface Step {
    void run(int index) throws IOException;
  }

  /** Runs {@code step} for 0..n-1 on virtual threads, {@link #CONCURRENCY} at a time. */
  private static void forEach(int n, Step step, AtomicReference<String> firstError)
      throws InterruptedException {
    Semaphore slots = new Semaphore(CONCURRENCY);
    try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < n; i++) {
        slots.acquire();
        int index = i;
        executor.execute(
            () -> {
              try {
                step.run(index);
              } catch (IOException | RuntimeException e) {
                firstError.compareAndSet(null, e.toString());
              } finally {
                slots.release();
              }
            });
      }
    }
  }
}
