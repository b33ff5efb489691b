package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicMatcher;
import dev.stratus.codec.TopicName;
import dev.stratus.core.store.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The trie walk agrees with the reference matcher ({@link TopicMatcher}) on random filters and
 * topics over a small alphabet (so that they collide): empty levels, {@code $} topics, {@code #} at
 * the root and after every level, {@code +} anywhere; and still agrees after half of the
 * subscriptions are removed, which exercises the counters and node deletion.
 */
class TrieMatchPropertyTest {
  private static final String[] LEVELS = {"a", "b", "", "$s"};
  private final DynamoDbClient client = LocalDynamo.embeddedClient();
  private final DynamoDbSubscriptionStore store =
      new DynamoDbSubscriptionStore(
          client, LocalDynamo.newPrefix(client, StratusTables.SUBSCRIPTIONS));
  private final Random random = new Random(20261122);

  private String topic() {
    int n = 1 + random.nextInt(4);
    List<String> levels = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String l = LEVELS[random.nextInt(LEVELS.length)];
      levels.add(i > 0 && l.startsWith("$") ? "c" : l); // '$' only leads
    }
    String t = String.join("/", levels);
    return t.isEmpty() ? "a" : t; // a topic (and a filter) has at least one character
  }

  private String filter() {
    String[] levels = topic().split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      if (random.nextInt(3) == 0) {
        levels[i] = "+";
      }
    }
    String f = String.join("/", levels);
    return random.nextInt(4) == 0 ? (random.nextBoolean() ? "#" : f + "/#") : f;
  }

  private Set<String> expected(List<Subscription> subs, String topic) {
    Set<String> out = new TreeSet<>();
    for (Subscription s : subs) {
      if (TopicMatcher.matches(s.filter().filter(), topic)) {
        out.add(s.clientId() + " " + s.filter());
      }
    }
    return out;
  }

  private Set<String> actual(String topic) {
    Set<String> out = new TreeSet<>();
    store
        .match(TopicName.of(topic))
        .direct()
        .forEach(s -> out.add(s.clientId() + " " + s.filter()));
    return out;
  }

  @Test
  void matchAgreesWithTheReferenceMatcherBeforeAndAfterRemovals() {
    List<Subscription> subs = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < 120; i++) {
      String client = "c" + random.nextInt(10);
      String f = filter();
      if (seen.add(client + " " + f)) {
        Subscription s =
            new Subscription(
                client, TopicFilter.of(f), QoS.AT_MOST_ONCE, false, false, RetainHandling.SEND, 0);
        store.put(s);
        subs.add(s);
      }
    }
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      topics.add(topic());
    }
    for (String t : topics) {
      assertEquals(expected(subs, t), actual(t), t);
    }
    List<Subscription> kept = new ArrayList<>();
    for (Subscription s : subs) {
      if (random.nextBoolean()) {
        store.remove(s.clientId(), s.filter());
      } else {
        kept.add(s);
      }
    }
    for (String t : topics) {
      assertEquals(expected(kept, t), actual(t), t);
    }
    assertEquals(kept.size(), store.count());
  }
}
