package dev.stratus.core.store;

import java.util.List;

/**
 * Per client id: outbound QoS 1/2 messages awaiting acknowledgement (with packet id allocation),
 * and the packet ids of inbound QoS 2 messages received but not yet released (the exactly-once
 * state of [MQTT-4.3.3-10]). Implementations are thread-safe.
 */
public interface InFlightStore {

  /**
   * Stores {@code flight} under a packet id that no unacknowledged outbound message of this client
   * uses [MQTT-2.2.1-3], and returns that id (1..65535); the id in {@code flight} is ignored.
   * Returns 0 when all 65,535 ids are in use.
   */
  int allocate(String clientId, OutboundFlight flight);

  /** The outbound flight with this packet id, or null. */
  OutboundFlight get(String clientId, int packetId);

  /** Replaces the flight with the same packet id (PUBREC received); false if there is none. */
  boolean replace(String clientId, OutboundFlight flight);

  /** Removes and returns the flight with this packet id, or null. */
  OutboundFlight remove(String clientId, int packetId);

  /** The client's outbound flights in the order they were allocated [MQTT-4.6.0-1]. */
  List<OutboundFlight> outbound(String clientId);

  int outboundCount(String clientId);

  /** Records an inbound QoS 2 packet id; false if it was already recorded (a duplicate). */
  boolean addInbound(String clientId, int packetId);

  /** Forgets an inbound QoS 2 packet id (PUBREL received); false if it was not recorded. */
  boolean removeInbound(String clientId, int packetId);

  int inboundCount(String clientId);

  /** Forgets every outbound and inbound entry of the client (its session ended). */
  void clear(String clientId);
}
