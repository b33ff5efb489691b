package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.store.Subscription;
import dev.stratus.core.store.SubscriptionMatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * DESIGN §3.2: matching a publish takes a number of DynamoDB requests that depends on the topic's
 * levels and the filters that match it, not on how many other filters or subscribers exist.
 */
class SubscriptionMatchRequestsTest {
  private final RequestCounter counter = new RequestCounter();
  private final DynamoDbClient client = LocalDynamo.client(counter);

  private static Subscription sub(String clientId, String filter) {
    return new Subscription(
        clientId, TopicFilter.of(filter), QoS.AT_LEAST_ONCE, false, false, RetainHandling.SEND, 0);
  }

  /** The filters that match sensors/target, one client each. */
  private static final Map<String, String> PROBES = new LinkedHashMap<>();

  static {
    PROBES.put("exact", "sensors/target");
    PROBES.put("plus", "sensors/+");
    PROBES.put("hash", "sensors/#");
    PROBES.put("all", "#");
    PROBES.put("lead", "+/target");
    PROBES.put("shared", "$share/g/sensors/+");
  }

  /**
   * A fresh table holding {@code distinct} non-matching filters {@code sensors/{i}} (siblings of
   * the published topic: the case a scan-free design must not enumerate), each with one subscriber,
   * plus 100 subscribers on one of them and the probes; then the requests one match takes.
   */
  private Map<String, Long> requestsToMatch(int distinct) throws Exception {
    String prefix = LocalDynamo.newPrefix(client, StratusTables.SUBSCRIPTIONS);
    DynamoDbSubscriptionStore store = new DynamoDbSubscriptionStore(client, prefix);
    List<Subscription> bulk = new ArrayList<>(distinct + 100);
    for (int i = 0; i < distinct; i++) {
      bulk.add(sub("c" + i, "sensors/" + i));
    }
    for (int i = 0; i < 100; i++) {
      bulk.add(sub("crowd" + i, "sensors/0"));
    }
    load(prefix, DynamoDbSubscriptionStore.bulkItems(bulk));
    // the probes go through put(), which adds to the trie counters the bulk load wrote
    PROBES.forEach((clientId, filter) -> store.put(sub(clientId, filter)));

    counter.reset();
    SubscriptionMatch m = store.match(TopicName.of("sensors/target"));
    Map<String, Long> requests = counter.byOperation();

    Set<String> direct = new TreeSet<>();
    m.direct().forEach(s -> direct.add(s.clientId() + ":" + s.filter()));
    assertEquals(
        Set.of(
            "exact:sensors/target", "plus:sensors/+", "hash:sensors/#", "all:#", "lead:+/target"),
        direct);
    assertEquals(1, m.shared().size());
    assertEquals("g/sensors/+", m.shared().getFirst().key());
    return requests;
  }

  /** BatchWriteItem, 25 items a request, on four threads. */
  private void load(String prefix, List<WriteRequest> writes) throws Exception {
    TableClient table = new TableClient(client, StratusTables.SUBSCRIPTIONS.name(prefix));
    int chunk = 2_500;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < writes.size(); i += chunk) {
        List<WriteRequest> part = writes.subList(i, Math.min(writes.size(), i + chunk));
        done.add(pool.submit(() -> table.batchWrite("load", part)));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void requestsPerMatchDoNotGrowWithDistinctFilters() throws Exception {
    Map<String, Long> at10 = requestsToMatch(10);
    Map<String, Long> at1k = requestsToMatch(1_000);
    Map<String, Long> at100k = requestsToMatch(100_000);
    // 2 topic levels: 2 BatchGetItem; 5 distinct matching filters: 5 Query (the shared
    // subscription to sensors/+ is in the same filter partition as the direct one)
    assertEquals(Map.of("BatchGetItem", 2L, "Query", 5L), at10);
    assertEquals(at10, at1k);
    assertEquals(at10, at100k);
  }
}
