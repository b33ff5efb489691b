package dev.stratus.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link InFlightStore} must do. Extend it with a factory for the implementation. */
public abstract class InFlightStoreContract {
  private InFlightStore store;

  protected abstract InFlightStore newStore();

  @BeforeEach
  void setUp() {
    store = newStore();
  }

  protected static OutboundFlight flight(String payload) {
    Message m =
        new Message(
            TopicName.of("t"),
            Bytes.utf8(payload),
            QoS.EXACTLY_ONCE,
            false,
            Properties.NONE,
            "p",
            null);
    return new OutboundFlight(0, m, QoS.EXACTLY_ONCE, false, List.of(3), false);
  }

  @Test
  void allocateGivesDistinctNonZeroIdsPerClient() {
    // [MQTT-2.2.1-3] a new id must not be in use by another unacknowledged packet
    Set<Integer> ids = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      int id = store.allocate("a", flight("m" + i));
      assertTrue(id >= 1 && id <= 65_535);
      assertTrue(ids.add(id), "id reused while in use: " + id);
    }
    assertEquals(1000, store.outboundCount("a"));
    assertEquals(0, store.outboundCount("b"));
    assertNotEquals(0, store.allocate("b", flight("x")));
  }

  @Test
  void allocateReturnsZeroWhenEveryIdIsInUseAndReusesFreedIds() {
    for (int i = 0; i < 65_535; i++) {
      assertNotEquals(0, store.allocate("a", flight("m")));
    }
    assertEquals(0, store.allocate("a", flight("full")));
    assertEquals("m", store.remove("a", 42).message().payload().asUtf8());
    assertEquals(42, store.allocate("a", flight("again")));
  }

  @Test
  void flightsKeepAllocationOrderAndReplaceKeepsThePlace() {
    int a = store.allocate("c", flight("1"));
    int b = store.allocate("c", flight("2"));
    int c = store.allocate("c", flight("3"));
    OutboundFlight released = store.get("c", b).asReleased();
    assertTrue(store.replace("c", released));
    List<OutboundFlight> all = store.outbound("c");
    assertEquals(List.of(a, b, c), all.stream().map(OutboundFlight::packetId).toList());
    assertTrue(all.get(1).released());
    assertEquals(List.of(3), all.get(1).subscriptionIds());
    assertFalse(store.replace("c", flight("x").withPacketId(9999)));
  }

  @Test
  void removeReturnsTheFlightOnce() {
    int id = store.allocate("c", flight("1"));
    assertEquals("1", store.remove("c", id).message().payload().asUtf8());
    assertNull(store.remove("c", id));
    assertNull(store.get("c", id));
  }

  @Test
  void inboundIdsDetectDuplicates() {
    // [MQTT-4.3.3-10] the receiver keeps the id until PUBREL to discard duplicates
    assertTrue(store.addInbound("c", 5));
    assertFalse(store.addInbound("c", 5));
    assertEquals(1, store.inboundCount("c"));
    assertTrue(store.removeInbound("c", 5));
    assertFalse(store.removeInbound("c", 5));
    assertTrue(store.addInbound("c", 5));
  }

  @Test
  void clearForgetsEverythingOfOneClient() {
    store.allocate("c", flight("1"));
    store.addInbound("c", 1);
    store.allocate("d", flight("1"));
    store.clear("c");
    assertEquals(0, store.outboundCount("c"));
    assertEquals(0, store.inboundCount("c"));
    assertEquals(1, store.outboundCount("d"));
  }
}
