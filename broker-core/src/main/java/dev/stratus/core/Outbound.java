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

  /**
   * {@link #send(ConnectionId, byte[])} to a connection held by {@code edge} (its {@code
   * ConnectionRecord.edge}). The engine calls this form whenever it knows the record, including for
   * the last packets of a connection whose record it has already removed (the DISCONNECT 0x8E of a
   * takeover, the DISCONNECT of a protocol error), so an edge that delivers through another process
   * needs no store lookup. The default ignores the edge.
   */
  default void send(ConnectionId connection, String edge, byte[] packet) {
    send(connection, packet);
  }

  /**
   * {@link #close(ConnectionId)} of a connection held by {@code edge}. The engine removes a
   * connection's record before it closes it (takeover, keepalive expiry, protocol error, refused
   * CONNECT), so an edge that closes through another process (a Management API {@code
   * DeleteConnection}) finds the edge here rather than in the store. The engine calls {@link
   * #close(ConnectionId)} alone only when it has no record (a packet for a connection already
   * gone). The default ignores the edge.
   */
  default void close(ConnectionId connection, String edge) {
    close(connection);
  }
}
