package dev.stratus.core.store;

import dev.stratus.codec.MqttVersion;
import dev.stratus.core.Message;
import java.time.Instant;
import java.util.Objects;

/**
 * The session state of one client id that outlives a network connection [MQTT-4.1.0-1]. Its
 * subscriptions, in-flight and queued messages live in their own stores, keyed by the client id.
 *
 * @param clientId the client identifier
 * @param version the protocol version of the last connection, to encode queued messages
 * @param expirySeconds the session expiry interval: 0 ends the session when the connection closes,
 *     {@link #NEVER} keeps it forever [MQTT-3.1.2-23]
 * @param expiresAt when the session is deleted; null while a connection holds it
 * @param pendingWill a will waiting for its delay to pass [MQTT-3.1.3-9], or null
 * @param willAt when {@code pendingWill} is published; null when there is none
 */
public record Session(
    String clientId,
    MqttVersion version,
    long expirySeconds,
    Instant expiresAt,
    Message pendingWill,
    Instant willAt) {
  /** Session Expiry Interval 0xFFFFFFFF: the session does not expire [MQTT-3.1.2-23]. */
  public static final long NEVER = 0xFFFF_FFFFL;

  public Session {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(version, "version");
  }

  /** A session held by a live connection. */
  public static Session connected(String clientId, MqttVersion version, long expirySeconds) {
    return new Session(clientId, version, expirySeconds, null, null, null);
  }

  public boolean isConnected() {
    return expiresAt == null;
  }

  public Session withConnection(MqttVersion newVersion, long newExpirySeconds) {
    return new Session(clientId, newVersion, newExpirySeconds, null, null, null);
  }

  public Session disconnected(Instant at, Message will, Instant willTime) {
    Instant expiry = expirySeconds == NEVER ? Instant.MAX : at.plusSeconds(expirySeconds);
    return new Session(clientId, version, expirySeconds, expiry, will, willTime);
  }

  public Session withoutWill() {
    return new Session(clientId, version, expirySeconds, expiresAt, null, null);
  }
}
