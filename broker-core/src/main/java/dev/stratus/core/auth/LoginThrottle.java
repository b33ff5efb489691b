package dev.stratus.core.auth;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Slows down password guessing without holding a thread: failed logins are counted per user name
 * and per source host; after {@code freeFailures} consecutive failures of one key, each further
 * failure locks that key for a backoff that doubles from {@code baseLockout} up to {@code
 * maxLockout}. While a key is locked, logins with it are refused at once (no hash is computed, no
 * thread sleeps), so an attacker's guesses cost the broker almost nothing and reach no password
 * check. A success clears the user's and the host's counters.
 *
 * <p>The counters live in the memory of one process: a bridge task counts for its connections, a
 * warm Lambda container for the invocations it serves. That bounds the guess rate per process at no
 * store cost; an attacker spreading guesses over many Lambda containers gets {@code freeFailures}
 * guesses per container before backoff, which the slow password hash already makes expensive.
 * Entries idle for {@code forgetAfter} are dropped; the map holds at most {@code maxEntries} keys
 * (past that, idle ones are swept and, if it is still full, new keys go untracked: memory stays
 * bounded under a flood of distinct addresses, and the slow hash still limits each guess).
 *
 * <p>Locking a user out is also a way to annoy that user; the per-user lock is short by default
 * (starting at one second) for that reason, and only the per-host lock grows long.
 */
public final class LoginThrottle {

  /** Counters for {@code $SYS} or a stats endpoint. */
  public record Stats(long failures, long lockedRefusals, int trackedKeys) {}

  private static final class Entry {
    int failures;
    Instant lockedUntil = Instant.MIN;
    Instant lastFailure = Instant.MIN;
  }

  private final InstantSource clock;
  private final int freeFailures;
  private final Duration baseLockout;
  private final Duration maxLockout;
  private final Duration forgetAfter;
  private final int maxEntries;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final LongAdder failures = new LongAdder();
  private final LongAdder lockedRefusals = new LongAdder();

  public LoginThrottle(
      InstantSource clock,
      int freeFailures,
      Duration baseLockout,
      Duration maxLockout,
      Duration forgetAfter,
      int maxEntries) {
    this.clock = clock;
    this.freeFailures = freeFailures;
    this.baseLockout = baseLockout;
    this.maxLockout = maxLockout;
    this.forgetAfter = forgetAfter;
    this.maxEntries = maxEntries;
  }

  /** 5 free failures, then 1 s doubling up to 15 min, forgotten after an idle hour, 100k keys. */
  public static LoginThrottle defaults(InstantSource clock) {
    return new LoginThrottle(
        clock, 5, Duration.ofSeconds(1), Duration.ofMinutes(15), Duration.ofHours(1), 100_000);
  }

  static String userKey(String username) {
    return "u:" + username;
  }

  /** The host part of {@code host:port}, {@code [v6]:port} or a bare host. */
  static String hostKey(String remoteAddress) {
    if (remoteAddress == null) {
      return "h:?";
    }
    String a = remoteAddress;
    if (a.startsWith("[")) {
      int end = a.indexOf(']');
      return "h:" + (end > 0 ? a.substring(1, end) : a);
    }
    int colon = a.lastIndexOf(':');
    if (colon > 0 && a.indexOf(':') == colon) {
      a = a.substring(0, colon); // IPv4 or a name with a port; a bare IPv6 has several colons
    }
    return "h:" + a;
  }

  /** Whether a login by this user from this address is refused at once. */
  public boolean isLocked(String username, String remoteAddress) {
    Instant now = clock.instant();
    boolean locked =
        locked(hostKey(remoteAddress), now) || (username != null && locked(userKey(username), now));
    if (locked) {
      lockedRefusals.increment();
    }
    return locked;
  }

  private boolean locked(String key, Instant now) {
    Entry e = entries.get(key);
    if (e == null) {
      return false;
    }
    synchronized (e) {
      return now.isBefore(e.lockedUntil);
    }
  }

  public void failed(String username, String remoteAddress) {
    failures.increment();
    Instant now = clock.instant();
    fail(hostKey(remoteAddress), now, maxLockout);
    if (username != null) {
      // a user's lock stays short: it can be triggered by anyone who knows the name
      fail(
          userKey(username),
          now,
          baseLockout.multipliedBy(64).compareTo(maxLockout) < 0
              ? baseLockout.multipliedBy(64)
              : maxLockout);
    }
  }

  private void fail(String key, Instant now, Duration cap) {
    if (entries.size() >= maxEntries && !entries.containsKey(key)) {
      sweep(now);
      if (entries.size() >= maxEntries) {
        return;
      }
    }
    Entry e = entries.computeIfAbsent(key, k -> new Entry());
    synchronized (e) {
      if (Duration.between(e.lastFailure, now).compareTo(forgetAfter) > 0) {
        e.failures = 0;
      }
      e.failures++;
      e.lastFailure = now;
      int over = e.failures - freeFailures;
      if (over > 0) {
        Duration lock = baseLockout.multipliedBy(1L << Math.min(over - 1, 30));
        e.lockedUntil = now.plus(lock.compareTo(cap) > 0 ? cap : lock);
      }
    }
  }

  public void succeeded(String username, String remoteAddress) {
    entries.remove(hostKey(remoteAddress));
    if (username != null) {
      entries.remove(userKey(username));
    }
  }

  private void sweep(Instant now) {
    entries
        .entrySet()
        .removeIf(
            x -> {
              Entry e = x.getValue();
              synchronized (e) {
                return !now.isBefore(e.lockedUntil)
                    && Duration.between(e.lastFailure, now).compareTo(forgetAfter) > 0;
              }
            });
  }

  /** The failures recorded on one key ({@code u:name} or {@code h:host}), for tests and admins. */
  public int failuresOf(String key) {
    Entry e = entries.get(key);
    if (e == null) {
      return 0;
    }
    synchronized (e) {
      return e.failures;
    }
  }

  public Stats stats() {
    return new Stats(failures.sum(), lockedRefusals.sum(), entries.size());
  }
}
