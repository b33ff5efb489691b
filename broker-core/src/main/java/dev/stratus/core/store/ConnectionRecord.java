package dev.stratus.core.store;

import dev.stratus.codec.MqttVersion;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.Message;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A live network connection. Before its CONNECT is accepted {@code clientId} and {@code version}
 * are null. Topic alias maps and the keepalive deadline are kept by the {@link ConnectionStore}
 * next to this record, since they change often.
 *
 * @param edge the edge holding the socket, e.g. {@code bridge-1a2b/tcp}
 * @param keepAliveSeconds the keepalive in force (the server's when it overrode the client's)
 * @param will the will message, with its delay in {@code willDelaySeconds}, or null
 * @param sessionExpirySeconds the session expiry interval in force
 * @param receiveMaximum the client's Receive Maximum: outbound QoS 1/2 window [MQTT-3.3.4-9]
 * @param maximumPacketSize the client's Maximum Packet Size [MQTT-3.1.2-24], or {@code
 *     Long.MAX_VALUE}
 * @param topicAliasMaximum the client's Topic Alias Maximum: outbound aliases allowed
 * @param certificateSubject the subject of a verified TLS client certificate, or null
 * @param username the principal it authenticated as (the authenticator's user name, which for a
 *     token or certificate client differs from the CONNECT's), or null when anonymous; the
 *     authorizer and the takeover check use it
 * @param roles the principal's roles, for role ACL rules
 * @param bearerToken a token the edge received with the connection (API Gateway connect query),
 *     kept only until CONNECT is judged; null once connected
 */
public record ConnectionRecord(
    ConnectionId id,
    String edge,
    String remoteAddress,
    String certificateSubject,
    Instant openedAt,
    String clientId,
    MqttVersion version,
    int keepAliveSeconds,
    Message will,
    long willDelaySeconds,
    long sessionExpirySeconds,
    int receiveMaximum,
    long maximumPacketSize,
    int topicAliasMaximum,
    String username,
    Set<String> roles,
    String bearerToken) {
  public ConnectionRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(edge, "edge");
    Objects.requireNonNull(openedAt, "openedAt");
    roles = roles == null ? Set.of() : Set.copyOf(roles);
  }

  /** A connection that sent no CONNECT yet. */
  public static ConnectionRecord opened(
      ConnectionId id, String edge, String remoteAddress, String certificateSubject, Instant at) {
    return opened(id, edge, remoteAddress, certificateSubject, null, at);
  }

  /** A connection that sent no CONNECT yet, with a bearer token the edge received. */
  public static ConnectionRecord opened(
      ConnectionId id,
      String edge,
      String remoteAddress,
      String certificateSubject,
      String bearerToken,
      Instant at) {
    return new ConnectionRecord(
        id,
        edge,
        remoteAddress,
        certificateSubject,
        at,
        null,
        null,
        0,
        null,
        0,
        0,
        65_535,
        Long.MAX_VALUE,
        0,
        null,
        Set.of(),
        bearerToken);
  }

  public boolean isConnected() {
    return clientId != null;
  }

  public ConnectionRecord withoutWill() {
    return new ConnectionRecord(
        id,
        edge,
        remoteAddress,
        certificateSubject,
        openedAt,
        clientId,
        version,
        keepAliveSeconds,
        null,
        0,
        sessionExpirySeconds,
        receiveMaximum,
        maximumPacketSize,
        topicAliasMaximum,
        username,
        roles,
        bearerToken);
  }

  public ConnectionRecord withSessionExpiry(long seconds) {
    return new ConnectionRecord(
        id,
        edge,
        remoteAddress,
        certificateSubject,
        openedAt,
        clientId,
        version,
        keepAliveSeconds,
        will,
        willDelaySeconds,
        seconds,
        receiveMaximum,
        maximumPacketSize,
        topicAliasMaximum,
        username,
        roles,
        bearerToken);
  }
}
