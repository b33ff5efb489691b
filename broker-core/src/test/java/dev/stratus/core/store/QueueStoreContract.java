package dev.stratus.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link QueueStore} must do. Extend it with a factory for the implementation. */
public abstract class QueueStoreContract {
  private QueueStore store;

  protected abstract QueueStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
  }

  protected static QueuedDelivery queued(String payload) {
    Message m =
        new Message(
            TopicName.of("t"),
            Bytes.utf8(payload),
            QoS.AT_LEAST_ONCE,
            false,
            Properties.NONE,
            "p",
            null);
    return new QueuedDelivery(m, QoS.AT_LEAST_ONCE, false, List.of());
  }

  private static List<String> payloads(List<QueuedDelivery> ds) {
    return ds.stream().map(d -> d.message().payload().asUtf8()).toList();
  }

  @Test
  void pollReturnsOldestFirst() {
    for (String p : List.of("1", "2", "3", "4")) {
      assertTrue(store.offer("c", queued(p), 10));
    }
    assertEquals(List.of("1", "2"), payloads(store.poll("c", 2)));
    assertEquals(2, store.size("c"));
    assertEquals(List.of("3", "4"), payloads(store.poll("c", 10)));
    assertTrue(store.poll("c", 10).isEmpty());
  }

  @Test
  void offerRefusesTheNewestWhenFull() {
    assertTrue(store.offer("c", queued("1"), 2));
    assertTrue(store.offer("c", queued("2"), 2));
    assertFalse(store.offer("c", queued("3"), 2));
    assertEquals(List.of("1", "2"), payloads(store.poll("c", 10)));
  }

  @Test
  void queuesArePerClientAndClearEmptiesOne() {
    store.offer("a", queued("a1"), 10);
    store.offer("b", queued("b1"), 10);
    store.clear("a");
    assertEquals(0, store.size("a"));
    assertEquals(List.of("b1"), payloads(store.poll("b", 10)));
  }
}
