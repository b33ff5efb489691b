package dev.stratus.core.store;

import dev.stratus.codec.QoS;
import dev.stratus.core.Message;
import java.util.List;
import java.util.Objects;

/**
 * One QoS 1 or 2 message sent to a client and not yet acknowledged: the per-recipient delivery
 * state of a shared {@link Message}.
 *
 * @param packetId the packet id it was sent with, 1..65535
 * @param message the message, shared with other recipients
 * @param qos the QoS it was sent with (the minimum of the published and the granted QoS)
 * @param retain the RETAIN flag it was sent with
 * @param subscriptionIds the subscription identifiers it was sent with (MQTT 5)
 * @param released true once the client's PUBREC arrived and PUBREL was sent (QoS 2 only): it is
 *     then the PUBREL, not the PUBLISH, that is resent on reconnect [MQTT-4.4.0-1]
 */
public record OutboundFlight(
    int packetId,
    Message message,
    QoS qos,
    boolean retain,
    List<Integer> subscriptionIds,
    boolean released) {
  public OutboundFlight {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(qos, "qos");
    subscriptionIds = List.copyOf(subscriptionIds);
  }

  public OutboundFlight withPacketId(int id) {
    return new OutboundFlight(id, message, qos, retain, subscriptionIds, released);
  }

  public OutboundFlight asReleased() {
    return new OutboundFlight(packetId, message, qos, retain, subscriptionIds, true);
  }
}
