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
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

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
 * again. So either the parker gets the lock, or the holder that kept it out sees the parked message
 * — unless that holder ran out of time, and then the sweeper ({@link #sweep}) drains the stalled
 * sequence.
 */
public final class Sequencer {
  private static final System.Logger LOG = System.getLogger(Sequencer.class.getName());

  /**
   * How long a lock holds without renewal. Longer than API Gateway's 29 s integration timeout and
   * than the function timeout the template sets (29 s), so a live holder never loses it; a crashed
   * holder's lock is taken over after it.
   */
  public static final Duration LEASE = Duration.ofSeconds(90);

  /**
   * How long a holder takes parked messages when its caller gives no budget (no Lambda context:
   * tests, the priming run). A deployed handler's budget is the invocation's remaining time less
   * {@link #MARGIN}; a holder that stops for time with messages still parked leaves them to the
   * sweeper ({@link #sweep}).
   */
  public static final Duration HOLD = Duration.ofSeconds(10);

  /**
   * What a holder keeps of its invocation's remaining time for the work after its last message: one
   * message that may overrun, the delivery of its batch, the release.
   */
  public static final Duration MARGIN = Duration.ofSeconds(5);

  /**
   * Parked messages read per strongly consistent Query: the holder handles them, delivers what they
   * produced, records the new {@code next} and deletes them (one BatchWriteItem), per batch.
   */
  static final int BATCH = 25;

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
     * Delivers what the handled messages produced. Called after each batch and always before the
     * lock is released, or a later holder's deliveries could overtake them.
     */
    void deliver();
  }

  /** What a sweep of the sequences found ({@link #sweep}). */
  public record SweepResult(int drained, Set<ConnectionId> gaps) {}

  private final DynamoDbClient dynamo;
  private final String table;
  private final InstantSource clock;

  public Sequencer(DynamoDbClient dynamo, String tablePrefix, InstantSource clock) {
    this.dynamo = Objects.requireNonNull(dynamo, "dynamo");
    this.table = StratusTables.SEQUENCES.name(tablePrefix);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Submits message {@code seq} of a connection, with the default budget {@link #HOLD}. */
  public Outcome submit(ConnectionId connection, long seq, String body, Handler handler) {
    return submit(connection, seq, body, handler, HOLD);
  }

  /**
   * Submits message {@code seq} of a connection. If this invocation becomes the lock holder, it
   * handles its own message in any case, and parked successors while {@code budget} lasts.
   */
  public Outcome submit(
      ConnectionId connection, long seq, String body, Handler handler, Duration budget) {
    if (seq < 1) {
      throw new IllegalArgumentException("sequence numbers start at 1: " + seq);
    }
    String me = UUID.randomUUID().toString();
    String pk = connection.value();
    Instant stopAt = clock.instant().plus(budget.isNegative() ? Duration.ZERO : budget);
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
      run(pk, me, next(state), -1, null, handler, stopAt);
      return Outcome.HANDLED;
    }
    run(pk, me, next(state), seq, body, handler, stopAt);
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
   * The sweeper's part (docs/ordering.md, "Stalls and gaps"): for each connection with parked
   * messages whose lock is free (or its lease expired), under the lock: leftovers below {@code
   * next} are deleted; if the message for {@code next} is parked, the sequence stalled (its last
   * holder stopped for time, or died) and is drained in order here while {@code stopAt} allows; if
   * not, and a parked message is older than {@link #GAP_TIMEOUT}, its predecessor will never come:
   * the connection is returned as a gap (its lock stays taken; the caller closes and {@link
   * #forget}s it). A connection whose lock a live holder has is left to that holder.
   *
   * @param handlers the handler for a connection's drained messages
   */
  public SweepResult sweep(
      Instant now, Instant stopAt, java.util.function.Function<ConnectionId, Handler> handlers) {
    // the parked index, oldest first: per connection its parked numbers and oldest parking time
    Map<String, Long> oldest = new java.util.LinkedHashMap<>();
    Map<String, List<Long>> numbers = new HashMap<>();
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
                        Map.of(":s", s(PARK_SHARD), ":t", n(now.toEpochMilli())))
                    .projectionExpression("pk, sk, parkedAt");
                if (from != null) {
                  q.exclusiveStartKey(from);
                }
              });
      for (Map<String, AttributeValue> item : r.items()) {
        String pk = item.get("pk").s();
        oldest.putIfAbsent(pk, Long.parseLong(item.get("parkedAt").n()));
        numbers.computeIfAbsent(pk, k -> new ArrayList<>()).add(Long.parseLong(item.get("sk").n()));
      }
      start =
          r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);

    int drained = 0;
    Set<ConnectionId> gaps = new LinkedHashSet<>();
    long gapBefore = now.minus(GAP_TIMEOUT).toEpochMilli();
    for (String pk : oldest.keySet()) {
      if (!clock.instant().isBefore(stopAt)) {
        break; // the next sweep continues
      }
      String me = UUID.randomUUID().toString();
      Map<String, AttributeValue> state = tryAcquire(pk, me);
      if (state == null) {
        continue; // a live holder works on it
      }
      long next = next(state);
      List<Long> below = numbers.get(pk).stream().filter(n -> n < next).toList();
      deleteParked(pk, below);
      if (readParked(pk, next) != null) {
        drained++;
        run(pk, me, next, -1, null, handlers.apply(new ConnectionId(pk)), stopAt);
      } else if (below.size() < numbers.get(pk).size()
          && oldest.get(pk) <= gapBefore
          && oldestWaiting(pk, next) <= gapBefore) {
        // a message at or above next waited GAP_TIMEOUT, the lock is free and next is missing
        // (the index's oldest time covers leftovers too: only a pre-filter for the exact read)
        gaps.add(new ConnectionId(pk));
      } else {
        release(pk, me, next);
      }
    }
    return new SweepResult(drained, gaps);
  }

  /** The earliest parking time of a connection's parked messages at or above {@code next}. */
  private long oldestWaiting(String pk, long next) {
    long min = Long.MAX_VALUE;
    for (Map<String, AttributeValue> item : readBatch(pk, next, Integer.MAX_VALUE)) {
      min = Math.min(min, Long.parseLong(item.get("parkedAt").n()));
    }
    return min;
  }

  /**
   * The lock holder's loop: handles its own message if it is {@code next}, else parked ones from
   * {@code next} on in batches until {@code stopAt}; releases; and, with time left, checks whether
   * {@code next} is parked (then takes the lock again and goes on). A holder that stops for time
   * does not look: a message parked meanwhile at {@code next} is drained by the next sweep, or by
   * the next invocation of the connection (its parker, or any later message's holder).
   */
  private void run(
      String pk,
      String me,
      long next,
      long ownSeq,
      String ownBody,
      Handler handler,
      Instant stopAt) {
    while (true) {
      if (ownBody != null && ownSeq == next) {
        handler.handle(ownBody);
        next++;
        ownBody = null;
      } else {
        while (clock.instant().isBefore(stopAt)) {
          List<Long> handled = new ArrayList<>();
          for (Map<String, AttributeValue> item : readBatch(pk, next, BATCH)) {
            if (Long.parseLong(item.get("sk").n()) != next || !clock.instant().isBefore(stopAt)) {
              break;
            }
            handler.handle(item.get("b").s());
            handled.add(next);
            next++;
          }
          if (handled.isEmpty()) {
            break;
          }
          // per batch: deliver, record next, delete. The client sees its acknowledgements as
          // batches complete, and the items go only once next moved past them: a holder that dies
          // leaves leftovers below next, duplicates to everyone (the sweeper deletes them), never
          // a gap
          handler.deliver();
          if (!checkpoint(pk, me, next)) {
            return; // lease lost (a stall beyond LEASE): someone else continues
          }
          deleteParked(pk, handled);
        }
      }
      handler.deliver();
      release(pk, me, next);
      if (!clock.instant().isBefore(stopAt) || readParked(pk, next) == null) {
        return;
      }
      Map<String, AttributeValue> state = tryAcquire(pk, me);
      if (state == null) {
        return; // someone else holds the lock; its own check after release follows up
      }
      next = next(state);
    }
  }

  /** Up to {@code limit} parked messages of a connection from {@code from} on, in order. */
  private List<Map<String, AttributeValue>> readBatch(String pk, long from, int limit) {
    List<Map<String, AttributeValue>> items = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> after = start;
      int want = limit - items.size();
      QueryResponse r =
          dynamo.query(
              q -> {
                q.tableName(table)
                    .keyConditionExpression("pk = :pk AND sk >= :from")
                    .expressionAttributeValues(Map.of(":pk", s(pk), ":from", n(from)))
                    .consistentRead(true)
                    .limit(want);
                if (after != null) {
                  q.exclusiveStartKey(after);
                }
              });
      items.addAll(r.items());
      start =
          r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null && items.size() < limit);
    return items;
  }

  /** Records {@code next} while keeping the lock; false if the lock is no longer this holder's. */
  private boolean checkpoint(String pk, String me, long next) {
    return storeNext(pk, me, next, "SET #next = :next", "while holding");
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
    storeNext(pk, me, next, "SET #next = :next REMOVE lockOwner, lockUntil", "before release");
  }

  /**
   * Writes {@code next} on condition that this invocation still holds the lock. A lease that
   * expired under us (a stall beyond {@link #LEASE}) means another holder may have handled the same
   * messages: nothing is left to undo, but it must show in the log.
   */
  private boolean storeNext(String pk, String me, long next, String update, String when) {
    try {
      dynamo.updateItem(
          u ->
              u.tableName(table)
                  .key(Map.of("pk", s(pk), "sk", STATE))
                  .updateExpression(update)
                  .conditionExpression("lockOwner = :me")
                  .expressionAttributeNames(Map.of("#next", "next"))
                  .expressionAttributeValues(Map.of(":next", n(next), ":me", s(me))));
      return true;
    } catch (ConditionalCheckFailedException e) {
      LOG.log(System.Logger.Level.WARNING, "{0}: sequencer lease lost " + when, pk);
      return false;
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
    for (int i = 0; i < seqs.size(); i += BATCH) {
      List<WriteRequest> deletes = new ArrayList<>();
      for (long seq : seqs.subList(i, Math.min(seqs.size(), i + BATCH))) {
        deletes.add(
            WriteRequest.builder()
                .deleteRequest(d -> d.key(Map.of("pk", s(pk), "sk", n(seq))))
                .build());
      }
      Map<String, List<WriteRequest>> left = Map.of(table, deletes);
      // unprocessed deletes (throttling) are retried; a leftover is harmless (below next)
      for (int round = 0; round < 5 && !left.isEmpty(); round++) {
        Map<String, List<WriteRequest>> request = left;
        left = dynamo.batchWriteItem(b -> b.requestItems(request)).unprocessedItems();
      }
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
