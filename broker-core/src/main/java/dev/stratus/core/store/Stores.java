package dev.stratus.core.store;

import dev.stratus.core.store.memory.MemoryConnectionStore;
import dev.stratus.core.store.memory.MemoryInFlightStore;
import dev.stratus.core.store.memory.MemoryQueueStore;
import dev.stratus.core.store.memory.MemoryRetainedStore;
import dev.stratus.core.store.memory.MemorySessionStore;
import dev.stratus.core.store.memory.MemorySubscriptionStore;
import java.util.Objects;

/** The store ports the engine runs on, bundled. */
public record Stores(
    SessionStore sessions,
    SubscriptionStore subscriptions,
    RetainedStore retained,
    InFlightStore inFlight,
    QueueStore queues,
    ConnectionStore connections) {
  public Stores {
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(subscriptions, "subscriptions");
    Objects.requireNonNull(retained, "retained");
    Objects.requireNonNull(inFlight, "inFlight");
    Objects.requireNonNull(queues, "queues");
    Objects.requireNonNull(connections, "connections");
  }

  /** Fresh, empty in-memory stores. */
  public static Stores inMemory() {
    return new Stores(
        new MemorySessionStore(),
        new MemorySubscriptionStore(),
        new MemoryRetainedStore(),
        new MemoryInFlightStore(),
        new MemoryQueueStore(),
        new MemoryConnectionStore());
  }
}
