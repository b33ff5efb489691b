package dev.stratus.core.store;

import java.util.List;

/**
 * Per client id, a FIFO of messages waiting to be sent. Implementations are thread-safe.
 *
 * <p>Drop policy: a queue never holds more than the {@code capacity} given to {@link #offer}; when
 * it is full, the new message is refused (tail drop) so that what is queued keeps its order with no
 * gaps, as Mosquitto does. The engine counts each refusal.
 */
public interface QueueStore {

  /** Appends unless the queue already holds {@code capacity} entries; false if refused. */
  boolean offer(String clientId, QueuedDelivery delivery, int capacity);

  /** Removes and returns up to {@code max} entries from the head, oldest first. */
  List<QueuedDelivery> poll(String clientId, int max);

  int size(String clientId);

  void clear(String clientId);
}
