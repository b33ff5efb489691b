package dev.stratus.core;

import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.Packet;

/**
 * What a transport tells the engine. The transport frames and decodes bytes (learning the protocol
 * version from the CONNECT it decodes) and calls these methods; for one connection the calls come
 * in order, from one thread at a time. Different connections call concurrently.
 */
public interface Inbound {

  /** A network connection was accepted; no MQTT packet has arrived yet. */
  void connectionOpened(ConnectionInfo info);

  /** A whole, valid packet arrived. */
  void packetReceived(ConnectionId connection, Packet packet);

  /**
   * The bytes could not be framed or decoded. The engine answers as the spec says (a v5 DISCONNECT
   * with the exception's reason code after CONNACK, a plain close otherwise), publishes the will
   * [MQTT-3.1.2-10], and closes the connection through {@link Outbound#close}.
   */
  void decodeFailed(ConnectionId connection, MqttDecodeException error);

  /** The network connection is gone (closed by the peer, reset, or closed by the edge). */
  void connectionLost(ConnectionId connection);
}
