package dev.stratus.loadgen;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps at most {@code window} deliveries owed but not yet received (a message published to 100
 * subscribers owes 100 deliveries) between the publishers and the subscribers. Without it,
 * publishers at QoS 0 (or QoS 1, whose PUBACK only says the broker has the message) could outrun
 * the broker's deliveries and fill its queues: the run would measure how much the broker can
 * buffer, or how much it drops, instead of what it sustains.
 *
 * <p>A broker may drop QoS 0 messages under load; the window would then never drain. When no
 * delivery arrives for {@link #STALL_NANOS}, the messages still in flight are written off (they are
 * counted as lost in the end anyway) and publishing resumes.
 */
final class FlowControl {
  private static final long STALL_NANOS = 500_000_000L;

  /**
   * A waiting publisher sleeps between checks, from {@link #MIN_PAUSE_NANOS} doubling up to {@link
   * #MAX_PAUSE_NANOS}: waking often would take CPU from the subscribers, which share the load
   * generator's core; the default window holds far more than a millisecond of traffic.
   */
  private static final long MIN_PAUSE_NANOS = 20_000L;

  private static final long MAX_PAUSE_NANOS = 1_000_000L;

  private final AtomicLong sent = new AtomicLong();
  private final Subscriber[] subscribers;
  private final int window;
  private long writtenOff;
  private int stalls;

  FlowControl(Subscriber[] subscribers, int window) {
    this.subscribers = subscribers;
    this.window = window;
  }

  /** Messages sent so far by all publishers. */
  long sent() {
    return sent.get();
  }

  void sent(int n) {
    sent.addAndGet(n);
  }

  /** Deliveries counted so far by all subscribers. */
  long delivered() {
    long total = 0;
    for (Subscriber s : subscribers) {
      total += s.delivered();
    }
    return total;
  }

  /** Blocks until {@code n} more messages fit in the window, or {@code stop} is set. */
  void awaitRoom(int n, AtomicBoolean stop) {
    long lastDelivered = -1;
    long progressAt = System.nanoTime();
    long pause = MIN_PAUSE_NANOS;
    while (!stop.get()) {
      long delivered = delivered();
      if (inFlight(delivered) + (long) n * subscribers.length <= window) {
        return;
      }
      long now = System.nanoTime();
      if (delivered != lastDelivered) {
        lastDelivered = delivered;
        progressAt = now;
      } else if (now - progressAt > STALL_NANOS) {
        writeOff();
        progressAt = now;
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(2 * pause, MAX_PAUSE_NANOS);
    }
  }

  private synchronized long inFlight(long delivered) {
    return sent.get() * subscribers.length - delivered - writtenOff;
  }

  private synchronized void writeOff() {
    writtenOff += Math.max(0, inFlight(delivered()));
    stalls++;
  }

  /** How many times deliveries stopped for {@link #STALL_NANOS} and the window was written off. */
  synchronized int stalls() {
    return stalls;
  }
}
