package dev.stratus.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What every {@link RetainedStore} must do. Extend it with a factory for the implementation. */
public abstract class RetainedStoreContract {
  private RetainedStore store;

  protected abstract RetainedStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
    for (String t : new String[] {"a", "a/b", "a/b/c", "a/x/c", "b", "/lead", "$SYS/up"}) {
      store.put(message(t, t));
    }
  }

  protected static Message message(String topic, String payload) {
    return new Message(
        TopicName.of(topic),
        Bytes.utf8(payload),
        QoS.AT_LEAST_ONCE,
        true,
        Properties.NONE,
        "c",
        null);
  }

  private Set<String> topics(String filter) {
    return store.match(TopicFilter.of(filter)).stream()
        .map(m -> m.topic().value())
        .collect(Collectors.toSet());
  }

  @ParameterizedTest(name = "[MQTT-3.3.1-6] retained for {0}: {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "a; a",
        "a/#; a,a/b,a/b/c,a/x/c",
        "a/+/c; a/b/c,a/x/c",
        "+; a,b",
        "#; a,a/b,a/b/c,a/x/c,b,/lead",
        "+/lead; /lead",
        "$SYS/#; $SYS/up",
        "$share/g/a/+; a/b",
      })
  void matchByFilterIncludingWildcards(String filter, String expected) {
    assertEquals(Set.of(expected.split(",")), topics(filter));
  }

  @Test
  void putReplacesAndRemoveClears() {
    store.put(message("a", "new"));
    assertEquals("new", store.get(TopicName.of("a")).payload().asUtf8());
    assertEquals(7, store.count());
    assertTrue(store.remove(TopicName.of("a")));
    assertFalse(store.remove(TopicName.of("a")));
    assertNull(store.get(TopicName.of("a")));
    assertEquals(Set.of("a/b", "a/b/c", "a/x/c"), topics("a/#"));
    assertEquals(6, store.count());
  }

  private java.util.List<String> listed(String prefix, int limit) {
    return Paging.all((cursor, l) -> store.list(prefix, cursor, l), limit).stream()
        .map(m -> m.topic().value())
        .toList();
  }

  @ParameterizedTest(name = "list under \"{0}\": {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "'';   $SYS/up,/lead,a,a/b,a/b/c,a/bc,a/x/c,b",
        "a;    a,a/b,a/b/c,a/bc,a/x/c",
        "a/b;  a/b,a/b/c",
        "a/x;  a/x/c",
        "$SYS; $SYS/up",
        "'';   $SYS/up,/lead,a,a/b,a/b/c,a/bc,a/x/c,b",
        "zz;   ''"
      })
  void listReturnsTheTopicAndEverythingUnderIt(String prefix, String expected) {
    store.put(message("a/bc", "not under a/b"));
    Set<String> want = expected.isEmpty() ? Set.of() : Set.of(expected.split(","));
    for (int limit : new int[] {1, 2, 1000}) {
      java.util.List<String> got = listed(prefix, limit);
      assertEquals(want.size(), got.size(), "each message once, limit " + limit + ": " + got);
      assertEquals(want, Set.copyOf(got), "limit " + limit);
    }
  }

  @Test
  void listKeepsTopicOrderWithinAFirstLevel() {
    java.util.List<String> got = listed("a", 2);
    assertEquals(got.stream().sorted().toList(), got);
    Message m = store.list("a/b/c", null, 10).items().get(0);
    assertEquals(message("a/b/c", "a/b/c"), m);
    Paging.rejectsBadLimits((cursor, l) -> store.list("", cursor, l));
  }

  @Test
  void ownedTopicsAreCountedAndLimited() {
    assertTrue(store.put(message("o/1", "1"), "user:alice", 2));
    assertTrue(store.put(message("o/2", "2"), "user:alice", 2));
    assertEquals(2, store.ownedCount("user:alice"));
    // a third topic is over the limit: nothing changes
    assertFalse(store.put(message("o/3", "3"), "user:alice", 2));
    assertNull(store.get(TopicName.of("o/3")));
    assertEquals(2, store.ownedCount("user:alice"));
    // replacing a topic the owner has never counts twice, even at the limit
    assertTrue(store.put(message("o/1", "1b"), "user:alice", 2));
    assertEquals("1b", store.get(TopicName.of("o/1")).payload().asUtf8());
    assertEquals(2, store.ownedCount("user:alice"));
    // clearing frees a slot
    assertTrue(store.remove(TopicName.of("o/2")));
    assertEquals(1, store.ownedCount("user:alice"));
    assertTrue(store.put(message("o/3", "3"), "user:alice", 2));
    assertEquals(2, store.ownedCount("user:alice"));
    assertEquals(0, store.ownedCount("user:bob"));
  }

  @Test
  void anotherOwnerTakesATopicOver() {
    assertTrue(store.put(message("o/1", "a"), "user:alice", 5));
    assertTrue(store.put(message("o/1", "b"), "user:bob", 5));
    assertEquals(0, store.ownedCount("user:alice"));
    assertEquals(1, store.ownedCount("user:bob"));
    // a full owner cannot take another's topic
    assertTrue(store.put(message("o/2", "a"), "user:alice", 1));
    assertFalse(store.put(message("o/1", "a2"), "user:alice", 1));
    assertEquals("b", store.get(TopicName.of("o/1")).payload().asUtf8());
    // an unowned put (the broker's own, or no limit set) takes the topic from its owner
    store.put(message("o/1", "c"));
    assertEquals(0, store.ownedCount("user:bob"));
    // owner 0 limit: counted, never refused
    assertTrue(store.put(message("o/4", "a"), "anonymous", 0));
    assertTrue(store.put(message("o/5", "a"), "anonymous", 0));
    assertEquals(2, store.ownedCount("anonymous"));
  }

  @Test
  void ownerCountersAreNotTopics() {
    long before = store.count();
    assertTrue(store.put(message("o/1", "a"), "user:alice", 5));
    assertTrue(store.put(message("p", "a"), "user:bob", 5));
    assertEquals(before + 2, store.count());
    assertEquals(Set.of("a", "a/b", "a/b/c", "a/x/c", "b", "/lead", "o/1", "p"), topics("#"));
    assertEquals(Set.of("a", "b", "p"), topics("+"));
    Set<String> listed =
        Paging.all((c, l) -> store.list("", c, l), 2).stream()
            .map(m -> m.topic().value())
            .collect(Collectors.toSet());
    assertEquals(Set.of("a", "a/b", "a/b/c", "a/x/c", "b", "/lead", "$SYS/up", "o/1", "p"), listed);
  }
}
