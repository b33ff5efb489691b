package dev.stratus.core;

/**
 * The engine's way out: each edge implements it (the bridge writes to its sockets; the Lambda
 * handlers call the API Gateway Management API). Packets arrive already encoded for the
 * connection's protocol version and already checked against the client's maximum packet size.
 *
 * <p>Calls may come from any thread and must not block on a slow client: the edge buffers, and
 * applies its documented policy when a buffer is full.
 */
public interface Outbound {

  /**
   * Sends one whole encoded packet. Unknown or closed connections are ignored. The array may be
   * shared with other connections (a QoS 0 fan-out encodes once): never write to it.
   */
  void send(ConnectionId connection, byte[] packet);

  /** Closes the connection after what was sent before has been written. */
  void close(ConnectionId connection);
}
