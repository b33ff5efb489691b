package dev.stratus.core;

import java.util.Objects;

/**
 * What a transport knows about a connection when it opens it.
 *
 * @param id the connection
 * @param edge the edge that holds it, e.g. {@code bridge-1a2b/tcp}; fan-out groups deliveries by it
 * @param remoteAddress the peer, for logs and per-address limits
 * @param certificateSubject the user name derived from a verified TLS client certificate, or null
 * @param bearerToken a token received with the connection rather than in CONNECT (the API Gateway
 *     edge's {@code token} connect query parameter), or null; see docs/security.md
 */
public record ConnectionInfo(
    ConnectionId id,
    String edge,
    String remoteAddress,
    String certificateSubject,
    String bearerToken) {
  public ConnectionInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(edge, "edge");
    Objects.requireNonNull(remoteAddress, "remoteAddress");
  }

  public ConnectionInfo(
      ConnectionId id, String edge, String remoteAddress, String certificateSubject) {
    this(id, edge, remoteAddress, certificateSubject, null);
  }
}
