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
}
