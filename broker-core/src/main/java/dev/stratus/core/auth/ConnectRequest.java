package dev.stratus.core.auth;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;

/**
 * What an authenticator sees of a CONNECT and its connection.
 *
 * @param username null when absent
 * @param password null when absent
 * @param remoteAddress the peer as the edge reported it ({@code host:port}), for per-address
 *     failure counting
 * @param certificateSubject the user name an edge derived from a verified TLS client certificate
 *     (the bridge maps a configured certificate field to it), or null
 * @param bearerToken a token the edge received outside the CONNECT packet, e.g. the API Gateway
 *     edge's {@code ?token=} connect query parameter, or null
 */
public record ConnectRequest(
    String clientId,
    MqttVersion version,
    String username,
    Bytes password,
    String remoteAddress,
    String certificateSubject,
    String bearerToken) {

  public ConnectRequest(
      String clientId,
      MqttVersion version,
      String username,
      Bytes password,
      String remoteAddress,
      String certificateSubject) {
    this(clientId, version, username, password, remoteAddress, certificateSubject, null);
  }
}
