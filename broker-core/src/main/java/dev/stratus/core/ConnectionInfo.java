package dev.stratus.core;

import java.util.Objects;

/**
 * What a transport knows about a connection when it opens it.
 *
 * @param id the connection
 * @param edge the edge that holds it, e.g. {@code bridge-1a2b/tcp}; fan-out groups deliveries by it
 * @param remoteAddress the peer, for logs and per-address limits
 * @param certificateSubject the subject of a verified TLS client certificate, or null
 */
public record ConnectionInfo(
    ConnectionId id, String edge, String remoteAddress, String certificateSubject) {
  public ConnectionInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(edge, "edge");
    Objects.requireNonNull(remoteAddress, "remoteAddress");
  }
}
