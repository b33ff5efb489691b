package dev.stratus.loadgen;

import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Fan-in (N publishers, 1 subscriber) and fan-out (1 publisher, N subscribers) on one topic.
 *
 * <p>The run: subscribers connect and subscribe, publishers connect, everyone starts; after the
 * warm-up the subscribers' counts are read at the start and at the end of the measured window
 * (throughput = deliveries in the window / its length); then publishers stop and the broker gets
 * time to deliver what it still holds, so that {@code expected - received} is what it really lost.
 */
final class ThroughputScenario {
  /** Bytes per batched write: a few TCP segments, enough to make system calls cheap. */
  private static final int BATCH_BYTES = 16 * 1024;

  private static final int MAX_BATCH = 64;

  /** The drain ends when no delivery arrived for this long (or everything arrived). */
  private static final long QUIET_NANOS = 2_000_000_000L;

  private static final long DRAIN_LIMIT_NANOS = 30_000_000_000L;
  private static final int READ_BUFFER = 64 * 1024;

  private final Options options;
  private final String name;
  private final int publisherCount;
  private final int subscriberCount;
  private final Consumer<String> progress;

  ThroughputScenario(
      Options options,
      String name,
      int publisherCount,
      int subscriberCount,
      Consumer<String> progress) {
    this.options = options;
    this.name = name;
    this.publisherCount = publisherCount;
    this.subscriberCount = subscriberCount;
    this.progress = progress;
  }

  Result.Throughput run() throws IOException, InterruptedException {
    String runId = RunId.next();
    TopicName topic = TopicName.of("loadgen/" + runId + "/" + name);
    QoS qos = options.qos();
    AtomicBoolean stop = new AtomicBoolean();
    Subscriber[] subscribers = new Subscriber[subscriberCount];
    List<Publisher> publishers = new ArrayList<>();
    List<Thread> readers = new ArrayList<>();
    List<Thread> writers = new ArrayList<>();
    FlowControl flow = new FlowControl(subscribers, options.window());
    try {
      progress.accept(
          name
              + ": connecting "
              + subscriberCount
              + " subscriber(s) and "
              + publisherCount
              + " publisher(s) to "
              + options.url());
      for (int i = 0; i < subscriberCount; i++) {
        MqttConnection c = open(runId + "-s" + i);
        // Registered before subscribing, so that the finally block closes it if that fails.
        subscribers[i] = new Subscriber(c);
        c.subscribe(TopicFilter.of(topic.value()), qos);
        c.blockingReads();
      }
      for (int i = 0; i < publisherCount; i++) {
        MqttConnection c = open(runId + "-p" + i);
        int inflight = Math.min(options.inflight(), c.brokerReceiveMaximum());
        int packetSize =
            new PublishBatch(topic, qos, options.payload(), options.mqttVersion(), 1).packetSize();
        int perBatch = Math.max(1, Math.min(MAX_BATCH, BATCH_BYTES / packetSize));
        // A batch must fit in the windows, and leave room for the next one to be on its way.
        perBatch =
            Math.max(
                1, Math.min(perBatch, options.window() / (2 * publisherCount * subscriberCount)));
        if (qos != QoS.AT_MOST_ONCE) {
          perBatch = Math.max(1, Math.min(perBatch, inflight / 2));
        }
        PublishBatch batch =
            new PublishBatch(topic, qos, options.payload(), options.mqttVersion(), perBatch);
        c.blockingReads();
        publishers.add(new Publisher(c, batch, qos, inflight, flow, stop));
      }
      for (int i = 0; i < subscriberCount; i++) {
        readers.add(start("subscriber-" + i, subscribers[i]));
      }
      for (int i = 0; i < publishers.size(); i++) {
        Publisher p = publishers.get(i);
        if (p.acknowledged()) {
          readers.add(start("puback-reader-" + i, p::readAcks));
        }
        writers.add(start("publisher-" + i, p));
      }

      Thread.sleep(options.warmupSeconds() * 1000L);
      long delivered0 = flow.delivered();
      long sent0 = flow.sent();
      long t0 = System.nanoTime();
      Thread.sleep(options.seconds() * 1000L);
      long delivered1 = flow.delivered();
      long sent1 = flow.sent();
      double windowSeconds = (System.nanoTime() - t0) / 1e9;

      stop.set(true);
      for (int i = 0; i < writers.size(); i++) {
        writers.get(i).join(5_000);
        if (writers.get(i).isAlive()) {
          // Blocked in a write the broker does not read: closing the connection unblocks it.
          publishers.get(i).close();
        }
      }
      // Publishers stay connected while the broker delivers: closing a socket with PUBACKs still
      // unread makes Linux send a reset, which discards what the broker has not read yet.
      long sent = flow.sent();
      long expected = sent * subscriberCount;
      long received = drain(flow, expected);
      checkFailures(subscribers, publishers);
      return new Result.Throughput(
          name,
          options.url().transportName(),
          qos.value(),
          publisherCount,
          subscriberCount,
          options.payload(),
          windowSeconds,
          sent,
          expected,
          received,
          (delivered1 - delivered0) / windowSeconds,
          (sent1 - sent0) / windowSeconds,
          flow.stalls());
    } finally {
      stop.set(true);
      for (Publisher p : publishers) {
        p.close();
      }
      for (Subscriber s : subscribers) {
        if (s != null) {
          s.stop();
        }
      }
      for (Thread t : writers) {
        t.join(5_000);
      }
      for (Thread t : readers) {
        t.join(5_000);
      }
    }
  }

  private MqttConnection open(String clientId) throws IOException {
    // Keepalive 0: a QoS 0 subscriber sends nothing, and must not be cut off for it.
    return MqttConnection.open(
        options.url(), options.mqttVersion(), "lg-" + clientId, 0, READ_BUFFER);
  }

  /** Waits until every delivery arrived or the broker went quiet; returns the deliveries. */
  private static long drain(FlowControl flow, long expected) throws InterruptedException {
    long start = System.nanoTime();
    long last = -1;
    long lastChange = start;
    while (true) {
      long delivered = flow.delivered();
      long now = System.nanoTime();
      if (delivered >= expected || now - start > DRAIN_LIMIT_NANOS) {
        return delivered;
      }
      if (delivered != last) {
        last = delivered;
        lastChange = now;
      } else if (now - lastChange > QUIET_NANOS) {
        return delivered;
      }
      Thread.sleep(10);
    }
  }

  private static void checkFailures(Subscriber[] subscribers, List<Publisher> publishers)
      throws IOException {
    for (int i = 0; i < subscribers.length; i++) {
      if (subscribers[i].failure() != null) {
        throw new IOException(
            "subscriber " + i + " failed: " + subscribers[i].failure().getMessage(),
            subscribers[i].failure());
      }
    }
    for (int i = 0; i < publishers.size(); i++) {
      if (publishers.get(i).failure() != null) {
        throw new IOException(
            "publisher " + i + " failed: " + publishers.get(i).failure().getMessage(),
            publishers.get(i).failure());
      }
    }
  }

  static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, "loadgen-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }
}
