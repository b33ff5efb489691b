package dev.stratus.core;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * A clock the test moves by hand, so no test depends on real time. It can also move a fixed step on
 * every read ({@link #tickOnEachRead}), so that each packet the engine handles sees a later
 * instant, as on a real connection (a cost measurement needs deadlines that change).
 */
public final class ManualClock implements InstantSource {
  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private Duration tick = Duration.ZERO;

  @Override
  public synchronized Instant instant() {
    Instant t = now;
    now = now.plus(tick);
    return t;
  }

  public synchronized void advance(Duration d) {
    now = now.plus(d);
  }

  /** From now on every read returns a time {@code step} later than the previous read. */
  public synchronized void tickOnEachRead(Duration step) {
    tick = step;
  }
}
