package dev.stratus.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicMatcher;
import dev.stratus.codec.TopicName;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What every {@link SubscriptionStore} must do. Extend it with a factory for the implementation.
 */
public abstract class SubscriptionStoreContract {
  private SubscriptionStore store;

  protected abstract SubscriptionStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
  }

  protected static Subscription sub(String client, String filter) {
    return new Subscription(
        client, TopicFilter.of(filter), QoS.AT_LEAST_ONCE, false, false, RetainHandling.SEND, 0);
  }

  private Set<String> matching(String topic) {
    return store.match(TopicName.of(topic)).direct().stream()
        .map(s -> s.clientId() + ":" + s.filter())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @ParameterizedTest(name = "[MQTT-4.7.1] {0} matches {1}: {2}")
  @CsvSource({
    "a/b/c, a/b/c, true",
    "a/+/c, a/b/c, true",
    "a/+/c, a//c, true",
    "a/#, a, true",
    "a/#, a/b/c, true",
    "#, a/b, true",
    "+, a/b, false",
    "+/+, /a, true",
    "a/b, a/b/c, false",
    "#, $SYS/x, false",
    "+/x, $SYS/x, false",
    "$SYS/#, $SYS/x, true",
    "a/+, a/, true",
    "A/b, a/b, false",
  })
  void matchAgreesWithTheSpecRules(String filter, String topic, boolean expected) {
    store.put(sub("c", filter));
    assertEquals(expected, !store.match(TopicName.of(topic)).direct().isEmpty());
    assertEquals(expected, TopicMatcher.matches(filter, topic), "reference matcher disagrees");
  }

  @Test
  void matchFindsEveryOverlappingSubscriptionOfEveryClient() {
    store.put(sub("a", "s/#"));
    store.put(sub("a", "s/+/t"));
    store.put(sub("b", "s/1/t"));
    store.put(sub("b", "x/#"));
    assertEquals(Set.of("a:s/#", "a:s/+/t", "b:s/1/t"), matching("s/1/t"));
  }

  @Test
  void putReturnsTheReplacedSubscription() {
    assertNull(store.put(sub("a", "t")));
    Subscription again =
        new Subscription(
            "a", TopicFilter.of("t"), QoS.EXACTLY_ONCE, false, false, RetainHandling.SEND, 7);
    assertEquals(sub("a", "t"), store.put(again));
    assertEquals(List.of(again), store.forClient("a"));
    assertEquals(List.of(again), store.match(TopicName.of("t")).direct());
    assertEquals(1, store.count());
  }

  @Test
  void removeAndRemoveAll() {
    store.put(sub("a", "t/1"));
    store.put(sub("a", "t/2"));
    store.put(sub("b", "t/1"));
    assertTrue(store.remove("a", TopicFilter.of("t/1")));
    assertFalse(store.remove("a", TopicFilter.of("t/1")));
    assertEquals(Set.of("b:t/1"), matching("t/1"));
    store.removeAll("a");
    assertTrue(store.forClient("a").isEmpty());
    assertTrue(matching("t/2").isEmpty());
    assertEquals(1, store.count());
  }

  @Test
  void sharedSubscriptionsComeAsOneGroupPerShareNameAndFilter() {
    store.put(sub("a", "$share/g/s/#"));
    store.put(sub("b", "$share/g/s/#"));
    store.put(sub("c", "$share/h/s/#"));
    store.put(sub("d", "s/#"));
    SubscriptionMatch m = store.match(TopicName.of("s/1"));
    assertEquals(1, m.direct().size());
    assertEquals(2, m.shared().size());
    var byKey =
        m.shared().stream()
            .collect(
                Collectors.toMap(
                    SubscriptionMatch.SharedGroup::key,
                    g ->
                        g.members().stream()
                            .map(Subscription::clientId)
                            .collect(Collectors.toSet())));
    assertEquals(Set.of("a", "b"), byKey.get("g/s/#"));
    assertEquals(Set.of("c"), byKey.get("h/s/#"));
    assertTrue(store.remove("a", TopicFilter.of("$share/g/s/#")));
    assertEquals(
        1,
        store.match(TopicName.of("s/1")).shared().stream()
            .filter(g -> g.key().equals("g/s/#"))
            .findFirst()
            .orElseThrow()
            .members()
            .size());
  }

  @Test
  void listPagesThroughEverySubscriptionOnce() {
    Set<String> expected = new TreeSet<>();
    for (int c = 0; c < 4; c++) {
      for (String f : List.of("a/b", "a/+", "#", "$share/g/x/#")) {
        store.put(sub("client" + c, f));
        expected.add("client" + c + " " + f);
      }
    }
    Subscription v5 =
        new Subscription(
            "opts",
            TopicFilter.of("o/#"),
            QoS.EXACTLY_ONCE,
            true,
            true,
            RetainHandling.DO_NOT_SEND,
            7);
    store.put(v5);
    expected.add("opts o/#");
    for (int limit : new int[] {1, 5, 1000}) {
      List<Subscription> all = Paging.all(store::list, limit);
      assertEquals(expected.size(), all.size(), "each subscription once, limit " + limit);
      assertEquals(
          expected,
          all.stream()
              .map(s -> s.clientId() + " " + s.filter().value())
              .collect(Collectors.toCollection(TreeSet::new)),
          "limit " + limit);
      assertTrue(all.contains(v5), "options come back as subscribed");
    }
    store.removeAll("client0");
    assertEquals(expected.size() - 4, Paging.all(store::list, 3).size());
    Paging.rejectsBadLimits(store::list);
  }
}
