package dev.stratus.core;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import java.time.Instant;
import java.util.Objects;

/**
 * An application message as the broker keeps it: stored once, shared by every recipient. What
 * differs per recipient (packet id, granted QoS, DUP, retain flag as sent, subscription
 * identifiers, topic alias) lives in {@link dev.stratus.core.store.OutboundFlight} and {@link
 * dev.stratus.core.store.QueuedDelivery}, never here.
 *
 * @param topic the topic name (never the empty alias-only name)
 * @param payload the payload, shared, never copied per subscriber
 * @param qos the QoS it was published with
 * @param retain the RETAIN flag it was published with
 * @param properties the MQTT 5 properties forwarded unaltered [MQTT-3.3.2-17]..[MQTT-3.3.2-20]:
 *     payload format, content type, response topic, correlation data, user properties. Never a
 *     topic alias or subscription identifier, and the message expiry interval is replaced by {@code
 *     expiresAt}.
 * @param originClientId the publishing client, for No Local [MQTT-3.8.3-3]; null for the broker's
 *     own messages ($SYS)
 * @param expiresAt when the message expires [MQTT-3.3.2-5], or null if it never does
 */
public record Message(
    TopicName topic,
    Bytes payload,
    QoS qos,
    boolean retain,
    Properties properties,
    String originClientId,
    Instant expiresAt) {
  public Message {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(qos, "qos");
    Objects.requireNonNull(properties, "properties");
  }

  public boolean isExpired(Instant now) {
    return expiresAt != null && !now.isBefore(expiresAt);
  }

  /**
   * The whole seconds left before expiry, rounded up so that a message is never sent with 0, or
   * null when the message never expires. The receiver gets the remaining lifetime [MQTT-3.3.2-6].
   */
  public Long remainingExpirySeconds(Instant now) {
    if (expiresAt == null) {
      return null;
    }
    long millis = expiresAt.toEpochMilli() - now.toEpochMilli();
    return Math.max(1, (millis + 999) / 1000);
  }

  public Message withRetain(boolean value) {
    return value == retain
        ? this
        : new Message(topic, payload, qos, value, properties, originClientId, expiresAt);
  }
}
