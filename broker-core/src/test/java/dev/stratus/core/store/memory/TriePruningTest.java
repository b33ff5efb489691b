package dev.stratus.core.store.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import dev.stratus.core.store.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The in-memory tries give back the nodes of filters and topics no longer used, and never lose an
 * entry that races with the pruning.
 */
class TriePruningTest {

  private static Subscription sub(String client, String filter) {
    return new Subscription(
        client, TopicFilter.of(filter), QoS.AT_MOST_ONCE, false, false, RetainHandling.SEND, 0);
  }

  private static Message retained(String topic) {
    return new Message(
        TopicName.of(topic), Bytes.utf8("x"), QoS.AT_MOST_ONCE, true, Properties.NONE, "c", null);
  }

  @Test
  void unsubscribedFiltersLeaveNoNodes() {
    MemorySubscriptionStore store = new MemorySubscriptionStore();
    store.put(sub("keep", "devices/+/status"));
    int base = store.nodeCount();
    for (int i = 0; i < 1000; i++) {
      store.put(sub("d" + i, "devices/" + i + "/cmd"));
      store.put(sub("d" + i, "$share/g/devices/" + i + "/cmd"));
    }
    for (int i = 0; i < 1000; i++) {
      store.removeAll("d" + i);
    }
    assertEquals(base, store.nodeCount());
    assertEquals(1, store.match(TopicName.of("devices/7/status")).direct().size());
  }

  @Test
  void clearedRetainedTopicsLeaveNoNodes() {
    MemoryRetainedStore store = new MemoryRetainedStore();
    store.put(retained("keep/me"));
    int base = store.nodeCount();
    for (int i = 0; i < 1000; i++) {
      store.put(retained("devices/" + i + "/state"));
    }
    for (int i = 0; i < 1000; i++) {
      store.remove(TopicName.of("devices/" + i + "/state"));
    }
    assertEquals(base, store.nodeCount());
    assertEquals(0, store.match(TopicFilter.of("devices/#")).size());
    assertEquals(1, store.count());
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void churnNeverLosesAStableSubscriptionOrRetainedMessage() throws Exception {
    MemorySubscriptionStore subs = new MemorySubscriptionStore();
    MemoryRetainedStore retained = new MemoryRetainedStore();
    int threads = 4;
    int rounds = 20_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < rounds; i++) {
                    // everyone churns the same deep branch; each thread also keeps one entry
                    String churn = "a/b/c" + (i % 3);
                    subs.put(sub("churn" + me, churn));
                    subs.remove("churn" + me, TopicFilter.of(churn));
                    retained.put(retained(churn));
                    retained.remove(TopicName.of(churn));
                    if (i == rounds / 2) {
                      subs.put(sub("stable" + me, "a/b/c" + me % 3));
                      retained.put(retained("a/b/stable" + me));
                    }
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    int matched = 0;
    for (int k = 0; k < 3; k++) {
      matched += subs.match(TopicName.of("a/b/c" + k)).direct().size();
    }
    assertEquals(threads, matched, "every stable subscription is still matched");
    assertEquals(threads, subs.count());
    assertEquals(threads, retained.match(TopicFilter.of("a/b/+")).size());
    assertEquals(threads, retained.count());
  }
}
