package dev.stratus.core;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Limits and defaults of the engine. {@link #defaults()} gives the documented defaults (see
 * docs/engine.md); change one with the {@code with...} methods.
 *
 * @param developmentMode allows {@link dev.stratus.core.auth.Authenticator#ALLOW_ALL} and {@link
 *     dev.stratus.core.auth.Authorizer#ALLOW_ALL}; never in production
 * @param maximumPacketSize the largest packet the server accepts, announced to v5 clients; the edge
 *     gives the same number to its {@code Framer}
 * @param receiveMaximum inbound QoS 2 messages a client may have unreleased [MQTT-3.3.4-7]; one
 *     more is a protocol error 0x93
 * @param v3OutboundWindow outbound QoS 1/2 messages in flight for 3.1/3.1.1 clients, which announce
 *     no Receive Maximum
 * @param maxQueuedMessages the cap of a client's offline queue; beyond it new messages are dropped
 *     and counted
 * @param maxSubscriptionsPerClient beyond it SUBACK says Quota exceeded (0x97)
 * @param maxTopicLevels the deepest topic name or filter accepted
 * @param topicAliasMaximum inbound topic aliases per v5 connection
 * @param maxKeepAliveSeconds the largest keepalive a v5 client may use; above it (or 0) the server
 *     sends its own Server Keep Alive [MQTT-3.2.2-21]; 0 means no override
 * @param abandonedSessionExpiry how long a 3.1/3.1.1 persistent session (clean session 0), which
 *     has no expiry of its own, outlives its last connection
 * @param connectTimeout how long a connection may stay open without sending CONNECT
 * @param sysInterval how often the $SYS topics are published
 * @param maxPublishRate PUBLISH packets per second one connection may send, averaged by a token
 *     bucket of {@code publishBurst} tokens; beyond it the connection is closed (v5: DISCONNECT
 *     0x96 Message rate too high); 0 means no limit
 * @param publishBurst the bucket size: publishes a connection may send at once after being idle
 * @param maxConnectionsPerUser live connections one user name may hold in this engine's stores (see
 *     docs/security.md); one more is refused with CONNACK 0x97 Quota exceeded; 0 means no limit
 * @param maxRetainedPerUser retained topics one principal (a user name; all anonymous clients
 *     together) may own; a retained PUBLISH that would own one more is refused (v5: PUBACK/PUBREC
 *     0x97 Quota exceeded; 3.1.1: forwarded but not retained, see docs/security.md); 0 means no
 *     limit, and then owners are neither recorded nor counted
 */
public record BrokerConfig(
    boolean developmentMode,
    int maximumPacketSize,
    int receiveMaximum,
    int v3OutboundWindow,
    int maxQueuedMessages,
    int maxSubscriptionsPerClient,
    int maxTopicLevels,
    int topicAliasMaximum,
    int maxKeepAliveSeconds,
    Duration abandonedSessionExpiry,
    Duration connectTimeout,
    Duration sysInterval,
    int maxPublishRate,
    int publishBurst,
    int maxConnectionsPerUser,
    int maxRetainedPerUser) {

  public BrokerConfig {
    Objects.requireNonNull(abandonedSessionExpiry, "abandonedSessionExpiry");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(sysInterval, "sysInterval");
    if (receiveMaximum < 1 || receiveMaximum > 65_535) {
      throw new IllegalArgumentException("receiveMaximum must be 1..65535");
    }
    if (maxPublishRate > 0 && publishBurst < 1) {
      throw new IllegalArgumentException("publishBurst must be at least 1");
    }
    if (topicAliasMaximum < 0 || topicAliasMaximum > 65_535) {
      throw new IllegalArgumentException("topicAliasMaximum must be 0..65535");
    }
    if (v3OutboundWindow < 1
        || maxQueuedMessages < 0
        || maxTopicLevels < 1
        || maxPublishRate < 0
        || maxConnectionsPerUser < 0
        || maxRetainedPerUser < 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  /** Production defaults: authentication required. */
  public static BrokerConfig defaults() {
    return new BrokerConfig(
        false,
        1 << 20,
        100,
        100,
        1_000,
        100,
        32,
        10,
        0,
        Duration.ofHours(24),
        Duration.ofSeconds(10),
        Duration.ofSeconds(10),
        0,
        1_000,
        0,
        0);
  }

  /** The defaults with development mode on: anonymous clients allowed. */
  public static BrokerConfig development() {
    return defaults().withDevelopmentMode(true);
  }

  public BrokerConfig withDevelopmentMode(boolean v) {
    return edit(c -> c.developmentMode = v);
  }

  public BrokerConfig withMaximumPacketSize(int v) {
    return edit(c -> c.maximumPacketSize = v);
  }

  public BrokerConfig withReceiveMaximum(int v) {
    return edit(c -> c.receiveMaximum = v);
  }

  public BrokerConfig withV3OutboundWindow(int v) {
    return edit(c -> c.v3OutboundWindow = v);
  }

  public BrokerConfig withMaxQueuedMessages(int v) {
    return edit(c -> c.maxQueuedMessages = v);
  }

  public BrokerConfig withMaxSubscriptionsPerClient(int v) {
    return edit(c -> c.maxSubscriptionsPerClient = v);
  }

  public BrokerConfig withMaxTopicLevels(int v) {
    return edit(c -> c.maxTopicLevels = v);
  }

  public BrokerConfig withMaxKeepAliveSeconds(int v) {
    return edit(c -> c.maxKeepAliveSeconds = v);
  }

  public BrokerConfig withAbandonedSessionExpiry(Duration v) {
    return edit(c -> c.abandonedSessionExpiry = v);
  }

  /** Limits each connection to {@code perSecond} publishes on average, {@code burst} at once. */
  public BrokerConfig withMaxPublishRate(int perSecond, int burst) {
    return edit(
        c -> {
          c.maxPublishRate = perSecond;
          c.publishBurst = burst;
        });
  }

  public BrokerConfig withMaxConnectionsPerUser(int v) {
    return edit(c -> c.maxConnectionsPerUser = v);
  }

  public BrokerConfig withMaxRetainedPerUser(int v) {
    return edit(c -> c.maxRetainedPerUser = v);
  }

  /** A copy of this configuration with one change; the record's constructor validates it. */
  private BrokerConfig edit(Consumer<Draft> change) {
    Draft d = new Draft(this);
    change.accept(d);
    return d.build();
  }

  /** A mutable copy of every component, so each {@code with...} method names only its own. */
  private static final class Draft {
    boolean developmentMode;
    int maximumPacketSize;
    int receiveMaximum;
    int v3OutboundWindow;
    int maxQueuedMessages;
    int maxSubscriptionsPerClient;
    int maxTopicLevels;
    int topicAliasMaximum;
    int maxKeepAliveSeconds;
    Duration abandonedSessionExpiry;
    Duration connectTimeout;
    Duration sysInterval;
    int maxPublishRate;
    int publishBurst;
    int maxConnectionsPerUser;
    int maxRetainedPerUser;

    Draft(BrokerConfig c) {
      developmentMode = c.developmentMode;
      maximumPacketSize = c.maximumPacketSize;
      receiveMaximum = c.receiveMaximum;
      v3OutboundWindow = c.v3OutboundWindow;
      maxQueuedMessages = c.maxQueuedMessages;
      maxSubscriptionsPerClient = c.maxSubscriptionsPerClient;
      maxTopicLevels = c.maxTopicLevels;
      topicAliasMaximum = c.topicAliasMaximum;
      maxKeepAliveSeconds = c.maxKeepAliveSeconds;
      abandonedSessionExpiry = c.abandonedSessionExpiry;
      connectTimeout = c.connectTimeout;
      sysInterval = c.sysInterval;
      maxPublishRate = c.maxPublishRate;
      publishBurst = c.publishBurst;
      maxConnectionsPerUser = c.maxConnectionsPerUser;
      maxRetainedPerUser = c.maxRetainedPerUser;
    }

    BrokerConfig build() {
      return new BrokerConfig(
          developmentMode,
          maximumPacketSize,
          receiveMaximum,
          v3OutboundWindow,
          maxQueuedMessages,
          maxSubscriptionsPerClient,
          maxTopicLevels,
          topicAliasMaximum,
          maxKeepAliveSeconds,
          abandonedSessionExpiry,
          connectTimeout,
          sysInterval,
          maxPublishRate,
          publishBurst,
          maxConnectionsPerUser,
          maxRetainedPerUser);
    }
  }
}
