package dev.stratus.loadgen;

import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketType;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * End-to-end latency at a paced rate: one publisher stamps {@link System#nanoTime()} into each
 * payload just before writing it (one packet per write), one subscriber in the same process
 * subtracts it from its own clock when the packet arrives. Messages sent during the warm-up are not
 * sampled. The publisher keeps to a schedule (message k at start + k / rate) rather than sleeping a
 * period after each send, so that the rate stays what was asked even when a send is slow.
 */
final class LatencyScenario {
  /** The payload carries one big-endian {@code long}. */
  static final int TIMESTAMP_BYTES = 8;

  private static final int PUBLISH = PacketType.PUBLISH.value();
  private static final int PUBACK = PacketType.PUBACK.value();
  private static final long QUIET_NANOS = 2_000_000_000L;
  private static final int READ_BUFFER = 64 * 1024;

  private final Options options;
  private final Consumer<String> progress;

  LatencyScenario(Options options, Consumer<String> progress) {
    this.options = options;
    this.progress = progress;
  }

  Result.Latency run() throws IOException, InterruptedException {
    String runId = RunId.next();
    TopicName topic = TopicName.of("loadgen/" + runId + "/latency");
    QoS qos = options.qos();
    long periodNanos = 1_000_000_000L / options.rate();
    long warmupNanos = options.warmupSeconds() * 1_000_000_000L;
    long windowNanos = options.seconds() * 1_000_000_000L;
    long planned = (warmupNanos + windowNanos) / periodNanos;
    progress.accept(
        "latency: " + planned + " messages at " + options.rate() + "/s to " + options.url());

    MqttConnection subscriber = null;
    MqttConnection publisher = null;
    Thread subscriberThread = null;
    Thread ackThread = null;
    try {
      subscriber = open(runId + "-s");
      subscriber.subscribe(TopicFilter.of(topic.value()), qos);
      subscriber.blockingReads();
      publisher = open(runId + "-p");
      publisher.blockingReads();

      long start = System.nanoTime() + 10_000_000L;
      Sampler sampler = new Sampler(subscriber, start + warmupNanos, (int) planned + 16);
      subscriberThread = ThroughputScenario.start("latency-subscriber", sampler);
      Semaphore inflight =
          qos == QoS.AT_MOST_ONCE
              ? null
              : new Semaphore(Math.min(options.inflight(), publisher.brokerReceiveMaximum()));
      if (inflight != null) {
        MqttConnection acked = publisher;
        ackThread =
            ThroughputScenario.start("latency-puback-reader", () -> readAcks(acked, inflight));
      }

      PublishBatch packet =
          new PublishBatch(topic, qos, options.payload(), options.mqttVersion(), 1);
      long sent = 0;
      for (long k = 0; k < planned; k++) {
        long due = start + k * periodNanos;
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        if (inflight != null) {
          if (!inflight.tryAcquire(10, TimeUnit.SECONDS)) {
            throw new IOException("no PUBACK from the broker for 10 s");
          }
          packet.assignPacketIds(1);
        }
        packet.stampPayload(0, System.nanoTime());
        publisher.write(packet.bytes(), 0, packet.packetSize());
        sent++;
      }

      long last = -1;
      long lastChange = System.nanoTime();
      while (sampler.received() < sent && System.nanoTime() - lastChange < QUIET_NANOS) {
        if (sampler.received() != last) {
          last = sampler.received();
          lastChange = System.nanoTime();
        }
        Thread.sleep(10);
      }
      sampler.stopping = true;
      subscriber.disconnect();
      subscriberThread.join(5_000);
      if (sampler.failure != null) {
        throw new IOException(
            "subscriber failed: " + sampler.failure.getMessage(), sampler.failure);
      }
      long[] samples = Arrays.copyOf(sampler.samples, sampler.sampleCount);
      Arrays.sort(samples);
      return new Result.Latency(
          options.url().transportName(),
          qos.value(),
          options.rate(),
          options.payload(),
          sent,
          sampler.received(),
          samples.length,
          percentileMillis(samples, 0.50),
          percentileMillis(samples, 0.90),
          percentileMillis(samples, 0.99),
          samples.length == 0 ? Double.NaN : samples[samples.length - 1] / 1e6);
    } finally {
      if (publisher != null) {
        publisher.disconnect();
      }
      if (subscriber != null) {
        subscriber.disconnect();
      }
      if (subscriberThread != null) {
        subscriberThread.join(5_000);
      }
      if (ackThread != null) {
        ackThread.join(5_000);
      }
    }
  }

  /** The nearest-rank percentile, in milliseconds; NaN without samples. */
  static double percentileMillis(long[] sortedNanos, double fraction) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(fraction * sortedNanos.length);
    return sortedNanos[Math.max(0, rank - 1)] / 1e6;
  }

  private MqttConnection open(String clientId) throws IOException {
    return MqttConnection.open(
        options.url(), options.mqttVersion(), "lg-" + clientId, 0, READ_BUFFER);
  }

  private static void readAcks(MqttConnection connection, Semaphore inflight) {
    try {
      connection.pump(
          packet -> {
            if (MqttConnection.packetType(packet) == PUBACK) {
              inflight.release();
            }
          });
    } catch (IOException e) {
      // The connection was closed at the end of the run, or broke: the publisher then times out.
    }
  }

  /** The subscriber: decodes each PUBLISH (a thousand a second is cheap) and records its age. */
  private static final class Sampler implements MqttConnection.FrameHandler, Runnable {
    private final MqttConnection connection;
    private final long sampleFrom;
    private final long[] samples;
    private final byte[] pubAck;
    private final AtomicLong received = new AtomicLong();
    private int sampleCount;
    private volatile boolean stopping;
    private volatile IOException failure;

    Sampler(MqttConnection connection, long sampleFrom, int capacity) {
      this.connection = connection;
      this.sampleFrom = sampleFrom;
      this.samples = new long[capacity];
      this.pubAck = PublishBatch.pubAckTemplate(connection.version());
    }

    @Override
    public void frame(ByteBuffer packet) throws IOException {
      long now = System.nanoTime();
      if (MqttConnection.packetType(packet) != PUBLISH) {
        return;
      }
      Publish publish;
      try {
        publish = (Publish) PacketDecoder.decode(packet, connection.version());
      } catch (MqttDecodeException e) {
        throw MqttConnection.brokenBroker(e);
      }
      byte[] payload = publish.payload().unsafeArray();
      if (payload.length < TIMESTAMP_BYTES) {
        throw new IOException("a PUBLISH arrived without the timestamp the publisher put in it");
      }
      long sentAt = ByteBuffer.wrap(payload).getLong();
      if (sentAt >= sampleFrom && sampleCount < samples.length) {
        samples[sampleCount++] = now - sentAt;
      }
      received.incrementAndGet();
      if (publish.qos() == QoS.AT_LEAST_ONCE) {
        byte[] ack = new byte[pubAck.length];
        PublishBatch.putPubAck(pubAck, publish.packetId(), ack, 0);
        connection.write(ack, 0, ack.length);
      }
    }

    @Override
    public void run() {
      try {
        connection.pump(this);
      } catch (IOException e) {
        if (!stopping) {
          failure = e;
        }
      }
    }

    long received() {
      return received.get();
    }
  }
}
