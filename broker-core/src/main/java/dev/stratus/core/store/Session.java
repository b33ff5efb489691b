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
 * @param version the protocol version of the last connection (informational: messages are encoded
 *     for the version of the connection that receives them)
 * @param expirySeconds the session expiry interval: 0 ends the session when the connection closes,
 *     {@link #NEVER} keeps it forever [MQTT-3.1.2-23]
 * @param expiresAt when the session is deleted; null while a connection holds it, {@link
 *     Instant#MAX} for a session that never expires
 * @param pendingWill a will waiting for its delay to pass [MQTT-3.1.3-9], or null
 * @param willAt when {@code pendingWill} is published; null when there is none
 * @param owner the principal that holds the session ({@link Owners#of}): only it may connect with
 *     this client id while the session lasts (docs/security.md); null for a session recorded before
 *     owners were, which anyone may resume
 */
public record Session(
    String clientId,
    MqttVersion version,
    long expirySeconds,
    Instant expiresAt,
    Message pendingWill,
    Instant willAt,
    String owner) {
  /** Session Expiry Interval 0xFFFFFFFF: the session does not expire [MQTT-3.1.2-23]. */
  public static final long NEVER = 0xFFFF_FFFFL;

  public Session {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(version, "version");
  }

  /** A session without a recorded owner. */
  public Session(
      String clientId,
      MqttVersion version,
      long expirySeconds,
      Instant expiresAt,
      Message pendingWill,
      Instant willAt) {
    this(clientId, version, expirySeconds, expiresAt, pendingWill, willAt, null);
  }

  /** A session held by a live connection. */
  public static Session connected(String clientId, MqttVersion version, long expirySeconds) {
    return new Session(clientId, version, expirySeconds, null, null, null, null);
  }

  /** A session held by a live connection of {@code owner} ({@link Owners#of}). */
  public static Session connected(
      String clientId, MqttVersion version, long expirySeconds, String owner) {
    return new Session(clientId, version, expirySeconds, null, null, null, owner);
  }

  /** Whether a principal other than {@code owner} holds this session. */
  public boolean ownedByOtherThan(String owner) {
    return this.owner != null && !this.owner.equals(owner);
  }

  public boolean isConnected() {
    return expiresAt == null;
  }

  public Session withConnection(MqttVersion newVersion, long newExpirySeconds) {
    return new Session(clientId, newVersion, newExpirySeconds, null, null, null, owner);
  }

  public Session disconnected(Instant at, Message will, Instant willTime) {
    Instant expiry = expirySeconds == NEVER ? Instant.MAX : at.plusSeconds(expirySeconds);
    return new Session(clientId, version, expirySeconds, expiry, will, willTime, owner);
  }

  public Session withoutWill() {
    return new Session(clientId, version, expirySeconds, expiresAt, null, null, owner);
  }
}
