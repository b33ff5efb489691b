package dev.stratus.core.store;

import dev.stratus.codec.TopicName;
import dev.stratus.core.ConnectionId;
import java.time.Instant;
import java.util.List;

/**
 * Live connections: the record of each, the client id → connection binding (one live connection per
 * client id [MQTT-3.1.4-3]), keepalive deadlines and the per-connection topic alias maps (never
 * carried to another connection [MQTT-3.3.2-7]). Implementations are thread-safe.
 */
public interface ConnectionStore {

  /** Creates or replaces the record of {@code record.id()}. */
  void put(ConnectionRecord record);

  /** The record, or null when the connection is unknown or gone. */
  ConnectionRecord get(ConnectionId id);

  /**
   * Binds the client id to this connection and returns the connection it was bound to before (the
   * one to take over), or null. Atomic: of two concurrent binds, exactly one sees the other.
   */
  ConnectionId bind(String clientId, ConnectionId id);

  /** The connection bound to this client id, or null when the client is offline. */
  ConnectionId connectionOf(String clientId);

  /**
   * Removes the record, its aliases and deadline, and the client id binding if it still names this
   * connection. Returns the removed record, or null if there was none (so only one caller handles a
   * loss).
   */
  ConnectionRecord remove(ConnectionId id);

  /** Sets the instant after which the connection is dead for lack of traffic; null for none. */
  void setDeadline(ConnectionId id, Instant deadline);

  /** Connections whose deadline is at or before {@code now}. */
  List<ConnectionRecord> overdue(Instant now);

  /** The topic an inbound alias stands for on this connection, or null. */
  TopicName inboundAlias(ConnectionId id, int alias);

  void putInboundAlias(ConnectionId id, int alias, TopicName topic);

  /**
   * The outbound alias for {@code topic} on this connection: an existing one ({@code known} true:
   * send an empty topic name), a new one taken from 1..{@code maximum} ({@code known} false: send
   * the topic and the alias), or null when every alias is taken.
   */
  OutboundAlias outboundAlias(ConnectionId id, TopicName topic, int maximum);

  /** A topic alias the server uses towards a client. */
  record OutboundAlias(int alias, boolean known) {}

  /** The number of connections that completed CONNECT. */
  int connectedCount();

  /**
   * Connection records in an order stable across calls (the admin API), at most {@code limit}
   * (1..1000) per page, starting after {@code cursor} (null for the first page). Connections that
   * open or close while a listing is paged through may or may not appear.
   */
  Page<ConnectionRecord> list(String cursor, int limit);

  /**
   * Adds {@code delta} to the number of live connections counted for a user name and returns the
   * new count: one atomic counter per user, so that a per-user connection limit costs one write per
   * CONNECT and per end of connection however many connections there are. The engine counts only
   * while {@code BrokerConfig.maxConnectionsPerUser} is set.
   */
  long addUserConnections(String username, int delta);
}
