package dev.stratus.core.auth.acl;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.auth.Authorizer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * An {@link Authorizer} over {@link Acl} rules: fixed ones (from a file), and optionally those of
 * an {@link AclStore}, reread at most once per {@code refresh} interval (the read happens on the
 * thread of the check that finds the snapshot stale; other threads keep using the old snapshot
 * meanwhile). Receive rights are checked on every delivery.
 *
 * <p>Subscriptions are refused unless an allow rule covers the whole filter, and deliveries are
 * also checked against receive rights, so a client that may only read {@code a/alice/#} gets 0x87
 * for {@code +/#}, {@code #} and {@code $share/g/#}, and a filter it was granted never brings it a
 * message outside its receive rights (e.g. after the rules changed).
 */
public final class AclAuthorizer implements Authorizer {
  private static final System.Logger LOG = System.getLogger(AclAuthorizer.class.getName());
  private final List<AclRule> fixed;
  private final Supplier<List<AclRule>> dynamic;
  private final InstantSource clock;
  private final Duration refresh;
  private volatile Acl acl;
  private volatile Instant loadedAt;
  private final Object reloading = new Object();

  private AclAuthorizer(
      List<AclRule> fixed, Supplier<List<AclRule>> dynamic, InstantSource clock, Duration refresh) {
    this.fixed = List.copyOf(fixed);
    this.dynamic = dynamic;
    this.clock = clock;
    this.refresh = refresh;
    this.acl = build();
    this.loadedAt = clock.instant();
  }

  /** Fixed rules only. */
  public static AclAuthorizer of(List<AclRule> rules) {
    return new AclAuthorizer(rules, null, InstantSource.system(), Duration.ZERO);
  }

  /** Fixed rules plus the rules of a store, reread every {@code refresh}. */
  public static AclAuthorizer withStore(
      List<AclRule> fixed, AclStore store, InstantSource clock, Duration refresh) {
    return new AclAuthorizer(fixed, store::list, clock, refresh);
  }

  private Acl build() {
    if (dynamic == null) {
      return new Acl(fixed);
    }
    List<AclRule> all = new ArrayList<>(fixed);
    all.addAll(dynamic.get());
    return new Acl(all);
  }

  /** The rules in force, reloading from the store when the snapshot is older than the interval. */
  public Acl current() {
    if (dynamic != null) {
      Instant now = clock.instant();
      if (!now.isBefore(loadedAt.plus(refresh))) {
        synchronized (reloading) {
          if (!now.isBefore(loadedAt.plus(refresh))) {
            try {
              acl = build();
            } catch (RuntimeException e) {
              // keep deciding with the last rules read; the store is retried after the interval,
              // not on every message
              LOG.log(System.Logger.Level.WARNING, "reading ACL rules failed: {0}", e.toString());
            } finally {
              loadedAt = now;
            }
          }
        }
      }
    }
    return acl;
  }

  @Override
  public boolean mayPublish(String clientId, String username, Set<String> roles, TopicName topic) {
    return current().allows(Right.PUBLISH, clientId, username, roles, topic.value());
  }

  @Override
  public boolean maySubscribe(
      String clientId, String username, Set<String> roles, TopicFilter filter) {
    return current().allows(Right.SUBSCRIBE, clientId, username, roles, filter.filter());
  }

  @Override
  public boolean mayReceive(String clientId, String username, Set<String> roles, TopicName topic) {
    return current().allows(Right.RECEIVE, clientId, username, roles, topic.value());
  }

  @Override
  public boolean checksReceive() {
    return true;
  }
}
