package dev.stratus.bridge;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * How the bridge listens and how much it buffers.
 *
 * @param host the address every listener binds
 * @param tcpPort plain MQTT; 0 picks a free port, negative disables the listener
 * @param tlsPort MQTT over TLS; needs {@code tls}; 0 picks a free port, negative disables
 * @param wsPort MQTT over WebSocket at {@code /mqtt}; 0 picks a free port, negative disables
 * @param tls the server's TLS context, or null when TLS is off
 * @param edgeId names this task in connection ids and in {@code ConnectionInfo.edge()}
 * @param maximumPacketSize the largest inbound packet accepted; checked before it is buffered
 * @param outboundSoftLimit queued outbound bytes above which QoS 0 PUBLISH packets are dropped
 * @param outboundHardLimit queued outbound bytes above which the connection is closed
 * @param connectTimeout how long a new connection may take for its TLS or WebSocket handshake and
 *     its CONNECT packet before it is closed
 * @param closeGrace how long a requested close waits for queued bytes to be written
 * @param clientCertificates whether the TLS listener asks for client certificates (the {@code tls}
 *     context then trusts only the client CAs) and which field names the user
 */
public record BridgeConfig(
    String host,
    int tcpPort,
    int tlsPort,
    int wsPort,
    SSLContext tls,
    String edgeId,
    int maximumPacketSize,
    int outboundSoftLimit,
    int outboundHardLimit,
    Duration connectTimeout,
    Duration closeGrace,
    ClientCertificates clientCertificates) {

  /** 1 MiB: large enough for typical IoT payloads, small enough that a hostile length is cheap. */
  public static final int DEFAULT_MAXIMUM_PACKET_SIZE = 1 << 20;

  /**
   * 1 MiB of QoS 0 backlog per connection (about 15,000 small messages) before QoS 0 to it is
   * dropped: a subscriber that reads rides out a burst. Only a connection that falls behind holds
   * it; an idle one holds no queue at all.
   */
  public static final int DEFAULT_OUTBOUND_SOFT_LIMIT = 1 << 20;

  /**
   * 8 MiB: a client this far behind on what may not be dropped (QoS 1/2, acknowledgements) is
   * closed; its session keeps its QoS 1/2 messages for when it comes back.
   */
  public static final int DEFAULT_OUTBOUND_HARD_LIMIT = 8 << 20;

  public BridgeConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(edgeId, "edgeId");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(closeGrace, "closeGrace");
    Objects.requireNonNull(clientCertificates, "clientCertificates");
    if (tlsPort >= 0 && tls == null) {
      throw new IllegalArgumentException("the TLS listener needs a certificate and a key");
    }
    if (maximumPacketSize < 2) {
      throw new IllegalArgumentException("maximumPacketSize must be at least 2");
    }
    if (outboundSoftLimit <= 0 || outboundHardLimit < outboundSoftLimit) {
      throw new IllegalArgumentException("need 0 < outboundSoftLimit <= outboundHardLimit");
    }
  }

  /** Loopback, free ports for TCP and WebSocket, TLS off, default limits: for tests. */
  public static BridgeConfig loopbackDefaults() {
    return new BridgeConfig(
        "127.0.0.1",
        0,
        -1,
        0,
        null,
        "bridge-test",
        DEFAULT_MAXIMUM_PACKET_SIZE,
        DEFAULT_OUTBOUND_SOFT_LIMIT,
        DEFAULT_OUTBOUND_HARD_LIMIT,
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        ClientCertificates.NONE);
  }

  public BridgeConfig withPorts(int tcp, int tlsPort, int ws) {
    return edit(
        d -> {
          d.tcpPort = tcp;
          d.tlsPort = tlsPort;
          d.wsPort = ws;
        });
  }

  public BridgeConfig withTls(SSLContext context, int port) {
    return edit(
        d -> {
          d.tls = context;
          d.tlsPort = port;
        });
  }

  /** TLS on {@code port} asking for client certificates; {@code context} trusts their CAs. */
  public BridgeConfig withClientCertificates(
      SSLContext context, int port, ClientCertificates certificates) {
    return edit(
        d -> {
          d.tls = context;
          d.tlsPort = port;
          d.clientCertificates = certificates;
        });
  }

  public BridgeConfig withOutboundLimits(int soft, int hard) {
    return edit(
        d -> {
          d.outboundSoftLimit = soft;
          d.outboundHardLimit = hard;
        });
  }

  public BridgeConfig withMaximumPacketSize(int size) {
    return edit(d -> d.maximumPacketSize = size);
  }

  public BridgeConfig withConnectTimeout(Duration timeout) {
    return edit(d -> d.connectTimeout = timeout);
  }

  /** A copy of this configuration with some changes; the record's constructor validates it. */
  private BridgeConfig edit(Consumer<Draft> change) {
    Draft d = new Draft(this);
    change.accept(d);
    return d.build();
  }

  /** A mutable copy of every component, so each {@code with...} method names only its own. */
  private static final class Draft {
    String host;
    int tcpPort;
    int tlsPort;
    int wsPort;
    SSLContext tls;
    String edgeId;
    int maximumPacketSize;
    int outboundSoftLimit;
    int outboundHardLimit;
    Duration connectTimeout;
    Duration closeGrace;
    ClientCertificates clientCertificates;

    Draft(BridgeConfig c) {
      host = c.host;
      tcpPort = c.tcpPort;
      tlsPort = c.tlsPort;
      wsPort = c.wsPort;
      tls = c.tls;
      edgeId = c.edgeId;
      maximumPacketSize = c.maximumPacketSize;
      outboundSoftLimit = c.outboundSoftLimit;
      outboundHardLimit = c.outboundHardLimit;
      connectTimeout = c.connectTimeout;
      closeGrace = c.closeGrace;
      clientCertificates = c.clientCertificates;
    }

    BridgeConfig build() {
      return new BridgeConfig(
          host,
          tcpPort,
          tlsPort,
          wsPort,
          tls,
          edgeId,
          maximumPacketSize,
          outboundSoftLimit,
          outboundHardLimit,
          connectTimeout,
          closeGrace,
          clientCertificates);
    }
  }
}
