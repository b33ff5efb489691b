package dev.stratus.core;

import java.time.Duration;
import java.time.Instant;

/**
 * A token bucket: {@code rate} tokens per second up to {@code burst}; each PUBLISH takes one. Time
 * comes from the caller, so the engine's clock drives it. One connection's packets arrive one at a
 * time, but the bucket is synchronized because a Lambda edge may run one connection's invocations
 * concurrently.
 */
final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private Instant last;

  TokenBucket(int ratePerSecond, int burst, Instant now) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  synchronized boolean take(Instant now) {
    refill(now);
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  synchronized boolean isFullAt(Instant now) {
    refill(now);
    return tokens >= burst;
  }

  private void refill(Instant now) {
    if (now.isAfter(last)) {
      long nanos = Duration.between(last, now).toNanos();
      tokens = Math.min(burst, tokens + nanos * ratePerNano);
      last = now;
    }
  }
}
