package dev.stratus.functions;

import dev.stratus.core.ConnectionId;
import dev.stratus.store.dynamodb.StratusTables;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

/**
 * Handles one connection's sequenced messages ({@code <seq>:<base64>}, docs/text-profile.md) in
 * sequence order, each once, however many Lambda containers run them and in whatever order: a
 * per-connection state item in the {@link StratusTables#SEQUENCES} table holds {@code next} (the
 * sequence number expected next) and a lease lock; a message that arrives before its predecessors
 * is parked in the same partition and handled by whoever holds the lock when its turn comes. The
 * mechanism, its cost and its failure cases are in {@code docs/ordering.md}.
 *
 * <p>The invariant that makes it complete: a message that is not handled at once is parked
 * <em>before</em> its invocation tries the lock, and every lock holder, after releasing, reads
 * (strongly consistent) whether the message for {@code next} is parked and, if so, takes the lock
 * again. So either the parker gets the lock, or the holder that kept it out sees the parked
 * message.
 */
public final class Sequencer {
  private static final System.Logger LOG = System.getLogger(Sequencer.class.getName());

  /**
   * How long a lock holds without renewal. Longer than API Gateway's 29 s integration timeout and
   * than the function timeout the template sets (30 s), so a live holder never loses it; a crashed
   * holder's lock is taken over after it.
   */
  public static final Duration LEASE = Duration.ofSeconds(90);

  /**
   * A holder stops taking parked messages once it held the lock this long, releases, and lets the
   * next invocation continue: well inside the lease and the function timeout.
   */
  static final Duration HOLD = Duration.ofSeconds(10);

  /**
   * A parked message older than this waits for a predecessor that will never come: every message
   * the client sent reached a {@code $default} invocation within API Gateway's 29 s integration
   * timeout, or never will. The sweeper closes such connections.
   */
  public static final Duration GAP_TIMEOUT = Duration.ofSeconds(30);

  /**
   * A sequence number this far or further ahead of {@code next} closes the connection: it bounds
   * what one connection can park. 1,024 is far more than API Gateway's concurrency reorders.
   */
  public static final long WINDOW = 1024;

  /** Items expire after the longest an API Gateway connection lives (2 h), with margin. */
  static final Duration KEEP = Duration.ofHours(3);

  private static final AttributeValue STATE = n(0);
  private static final AttributeValue HANDSHAKE = n(-1);
  private static final String PARK_SHARD = "p";

  /** What became of a submitted message. */
  public enum Outcome {
    /** Handled by this invocation (with any parked successors it found). */
    HANDLED,
    /** Parked: the current or a later lock holder handles it in turn. */
    PARKED,
    /** Its number was handled (or parked) before: ignored. */
    DUPLICATE,
    /** At least {@link #WINDOW} ahead of the next expected number: the caller closes. */
    TOO_FAR_AHEAD
  }

  /** Runs a connection's messages while the lock is held. */
  public interface Handler {
    /** Handles one message body, the base64 text after the prefix. */
    void handle(String body);

    /**
     * Called before the lock is released: what the handled messages produced must be delivered
     * first, or a later holder's deliveries could overtake them.
     */
    void beforeRelease();
  }

  private final DynamoDbClient dynamo;
  private final String table;
  private final InstantSource clock;

  public Sequencer(DynamoDbClient dynamo, String tablePrefix, InstantSource clock) {
    this.dynamo = Objects.requireNonNull(dynamo, "dynamo");
    this.table = StratusTables.SEQUENCES.name(tablePrefix);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Submits message {@code seq} of a connection. */
  public Outcome submit(ConnectionId connection, long seq, String body, Handler handler) {
    if (seq < 1) {
      throw new IllegalArgumentException("sequence numbers start at 1: " + seq);
    }
    String me = UUID.randomUUID().toString();
    String pk = connection.value();
    Map<String, AttributeValue> state;
    try {
      state = acquire(pk, me, seq);
    } catch (ConditionalCheckFailedException e) {
      long next = e.hasItem() ? next(e.item()) : next(readState(pk));
      if (seq < next) {
        return Outcome.DUPLICATE;
      }
      if (seq - next >= WINDOW) {
        return Outcome.TOO_FAR_AHEAD;
      }
      // park first, then try the lock: the holder's check after its release sees this message
      if (!park(pk, seq, body)) {
        return Outcome.DUPLICATE;
      }
      state = tryAcquire(pk, me);
      if (state == null) {
        return Outcome.PARKED;
      }
      run(pk, me, next(state), -1, null, handler);
      return Outcome.HANDLED;
    }
    run(pk, me, next(state), seq, body, handler);
    return Outcome.HANDLED;
  }

  /**
   * Keeps the query parameters of a connection's {@code $connect} for its CONNECT (in the same
   * partition, {@code sk} -1, deleted with it by {@link #forget}).
   */
  public void recordHandshake(ConnectionId connection, Map<String, String> queryParameters) {
    Map<String, AttributeValue> q = new HashMap<>();
    queryParameters.forEach((k, v) -> q.put(k, s(v)));
    dynamo.putItem(
        p ->
            p.tableName(table)
                .item(
                    Map.of(
                        "pk", s(connection.value()),
                        "sk", HANDSHAKE,
                        "q", AttributeValue.fromM(q),
                        "ttl", n(ttl()))));
  }

  /** The query parameters {@link #recordHandshake} kept, or an empty map. */
  public Map<String, String> handshake(ConnectionId connection) {
    Map<String, AttributeValue> item =
        dynamo
            .getItem(
                g ->
                    g.tableName(table)
                        .key(Map.of("pk", s(connection.value()), "sk", HANDSHAKE))
                        .consistentRead(true))
            .item();
    if (item == null || !item.containsKey("q")) {
      return Map.of();
    }
    Map<String, String> q = new HashMap<>();
    item.get("q").m().forEach((k, v) -> q.put(k, v.s()));
    return Map.copyOf(q);
  }

  /** Forgets a connection's sequencer and parked messages (on {@code $disconnect}). */
  public void forget(ConnectionId connection) {
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      QueryResponse r =
          dynamo.query(
              q -> {
                q.tableName(table)
                    .keyConditionExpression("pk = :pk")
                    .expressionAttributeValues(Map.of(":pk", s(connection.value())))
                    .projectionExpression("pk, sk")
                    .consistentRead(true);
                if (from != null) {
                  q.exclusiveStartKey(from);
                }
              });
      for (Map<String, AttributeValue> item : r.items()) {
        dynamo.deleteItem(
            d -> d.tableName(table).key(Map.of("pk", item.get("pk"), "sk", item.get("sk"))));
      }
      start =
          r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
  }

  /**
   * The connections with a gap older than {@link #GAP_TIMEOUT} at {@code now}: a parked message
   * whose predecessor never came. Parked leftovers below {@code next} (a duplicate parked while its
   * number was being handled, or a holder that died before deleting what it handled) are deleted.
   */
  public Set<ConnectionId> gapsTimedOut(Instant now) {
    Set<ConnectionId> gaps = new LinkedHashSet<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      QueryResponse r =
          dynamo.query(
              q -> {
                q.tableName(table)
                    .indexName("parked")
                    .keyConditionExpression("parkShard = :s AND parkedAt <= :t")
                    .expressionAttributeValues(
                        Map.of(
                            ":s", s(PARK_SHARD),
                            ":t", n(now.minus(GAP_TIMEOUT).toEpochMilli())));
                if (from != null) {
                  q.exclusiveStartKey(from);
                }
              });
      Map<String, Long> nextOf = new HashMap<>();
      for (Map<String, AttributeValue> item : r.items()) {
        String pk = item.get("pk").s();
        long seq = Long.parseLong(item.get("sk").n());
        long next = nextOf.computeIfAbsent(pk, k -> next(readState(k)));
        if (seq < next) {
          deleteParked(pk, List.of(seq));
        } else {
          gaps.add(new ConnectionId(pk));
        }
      }
      start =
          r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    return gaps;
  }

  /** The lock holder's loop: handles from {@code next} on, releases, and checks for more. */
  private void run(String pk, String me, long next, long ownSeq, String ownBody, Handler handler) {
    while (true) {
      Instant stopAt = clock.instant().plus(HOLD);
      List<Long> handledParked = new ArrayList<>();
      if (ownBody != null && ownSeq == next) {
        handler.handle(ownBody);
        next++;
        ownBody = null;
      } else {
        while (clock.instant().isBefore(stopAt)) {
          Map<String, AttributeValue> parked = readParked(pk, next);
          if (parked == null) {
            break;
          }
          handler.handle(parked.get("b").s());
          handledParked.add(next);
          next++;
        }
      }
      handler.beforeRelease();
      release(pk, me, next);
      // deleted after next moved past them: a holder that dies here leaves leftovers below next,
      // which are duplicates to everyone (and deleted by the sweeper), never a gap
      deleteParked(pk, handledParked);
      if (readParked(pk, next) == null) {
        return;
      }
      Map<String, AttributeValue> state = tryAcquire(pk, me);
      if (state == null) {
        return; // someone else holds the lock; its own check after release follows up
      }
      next = next(state);
    }
  }

  /** The fast path: the lock, only if {@code seq} is next and the lock is free or expired. */
  private Map<String, AttributeValue> acquire(String pk, String me, long seq) {
    long now = clock.millis();
    String nextIs = seq == 1 ? "(attribute_not_exists(#next) OR #next = :seq)" : "#next = :seq";
    return dynamo
        .updateItem(
            u ->
                u.tableName(table)
                    .key(Map.of("pk", s(pk), "sk", STATE))
                    .updateExpression(
                        "SET #next = if_not_exists(#next, :one), lockOwner = :me, lockUntil = :until,"
                            + " #ttl = :ttl")
                    .conditionExpression(
                        nextIs + " AND (attribute_not_exists(lockOwner) OR lockUntil < :now)")
                    .expressionAttributeNames(Map.of("#next", "next", "#ttl", "ttl"))
                    .expressionAttributeValues(
                        Map.of(
                            ":one", n(1),
                            ":seq", n(seq),
                            ":me", s(me),
                            ":until", n(now + LEASE.toMillis()),
                            ":now", n(now),
                            ":ttl", n(ttl())))
                    .returnValues(ReturnValue.ALL_NEW)
                    .returnValuesOnConditionCheckFailure(
                        ReturnValuesOnConditionCheckFailure.ALL_OLD))
        .attributes();
  }

  /** The lock whatever {@code next} is, or null when someone else holds it. */
  private Map<String, AttributeValue> tryAcquire(String pk, String me) {
    long now = clock.millis();
    try {
      return dynamo
          .updateItem(
              u ->
                  u.tableName(table)
                      .key(Map.of("pk", s(pk), "sk", STATE))
                      .updateExpression(
                          "SET #next = if_not_exists(#next, :one), lockOwner = :me,"
                              + " lockUntil = :until, #ttl = :ttl")
                      .conditionExpression("attribute_not_exists(lockOwner) OR lockUntil < :now")
                      .expressionAttributeNames(Map.of("#next", "next", "#ttl", "ttl"))
                      .expressionAttributeValues(
                          Map.of(
                              ":one", n(1),
                              ":me", s(me),
                              ":until", n(now + LEASE.toMillis()),
                              ":now", n(now),
                              ":ttl", n(ttl())))
                      .returnValues(ReturnValue.ALL_NEW))
          .attributes();
    } catch (ConditionalCheckFailedException held) {
      return null;
    }
  }

  /** Stores {@code next} and frees the lock, if this invocation still holds it. */
  private void release(String pk, String me, long next) {
    try {
      dynamo.updateItem(
          u ->
              u.tableName(table)
                  .key(Map.of("pk", s(pk), "sk", STATE))
                  .updateExpression("SET #next = :next REMOVE lockOwner, lockUntil")
                  .conditionExpression("lockOwner = :me")
                  .expressionAttributeNames(Map.of("#next", "next"))
                  .expressionAttributeValues(Map.of(":next", n(next), ":me", s(me))));
    } catch (ConditionalCheckFailedException e) {
      // the lease expired under us (a stall beyond LEASE): another holder may have handled the
      // same messages; nothing left to undo, but it must show
      LOG.log(System.Logger.Level.WARNING, "{0}: sequencer lease lost before release", pk);
    }
  }

  /** Parks a message; false when that number is parked already (a duplicate). */
  private boolean park(String pk, long seq, String body) {
    try {
      dynamo.putItem(
          p ->
              p.tableName(table)
                  .item(
                      Map.of(
                          "pk", s(pk),
                          "sk", n(seq),
                          "b", s(body),
                          "parkShard", s(PARK_SHARD),
                          "parkedAt", n(clock.millis()),
                          "ttl", n(ttl())))
                  .conditionExpression("attribute_not_exists(sk)"));
      return true;
    } catch (ConditionalCheckFailedException e) {
      return false;
    }
  }

  private Map<String, AttributeValue> readParked(String pk, long seq) {
    Map<String, AttributeValue> item =
        dynamo
            .getItem(
                g -> g.tableName(table).key(Map.of("pk", s(pk), "sk", n(seq))).consistentRead(true))
            .item();
    return item == null || item.isEmpty() ? null : item;
  }

  private Map<String, AttributeValue> readState(String pk) {
    return dynamo
        .getItem(g -> g.tableName(table).key(Map.of("pk", s(pk), "sk", STATE)).consistentRead(true))
        .item();
  }

  private void deleteParked(String pk, List<Long> seqs) {
    for (long seq : seqs) {
      dynamo.deleteItem(d -> d.tableName(table).key(Map.of("pk", s(pk), "sk", n(seq))));
    }
  }

  private static long next(Map<String, AttributeValue> state) {
    if (state == null || !state.containsKey("next")) {
      return 1;
    }
    return Long.parseLong(state.get("next").n());
  }

  private long ttl() {
    return clock.instant().plus(KEEP).getEpochSecond();
  }

  private static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  private static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }
}
