package dev.stratus.core;

import dev.stratus.codec.Auth;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.PacketType;
import dev.stratus.codec.PingReq;
import dev.stratus.codec.PingResp;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubComp;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.PubRel;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.codec.UnsubAck;
import dev.stratus.codec.Unsubscribe;
import dev.stratus.codec.Will;
import dev.stratus.core.auth.AuthResult;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.auth.ConnectRequest;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.ConnectionStore;
import dev.stratus.core.store.OutboundFlight;
import dev.stratus.core.store.Owners;
import dev.stratus.core.store.QueuedDelivery;
import dev.stratus.core.store.Session;
import dev.stratus.core.store.StoreException;
import dev.stratus.core.store.Stores;
import dev.stratus.core.store.Subscription;
import dev.stratus.core.store.SubscriptionMatch;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The MQTT engine: every protocol rule of MQTT 3.1, 3.1.1 and 5.0, driven by {@link Inbound} events
 * and {@link #runTimers()}, producing effects through {@link Outbound} and the store ports of
 * {@link Stores}. Everything the protocol needs from one event to the next is in the stores, so a
 * stateless edge (a Lambda invocation) can build a {@code Broker} per invocation on shared stores;
 * the fields of this object hold only configuration, statistics and the shared subscription
 * round-robin cursor.
 *
 * <p>Wiring an edge with in-memory stores and anonymous access (development mode):
 *
 * <pre>{@code
 * Broker broker = new Broker(BrokerConfig.development(), Stores.inMemory(), outbound,
 *     InstantSource.system(), Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL);
 * scheduler.scheduleAtFixedRate(broker::runTimers, 1, 1, TimeUnit.SECONDS);
 * // then, per connection: broker.connectionOpened(info); broker.packetReceived(id, packet); ...
 * }</pre>
 *
 * <p>Threading: for one connection, {@link Inbound} calls come in order, one at a time; different
 * connections call concurrently, and {@link #runTimers()} may run at the same time. State of one
 * client id is changed under that client's lock (a stripe of a fixed lock array); a thread holds at
 * most one such lock at a time (routing a message to subscribers happens with no lock held), so
 * there is no lock ordering to get wrong and no broker-wide lock on the publish path.
 */
public final class Broker implements Inbound {
  private static final System.Logger LOG = System.getLogger(Broker.class.getName());
  private static final int LOCK_STRIPES = 1024;

  private final BrokerConfig config;
  private final Stores stores;
  private final ConnectionStore connections;
  private final Outbound outbound;
  private final InstantSource clock;
  private final Authenticator authenticator;
  private final Authorizer authorizer;
  private final ReentrantLock[] locks = new ReentrantLock[LOCK_STRIPES];
  private final ConcurrentHashMap<String, AtomicInteger> sharedCursors = new ConcurrentHashMap<>();
  private final Instant startedAt;
  private volatile Instant nextSysUpdate;

  private final LongAdder messagesReceived = new LongAdder();
  private final LongAdder messagesSent = new LongAdder();
  private final LongAdder messagesDropped = new LongAdder();
  private final LongAdder connectsRefused = new LongAdder();
  private final LongAdder publishesDenied = new LongAdder();
  private final LongAdder subscriptionsDenied = new LongAdder();
  private final LongAdder deliveriesDenied = new LongAdder();
  private final LongAdder rateLimited = new LongAdder();
  private final LongAdder retainedRefused = new LongAdder();
  private final boolean checksReceive;
  private final ConcurrentHashMap<ConnectionId, TokenBucket> publishBuckets =
      new ConcurrentHashMap<>();

  public Broker(
      BrokerConfig config,
      Stores stores,
      Outbound outbound,
      InstantSource clock,
      Authenticator authenticator,
      Authorizer authorizer) {
    this.config = Objects.requireNonNull(config, "config");
    this.stores = Objects.requireNonNull(stores, "stores");
    this.connections = stores.connections();
    this.outbound = Objects.requireNonNull(outbound, "outbound");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    this.checksReceive = authorizer.checksReceive();
    if (!config.developmentMode()
        && (authenticator == Authenticator.ALLOW_ALL || authorizer == Authorizer.ALLOW_ALL)) {
      throw new IllegalArgumentException(
          "allow-all authentication/authorization needs BrokerConfig.developmentMode()");
    }
    for (int i = 0; i < LOCK_STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
    this.startedAt = clock.instant();
    this.nextSysUpdate = startedAt;
  }

  public BrokerConfig config() {
    return config;
  }

  /**
   * Counters since this engine started, as published under {@code $SYS/broker/}.
   *
   * @param connectsRefused CONNECTs answered with a refusing CONNACK (credentials, ACL on the will,
   *     takeover by another user, limits)
   * @param publishesDenied PUBLISH packets and wills refused by the authorizer
   * @param subscriptionsDenied topic filters refused by the authorizer (SUBACK 0x87)
   * @param deliveriesDenied messages not delivered for lack of the receive right
   * @param rateLimited connections closed for exceeding the publish rate
   * @param retainedRefused retained messages not stored because their user owned {@code
   *     maxRetainedPerUser} retained topics already
   */
  public record Stats(
      long messagesReceived,
      long messagesSent,
      long messagesDropped,
      int clientsConnected,
      long connectsRefused,
      long publishesDenied,
      long subscriptionsDenied,
      long deliveriesDenied,
      long rateLimited,
      long retainedRefused) {
    public Stats(
        long messagesReceived,
        long messagesSent,
        long messagesDropped,
        int clientsConnected,
        long connectsRefused,
        long publishesDenied,
        long subscriptionsDenied,
        long deliveriesDenied,
        long rateLimited) {
      this(
          messagesReceived,
          messagesSent,
          messagesDropped,
          clientsConnected,
          connectsRefused,
          publishesDenied,
          subscriptionsDenied,
          deliveriesDenied,
          rateLimited,
          0);
    }
  }

  public Stats stats() {
    return new Stats(
        messagesReceived.sum(),
        messagesSent.sum(),
        messagesDropped.sum(),
        connections.connectedCount(),
        connectsRefused.sum(),
        publishesDenied.sum(),
        subscriptionsDenied.sum(),
        deliveriesDenied.sum(),
        rateLimited.sum(),
        retainedRefused.sum());
  }

  private ReentrantLock lockOf(String clientId) {
    return locks[(clientId.hashCode() & 0x7fff_ffff) % LOCK_STRIPES];
  }

  // ---------------------------------------------------------------------------------------------
  // Inbound events

  @Override
  public void connectionOpened(ConnectionInfo info) {
    Instant now = clock.instant();
    connections.put(
        ConnectionRecord.opened(
            info.id(),
            info.edge(),
            info.remoteAddress(),
            info.certificateSubject(),
            info.bearerToken(),
            now));
    // a connection that never sends CONNECT is closed after connectTimeout, by runTimers()
    connections.setDeadline(info.id(), now.plus(config.connectTimeout()));
  }

  @Override
  public void packetReceived(ConnectionId id, Packet packet) {
    ConnectionRecord rec = connections.get(id);
    if (rec == null) {
      // already closed by the engine (takeover, keepalive, error); the edge will notice
      outbound.close(id);
      return;
    }
    if (!rec.isConnected()) {
      if (packet instanceof Connect connect) {
        onConnect(rec, connect);
      } else {
        // [MQTT-3.1.0-1] the first packet must be CONNECT: close without CONNACK
        dropUnconnected(id);
      }
      return;
    }
    Instant now = clock.instant();
    if (rec.keepAliveSeconds() > 0) {
      connections.setDeadline(id, keepAliveDeadline(now, rec.keepAliveSeconds()));
    }
    try {
      dispatch(rec, packet, now);
    } catch (StoreException e) {
      storeFailed(rec, e);
    }
  }

  private void dispatch(ConnectionRecord rec, Packet packet, Instant now) {
    switch (packet) {
      case Connect c -> protocolError(rec, ReasonCode.PROTOCOL_ERROR, "[MQTT-3.1.0-2]");
      case Publish p -> onPublish(rec, p, now);
      case PubAck p -> onPubAck(rec, p);
      case PubRec p -> onPubRec(rec, p);
      case PubRel p -> onPubRel(rec, p);
      case PubComp p -> onPubComp(rec, p);
      case Subscribe s -> onSubscribe(rec, s, now);
      case Unsubscribe u -> onUnsubscribe(rec, u);
      case PingReq p -> send(rec, PingResp.INSTANCE); // [MQTT-3.12.4-1]
      case Disconnect d -> onDisconnect(rec, d);
      // no enhanced authentication method was accepted, so AUTH is a protocol error [MQTT-4.12.0-1]
      case Auth a -> protocolError(rec, ReasonCode.PROTOCOL_ERROR, "unexpected AUTH");
      case ConnAck c -> protocolError(rec, ReasonCode.PROTOCOL_ERROR, "CONNACK from a client");
      case SubAck s -> protocolError(rec, ReasonCode.PROTOCOL_ERROR, "SUBACK from a client");
      case UnsubAck u -> protocolError(rec, ReasonCode.PROTOCOL_ERROR, "UNSUBACK from a client");
      case PingResp p -> protocolError(rec, ReasonCode.PROTOCOL_ERROR, "PINGRESP from a client");
    }
  }

  /**
   * A store write failed while a packet was handled, so whatever acknowledgement that packet was
   * owed has not been sent: a QoS 1/2 PUBLISH that was not stored must not get its PUBACK or
   * PUBREC. The connection is closed (v5: DISCONNECT 0x80), which is the only way to make a client
   * resend an unacknowledged PUBLISH: it resends on reconnect [MQTT-4.4.0-1]. Closing itself
   * touches the stores and may fail as well; the socket is closed in any case.
   */
  private void storeFailed(ConnectionRecord rec, StoreException e) {
    LOG.log(System.Logger.Level.WARNING, "store failed for {0}, closing it: {1}", rec.id(), e);
    try {
      protocolError(rec, ReasonCode.UNSPECIFIED_ERROR, "store failed");
    } catch (StoreException again) {
      outbound.close(rec.id(), rec.edge());
    }
  }

  @Override
  public void decodeFailed(ConnectionId id, MqttDecodeException error) {
    ConnectionRecord rec = connections.get(id);
    if (rec == null) {
      outbound.close(id);
      return;
    }
    if (!rec.isConnected()) {
      MqttVersion v = error.connectVersion();
      if (v != null && v.isV5()) {
        // MQTT 5.0 §3.1.4: "If the Server does not accept the CONNECT [...] the Server MAY send a
        // CONNACK with a Reason Code of 0x80 or greater" before closing; [MQTT-3.2.2-6] session
        // present 0. Only a code a CONNACK may carry; any other decode failure is malformed.
        ReasonCode reason =
            error.reasonCode().isError() && error.reasonCode().allowedIn(PacketType.CONNACK)
                ? error.reasonCode()
                : ReasonCode.MALFORMED_PACKET;
        outbound.send(
            id,
            rec.edge(),
            PacketEncoder.encode(new ConnAck(false, reason, Properties.NONE), MqttVersion.V5));
      } else if (error.reasonCode() == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION) {
        // [MQTT-3.1.2-2] answer with return code 1, in the 3.1.1 format every version can read
        outbound.send(
            id,
            rec.edge(),
            PacketEncoder.encode(
                new ConnAck(false, ReasonCode.UNSUPPORTED_PROTOCOL_VERSION, Properties.NONE),
                MqttVersion.V3_1_1));
      }
      dropUnconnected(id);
      return;
    }
    ReasonCode reason =
        error.reasonCode().allowedIn(PacketType.DISCONNECT)
            ? error.reasonCode()
            : ReasonCode.MALFORMED_PACKET;
    protocolError(rec, reason, error.getMessage());
  }

  @Override
  public void connectionLost(ConnectionId id) {
    ConnectionRecord rec = removeConnection(id);
    if (rec == null || !rec.isConnected()) {
      return; // never connected, or already handled (DISCONNECT, takeover, keepalive)
    }
    // an abnormal loss publishes the will [MQTT-3.1.2-8]
    endConnection(rec, true, clock.instant());
  }

  private void dropUnconnected(ConnectionId id) {
    ConnectionRecord rec = removeConnection(id);
    if (rec != null) {
      outbound.close(id, rec.edge());
    } else {
      outbound.close(id);
    }
  }

  /**
   * Removes a connection's record, and settles what is counted per connection: its publish token
   * bucket and, when a per-user limit is set, its user's connection count.
   */
  private ConnectionRecord removeConnection(ConnectionId id) {
    ConnectionRecord rec = connections.remove(id);
    publishBuckets.remove(id);
    if (rec != null
        && rec.isConnected()
        && rec.username() != null
        && config.maxConnectionsPerUser() > 0) {
      connections.addUserConnections(rec.username(), -1);
    }
    return rec;
  }

  private static Instant keepAliveDeadline(Instant now, int keepAliveSeconds) {
    // one and a half times the keepalive without a packet closes the connection: [MQTT-3.1.2-22]
    // in 5.0, [MQTT-3.1.2-24] in 3.1.1
    return now.plusMillis(keepAliveSeconds * 1500L);
  }

  // ---------------------------------------------------------------------------------------------
  // CONNECT

  private void onConnect(ConnectionRecord opened, Connect c) {
    Instant now = clock.instant();
    MqttVersion v = c.version();
    ConnectionId id = opened.id();
    Properties props = c.properties();

    if (v.isV5() && props.authenticationMethod() != null) {
      // enhanced authentication is not supported: refuse the method [MQTT-4.12.0-1]
      refuse(opened, v, ReasonCode.BAD_AUTHENTICATION_METHOD);
      return;
    }
    String clientId = c.clientId();
    boolean assigned = false;
    if (clientId.isEmpty()) {
      if (v == MqttVersion.V3_1 || (v == MqttVersion.V3_1_1 && !c.cleanStart())) {
        // [MQTT-3.1.3-8] 3.1.1 with clean session 0 must send an id; 3.1 always must
        refuse(opened, v, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
        return;
      }
      // [MQTT-3.1.3-6] 3.1.1, [MQTT-3.2.2-16] v5: the server assigns a unique id
      clientId = "stratus-" + UUID.randomUUID();
      assigned = true;
    } else if (v == MqttVersion.V3_1 && clientId.length() > 23) {
      // MQTT 3.1 §3.1: the client identifier is 1 to 23 characters, else return code 2
      refuse(opened, v, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
      return;
    }
    AuthResult auth =
        authenticator.authenticate(
            new ConnectRequest(
                clientId,
                v,
                c.username(),
                c.password(),
                opened.remoteAddress(),
                opened.certificateSubject(),
                opened.bearerToken()));
    String principal;
    Set<String> roles;
    switch (auth) {
      case AuthResult.Accepted a -> {
        principal = a.username() != null ? a.username() : c.username();
        roles = a.roles();
      }
      case AuthResult.Refused r -> {
        refuse(opened, v, r.reason());
        return;
      }
    }

    Will will = c.will();
    if (will != null
        && (will.topic().isSystem()
            || !authorizer.mayPublish(clientId, principal, roles, will.topic()))) {
      // a will the client could not publish itself is refused with the CONNECT (MQTT 5.0
      // §3.2.2.2: 0x87 Not authorized; return code 5 in 3.1.1); $ topics are the server's
      publishesDenied.increment();
      refuse(opened, v, ReasonCode.NOT_AUTHORIZED);
      return;
    }
    long sessionExpiry =
        v.isV5()
            ? (props.sessionExpiryInterval() == null ? 0 : props.sessionExpiryInterval())
            : (c.cleanStart() ? 0 : config.abandonedSessionExpiry().toSeconds());
    int keepAlive = c.keepAliveSeconds();
    Integer serverKeepAlive = null;
    if (v.isV5()
        && config.maxKeepAliveSeconds() > 0
        && (keepAlive == 0 || keepAlive > config.maxKeepAliveSeconds())) {
      // [MQTT-3.2.2-21] the client must use the Server Keep Alive instead of its own
      keepAlive = config.maxKeepAliveSeconds();
      serverKeepAlive = keepAlive;
    }
    Message willMessage = null;
    long willDelay = 0;
    if (will != null) {
      willMessage =
          new Message(
              will.topic(),
              will.payload(),
              will.qos(),
              will.retain(),
              // the expiry interval stays a property until the will is published
              will.properties().toBuilder().willDelayInterval(null).build(),
              clientId,
              null);
      willDelay =
          will.properties().willDelayInterval() == null ? 0 : will.properties().willDelayInterval();
    }
    ConnectionRecord rec =
        new ConnectionRecord(
            id,
            opened.edge(),
            opened.remoteAddress(),
            opened.certificateSubject(),
            opened.openedAt(),
            clientId,
            v,
            keepAlive,
            willMessage,
            willDelay,
            sessionExpiry,
            props.receiveMaximum() == null
                ? (v.isV5() ? 65_535 : config.v3OutboundWindow())
                : props.receiveMaximum(),
            props.maximumPacketSize() == null ? Long.MAX_VALUE : props.maximumPacketSize(),
            props.topicAliasMaximum() == null ? 0 : props.topicAliasMaximum(),
            principal,
            roles,
            null);

    String owner = Owners.of(principal);
    List<DueWill> willsToPublish = new ArrayList<>(1);
    ReentrantLock lock = lockOf(clientId);
    lock.lock();
    try {
      ConnectionId holder = connections.connectionOf(clientId);
      ConnectionRecord held = holder == null ? null : connections.get(holder);
      if (held != null && held.isConnected() && !Objects.equals(held.username(), principal)) {
        // [MQTT-3.1.4-3] lets a new connection take over its own client id; one of another
        // principal would kick the owner off at will, so it is refused instead (docs/security.md):
        // 0x85 Client Identifier not valid, 3.1.1 return code 2
        refuse(opened, v, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
        return;
      }
      Session existing = stores.sessions().get(clientId);
      boolean expired =
          existing != null && existing.expiresAt() != null && !existing.expiresAt().isAfter(now);
      if (existing != null && !expired && existing.ownedByOtherThan(owner)) {
        // the same for an offline session: resuming it would hand its queued messages to another
        // principal, and a clean start would destroy the owner's session. Refused until the
        // session expires, whatever the clean start flag (docs/security.md)
        refuse(opened, v, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
        return;
      }
      if (principal != null && config.maxConnectionsPerUser() > 0) {
        long n = connections.addUserConnections(principal, 1);
        // a takeover by the same user replaces a connection: the old one's release follows
        boolean replacing = held != null && held.isConnected();
        if (n > config.maxConnectionsPerUser() + (replacing ? 1 : 0)) {
          connections.addUserConnections(principal, -1);
          refuse(opened, v, ReasonCode.QUOTA_EXCEEDED); // 0x97; 3.1.1 has no code: 3 unavailable
          return;
        }
      }
      connections.put(rec);
      ConnectionId previous = connections.bind(clientId, id);
      if (previous != null && !previous.equals(id)) {
        takeOver(previous, c.cleanStart(), willsToPublish);
      }
      if (expired) {
        // expired but not yet swept (a remote store's sweeper and TTL run late): the session is
        // over [MQTT-3.1.2-23] and is not resumed; its pending will goes out as the sweeper's would
        if (existing.pendingWill() != null) {
          willsToPublish.add(new DueWill(existing.pendingWill(), existing.owner()));
        }
        discardSession(clientId);
        existing = null;
      }
      boolean sessionPresent = existing != null && !c.cleanStart();
      if (existing != null && c.cleanStart()) {
        // [MQTT-3.1.2-4] clean start discards the session; a will waiting for its delay goes out
        // because its session ends [MQTT-3.1.3-9]
        if (existing.pendingWill() != null) {
          willsToPublish.add(new DueWill(existing.pendingWill(), existing.owner()));
        }
        discardSession(clientId);
      }
      // a reconnection before the will delay passed cancels the pending will [MQTT-3.1.3-9]; the
      // session is recorded as this principal's (a session recorded without an owner gets one)
      stores.sessions().put(Session.connected(clientId, v, sessionExpiry, owner));
      connections.setDeadline(id, keepAlive > 0 ? keepAliveDeadline(now, keepAlive) : null);

      Properties ack = Properties.NONE;
      if (v.isV5()) {
        Properties.Builder b = Properties.builder();
        if (assigned) {
          b.assignedClientIdentifier(clientId);
        }
        if (serverKeepAlive != null) {
          b.serverKeepAlive(serverKeepAlive);
        }
        b.receiveMaximum(config.receiveMaximum());
        b.topicAliasMaximum(config.topicAliasMaximum());
        b.maximumPacketSize((long) config.maximumPacketSize());
        ack = b.build();
      }
      // [MQTT-3.2.2-1]..[MQTT-3.2.2-3] session present only when a session was resumed
      send(rec, new ConnAck(sessionPresent, ReasonCode.SUCCESS, ack));
      if (sessionPresent) {
        resend(rec, now);
        drainQueue(rec, now);
      }
    } finally {
      lock.unlock();
    }
    for (DueWill w : willsToPublish) {
      publishWill(w.message(), w.owner(), now);
    }
  }

  /** A will to publish once the lock is released, with the owner its retained copy counts for. */
  private record DueWill(Message message, String owner) {}

  /** Closes the connection that held the client id before [MQTT-3.1.4-3]. Called under lock. */
  private void takeOver(ConnectionId previous, boolean cleanStart, List<DueWill> wills) {
    ConnectionRecord old = removeConnection(previous);
    if (old == null) {
      return;
    }
    if (old.version().isV5()) {
      send(old, new Disconnect(ReasonCode.SESSION_TAKEN_OVER, Properties.NONE));
    }
    // the record is gone already: the edge is named, so a remote edge needs no lookup
    outbound.close(previous, old.edge());
    // the old connection closed without DISCONNECT, so its will is due [MQTT-3.1.2-8], unless
    // it has a delay, which the new connection to the same session cancels [MQTT-3.1.3-9]
    if (old.will() != null && (old.willDelaySeconds() == 0 || cleanStart)) {
      wills.add(new DueWill(old.will(), Owners.of(old.username())));
    }
  }

  private void refuse(ConnectionRecord opened, MqttVersion v, ReasonCode reason) {
    connectsRefused.increment();
    // [MQTT-3.2.2-6] / [MQTT-3.2.2-7]: a refusing CONNACK has session present 0, then close
    outbound.send(
        opened.id(),
        opened.edge(),
        PacketEncoder.encode(new ConnAck(false, reason, Properties.NONE), v));
    dropUnconnected(opened.id());
  }

  // ---------------------------------------------------------------------------------------------
  // DISCONNECT, errors, loss

  private void onDisconnect(ConnectionRecord rec, Disconnect d) {
    Long newExpiry = d.properties().sessionExpiryInterval();
    if (newExpiry != null && rec.version().isV5()) {
      if (rec.sessionExpirySeconds() == 0 && newExpiry != 0) {
        // MQTT 5.0 §3.14.2.2.2: a session that was to end may not be made persistent at DISCONNECT
        protocolError(rec, ReasonCode.PROTOCOL_ERROR, "MQTT 5.0 §3.14.2.2.2");
        return;
      }
      rec = rec.withSessionExpiry(newExpiry);
    }
    if (removeConnection(rec.id()) == null) {
      return;
    }
    outbound.close(rec.id(), rec.edge());
    // [MQTT-3.14.4-3] only a DISCONNECT with reason 0x00 deletes the will: v5 0x04 asks for it,
    // and a client reporting an error (0x80 and above) ends abnormally
    boolean publishWill = d.reasonCode() != ReasonCode.NORMAL_DISCONNECTION;
    endConnection(rec, publishWill, clock.instant());
  }

  /**
   * Closes a connected client for a protocol violation: a v5 DISCONNECT with the reason first (MQTT
   * 5.0 §4.13.2), a plain close in 3.1/3.1.1 [MQTT-4.13.1-1]; the will is published.
   */
  private void protocolError(ConnectionRecord rec, ReasonCode reason, String why) {
    LOG.log(System.Logger.Level.DEBUG, "closing {0} ({1}): {2}", rec.id(), reason, why);
    if (removeConnection(rec.id()) == null) {
      return;
    }
    if (rec.version().isV5()) {
      send(rec, new Disconnect(reason, Properties.NONE));
    }
    outbound.close(rec.id(), rec.edge());
    endConnection(rec, true, clock.instant());
  }

  /**
   * The connection of a connected client is gone and its record removed: keep or end its session,
   * and publish or schedule its will.
   */
  private void endConnection(ConnectionRecord rec, boolean publishWill, Instant now) {
    String clientId = rec.clientId();
    Message will = publishWill ? rec.will() : null;
    Message publishNow = null;
    ReentrantLock lock = lockOf(clientId);
    lock.lock();
    try {
      ConnectionId current = connections.connectionOf(clientId);
      if (current != null && !current.equals(rec.id())) {
        // a newer connection holds the session: only the will is ours to settle
        publishNow = will != null && rec.willDelaySeconds() == 0 ? will : null;
      } else if (rec.sessionExpirySeconds() == 0) {
        // the session ends with the connection (MQTT 5.0 §3.1.2.11.2, 3.1.1 [MQTT-3.1.2-6]);
        // so does any will delay
        discardSession(clientId);
        publishNow = will;
      } else {
        Session session =
            Session.connected(
                clientId, rec.version(), rec.sessionExpirySeconds(), Owners.of(rec.username()));
        if (will != null && rec.willDelaySeconds() > 0) {
          // [MQTT-3.1.3-9] published when the delay passes or the session ends, if earlier
          long delay = Math.min(rec.willDelaySeconds(), rec.sessionExpirySeconds());
          stores.sessions().put(session.disconnected(now, will, now.plusSeconds(delay)));
        } else {
          stores.sessions().put(session.disconnected(now, null, null));
          publishNow = will;
        }
      }
    } finally {
      lock.unlock();
    }
    if (publishNow != null) {
      publishWill(publishNow, Owners.of(rec.username()), now);
    }
  }

  private void discardSession(String clientId) {
    stores.subscriptions().removeAll(clientId);
    stores.inFlight().clear(clientId);
    stores.queues().clear(clientId);
    stores.sessions().remove(clientId);
  }

  /**
   * Publishes a will; {@code owner} ({@link Owners}, null when unknown) owns its retained copy. A
   * will over its owner's retained quota is still forwarded, not retained: nobody is left to tell.
   */
  private void publishWill(Message will, String owner, Instant now) {
    Long expiry = will.properties().messageExpiryInterval();
    Message m =
        new Message(
            will.topic(),
            will.payload(),
            will.qos(),
            will.retain(),
            will.properties().toBuilder().messageExpiryInterval(null).build(),
            will.originClientId(),
            expiry == null ? null : now.plusSeconds(expiry));
    messagesReceived.increment();
    storeRetained(m, owner);
    route(m, now);
  }

  // ---------------------------------------------------------------------------------------------
  // Inbound PUBLISH

  private void onPublish(ConnectionRecord rec, Publish p, Instant now) {
    String clientId = rec.clientId();
    boolean v5 = rec.version().isV5();
    TopicName topic = p.topic();
    if (!p.properties().subscriptionIdentifiers().isEmpty()) {
      // [MQTT-3.3.4-6] a client must not send subscription identifiers
      protocolError(rec, ReasonCode.PROTOCOL_ERROR, "[MQTT-3.3.4-6]");
      return;
    }
    Integer alias = p.properties().topicAlias();
    if (alias != null) {
      if (!v5 || alias == 0 || alias > config.topicAliasMaximum()) {
        // [MQTT-3.3.2-9] an alias above the server's Topic Alias Maximum
        protocolError(rec, ReasonCode.TOPIC_ALIAS_INVALID, "[MQTT-3.3.2-9]");
        return;
      }
      if (topic.isEmpty()) {
        topic = connections.inboundAlias(rec.id(), alias);
        if (topic == null) {
          // an alias never set on this connection
          protocolError(rec, ReasonCode.PROTOCOL_ERROR, "unknown topic alias " + alias);
          return;
        }
      } else {
        connections.putInboundAlias(rec.id(), alias, topic);
      }
    } else if (topic.isEmpty()) {
      protocolError(rec, ReasonCode.PROTOCOL_ERROR, "MQTT 5.0 §3.3.2.1: empty topic without alias");
      return;
    }
    messagesReceived.increment();
    if (config.maxPublishRate() > 0) {
      TokenBucket bucket =
          publishBuckets.computeIfAbsent(
              rec.id(), k -> new TokenBucket(config.maxPublishRate(), config.publishBurst(), now));
      if (!bucket.take(now)) {
        // a flood is answered by closing: v5 DISCONNECT 0x96 Message rate too high (MQTT 5.0
        // §3.14.2.1); 3.1.1 has no reason codes, the connection is closed
        rateLimited.increment();
        messagesDropped.increment();
        protocolError(rec, ReasonCode.MESSAGE_RATE_TOO_HIGH, "publish rate limit");
        return;
      }
    }

    if (levels(topic.value()) > config.maxTopicLevels()) {
      if (v5 && p.qos() != QoS.AT_MOST_ONCE) {
        ack(rec, p, ReasonCode.TOPIC_NAME_INVALID);
      } else {
        // 3.1.1 and QoS 0 have no way to refuse a message but closing
        protocolError(rec, ReasonCode.TOPIC_NAME_INVALID, "too many topic levels");
      }
      return;
    }
    // clients may not publish to $ topics: they are the server's [MQTT-4.7.2-1]
    boolean allowed =
        !topic.isSystem() && authorizer.mayPublish(clientId, rec.username(), rec.roles(), topic);
    if (!allowed) {
      publishesDenied.increment();
      messagesDropped.increment();
      if (v5) {
        if (p.qos() != QoS.AT_MOST_ONCE) {
          ack(rec, p, ReasonCode.NOT_AUTHORIZED);
        }
        return;
      }
      // 3.1.1 cannot refuse a PUBLISH: acknowledge it and drop it, as Mosquitto does
    }
    if (p.qos() == QoS.EXACTLY_ONCE) {
      if (!stores.inFlight().addInbound(clientId, p.packetId())) {
        // a resent PUBLISH whose PUBREL has not come yet: already delivered [MQTT-4.3.3-9]
        ack(rec, p, ReasonCode.SUCCESS);
        return;
      }
      if (stores.inFlight().inboundCount(clientId) > config.receiveMaximum()) {
        // [MQTT-3.3.4-7] more unacknowledged QoS 2 PUBLISH packets than Receive Maximum
        protocolError(rec, ReasonCode.RECEIVE_MAXIMUM_EXCEEDED, "receive maximum exceeded");
        return;
      }
    }
    int recipients = 0;
    if (allowed) {
      Long expiry = p.properties().messageExpiryInterval();
      Properties forwarded = p.properties();
      if (!forwarded.isEmpty()) {
        // the alias is per connection; the expiry becomes Message.expiresAt
        forwarded = forwarded.toBuilder().topicAlias(null).messageExpiryInterval(null).build();
      }
      Message m =
          new Message(
              topic,
              p.payload(),
              p.qos(),
              p.retain(),
              forwarded,
              clientId,
              expiry == null ? null : now.plusSeconds(expiry));
      try {
        // the owner string is built only for a retained publish while the limit is set
        String owner =
            p.retain() && config.maxRetainedPerUser() > 0 ? Owners.of(rec.username()) : null;
        if (!storeRetained(m, owner) && v5 && p.qos() != QoS.AT_MOST_ONCE) {
          // the user owns maxRetainedPerUser retained topics already: a v5 publisher is told
          // (MQTT 5.0 §3.4.2.1 0x97 Quota exceeded) and the message is not accepted, so it is not
          // forwarded either. QoS 0 and 3.1.1 cannot be told: forwarded, not retained
          // (docs/security.md)
          messagesDropped.increment();
          ack(rec, p, ReasonCode.QUOTA_EXCEEDED);
          return;
        }
        recipients = route(m, now);
      } catch (StoreException e) {
        if (p.qos() == QoS.EXACTLY_ONCE) {
          // forget the id so that the resent PUBLISH is routed rather than taken for a duplicate
          // of a message that was never fully stored; recipients it did reach may get it twice
          stores.inFlight().removeInbound(clientId, p.packetId());
        }
        throw e;
      }
    }
    if (p.qos() != QoS.AT_MOST_ONCE) {
      ack(
          rec,
          p,
          recipients == 0 && allowed ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS);
    }
  }

  private void ack(ConnectionRecord rec, Publish p, ReasonCode reason) {
    ReasonCode r = rec.version().isV5() ? reason : ReasonCode.SUCCESS;
    switch (p.qos()) {
      case AT_MOST_ONCE -> {}
      case AT_LEAST_ONCE -> send(rec, new PubAck(p.packetId(), r, Properties.NONE));
      case EXACTLY_ONCE -> {
        if (r.isError()) {
          // an error PUBREC ends the exchange (MQTT 5.0 §4.3.3): forget the id
          stores.inFlight().removeInbound(rec.clientId(), p.packetId());
        }
        send(rec, new PubRec(p.packetId(), r, Properties.NONE));
      }
    }
  }

  /**
   * Stores or clears the retained message of a RETAIN publish, for {@code owner} ({@link Owners};
   * null: nobody's). Returns false only when the message was not retained because its owner owns
   * {@code maxRetainedPerUser} retained topics already; owners are recorded and counted only while
   * that limit is set.
   */
  private boolean storeRetained(Message m, String owner) {
    if (!m.retain()) {
      return true;
    }
    if (m.payload().isEmpty()) {
      // [MQTT-3.3.1-10] an empty retained message clears the topic and is not stored
      // [MQTT-3.3.1-11]; whoever owned it owns one topic fewer
      stores.retained().remove(m.topic());
      return true;
    }
    int limit = config.maxRetainedPerUser();
    if (limit == 0 || owner == null) {
      // [MQTT-3.3.1-5] replaces the topic's retained message
      stores.retained().put(m);
      return true;
    }
    if (stores.retained().put(m, owner, limit)) {
      return true;
    }
    retainedRefused.increment();
    return false;
  }

  private static int levels(String topic) {
    int n = 1;
    for (int i = 0; i < topic.length(); i++) {
      if (topic.charAt(i) == '/') {
        n++;
      }
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Routing and outbound delivery

  /** One recipient of a routed message, merged over its overlapping subscriptions. */
  private static final class Recipient {
    QoS qos;
    boolean retainAsPublished;
    List<Integer> subscriptionIds = List.of();

    void add(Subscription s) {
      qos = qos == null || s.maxQos().ordinal() > qos.ordinal() ? s.maxQos() : qos;
      retainAsPublished |= s.retainAsPublished();
      if (s.subscriptionId() != 0) {
        if (subscriptionIds.isEmpty()) {
          subscriptionIds = new ArrayList<>(2);
        }
        subscriptionIds.add(s.subscriptionId());
      }
    }
  }

  /**
   * Delivers a message to every matching subscription. A client with several matching subscriptions
   * gets one copy at the highest of their QoS [MQTT-3.3.4-2] ([MQTT-3.3.5-1] in 3.1.1) carrying all
   * their subscription identifiers [MQTT-3.3.4-3]; each shared group gets one copy, for one member
   * chosen round robin among those online. Must be called with no lock held.
   *
   * @return the number of recipients
   */
  private int route(Message m, Instant now) {
    SubscriptionMatch match = stores.subscriptions().match(m.topic());
    if (match.isEmpty()) {
      return 0;
    }
    Map<String, Recipient> recipients = new HashMap<>();
    for (Subscription s : match.direct()) {
      if (s.noLocal() && s.clientId().equals(m.originClientId())) {
        continue; // [MQTT-3.8.3-3] No Local: not to the publisher itself
      }
      recipients.computeIfAbsent(s.clientId(), k -> new Recipient()).add(s);
    }
    int count = recipients.size();
    PublishEncodings encodings = new PublishEncodings(m, now);
    for (Map.Entry<String, Recipient> e : recipients.entrySet()) {
      Recipient r = e.getValue();
      // [MQTT-3.3.1-9] / [MQTT-3.3.1-12]: RETAIN 0 when forwarded to an existing subscription,
      // unless Retain As Published
      deliver(
          e.getKey(),
          m,
          QoS.min(m.qos(), r.qos),
          r.retainAsPublished && m.retain(),
          r.subscriptionIds,
          encodings,
          now);
    }
    for (SubscriptionMatch.SharedGroup group : match.shared()) {
      Subscription chosen = chooseMember(group);
      List<Integer> ids =
          chosen.subscriptionId() == 0 ? List.of() : List.of(chosen.subscriptionId());
      deliver(
          chosen.clientId(),
          m,
          QoS.min(m.qos(), chosen.maxQos()),
          chosen.retainAsPublished() && m.retain(),
          ids,
          encodings,
          now);
      count++;
    }
    return count;
  }

  private Subscription chooseMember(SubscriptionMatch.SharedGroup group) {
    List<Subscription> members = group.members();
    int n = members.size();
    int start =
        Math.floorMod(
            sharedCursors.computeIfAbsent(group.key(), k -> new AtomicInteger()).getAndIncrement(),
            n);
    for (int i = 0; i < n; i++) {
      Subscription s = members.get((start + i) % n);
      if (connections.connectionOf(s.clientId()) != null) {
        return s;
      }
    }
    return members.get(start); // nobody online: it waits in one member's session queue
  }

  /** Sends or queues one message for one client, under that client's lock. */
  private void deliver(
      String clientId,
      Message m,
      QoS qos,
      boolean retain,
      List<Integer> subscriptionIds,
      PublishEncodings encodings,
      Instant now) {
    ReentrantLock lock = lockOf(clientId);
    lock.lock();
    try {
      ConnectionId connection = connections.connectionOf(clientId);
      ConnectionRecord rec = connection == null ? null : connections.get(connection);
      if (qos == QoS.AT_MOST_ONCE) {
        if (rec != null) {
          sendPublish(rec, m, qos, retain, 0, false, subscriptionIds, encodings, now);
        }
        // QoS 0 is not queued for offline clients (MQTT 5.0 §4.1: it "may" be)
        return;
      }
      QueuedDelivery queued = new QueuedDelivery(m, qos, retain, subscriptionIds);
      if (rec == null && stores.sessions().get(clientId) == null) {
        return; // the session ended while this message was being routed
      }
      if (rec == null
          || stores.queues().size(clientId) > 0
          || stores.inFlight().outboundCount(clientId) >= rec.receiveMaximum()) {
        // offline, or the window is full [MQTT-3.3.4-9], or older messages wait: keep the order
        enqueue(clientId, queued);
        return;
      }
      sendNew(rec, queued, encodings, now);
    } finally {
      lock.unlock();
    }
  }

  private void enqueue(String clientId, QueuedDelivery queued) {
    if (!stores.queues().offer(clientId, queued, config.maxQueuedMessages())) {
      // drop policy: the queue is full, the newest message is dropped and counted
      messagesDropped.increment();
    }
  }

  /** Allocates a packet id and sends a QoS 1/2 message. Called under the client's lock. */
  private void sendNew(
      ConnectionRecord rec, QueuedDelivery d, PublishEncodings encodings, Instant now) {
    OutboundFlight flight =
        new OutboundFlight(0, d.message(), d.qos(), d.retain(), d.subscriptionIds(), false);
    int packetId = stores.inFlight().allocate(rec.clientId(), flight);
    if (packetId == 0) {
      enqueue(rec.clientId(), d);
      return;
    }
    if (!sendPublish(
        rec,
        d.message(),
        d.qos(),
        d.retain(),
        packetId,
        false,
        d.subscriptionIds(),
        encodings,
        now)) {
      stores.inFlight().remove(rec.clientId(), packetId);
    }
  }

  /**
   * Encodes and sends one PUBLISH. Returns false when it was dropped for exceeding the client's
   * Maximum Packet Size: [MQTT-3.1.2-25] the server discards it as if delivered.
   */
  private boolean sendPublish(
      ConnectionRecord rec,
      Message m,
      QoS qos,
      boolean retain,
      int packetId,
      boolean dup,
      List<Integer> subscriptionIds,
      PublishEncodings encodings,
      Instant now) {
    if (checksReceive
        && !authorizer.mayReceive(rec.clientId(), rec.username(), rec.roles(), m.topic())) {
      // the receive right is checked at delivery, so that no subscription (a wildcard, a shared
      // one, a retained message, a queued one) brings a client a topic it may not read
      deliveriesDenied.increment();
      return false;
    }
    MqttVersion v = rec.version();
    byte[] bytes = null;
    ConnectionStore.OutboundAlias alias =
        v.isV5() && rec.topicAliasMaximum() > 0
            ? connections.outboundAlias(rec.id(), m.topic(), rec.topicAliasMaximum())
            : null;
    if (alias == null && subscriptionIds.isEmpty() && !dup && encodings != null) {
      bytes = encodings.encode(v, qos, retain, packetId);
    } else {
      Properties props = Properties.NONE;
      TopicName topic = m.topic();
      if (v.isV5()) {
        Properties.Builder b = m.properties().toBuilder();
        b.messageExpiryInterval(m.remainingExpirySeconds(now));
        b.subscriptionIdentifiers(subscriptionIds);
        if (alias != null) {
          b.topicAlias(alias.alias());
          if (alias.known()) {
            topic = TopicName.EMPTY; // the alias stands for the topic (MQTT 5.0 §3.3.2.3.4)
          }
        }
        props = b.build();
      }
      bytes =
          PacketEncoder.encode(
              new Publish(topic, qos, retain, dup, packetId, m.payload(), props), v);
    }
    if (bytes.length > rec.maximumPacketSize()) {
      messagesDropped.increment();
      return false;
    }
    outbound.send(rec.id(), rec.edge(), bytes);
    messagesSent.increment();
    return true;
  }

  /**
   * Resends unacknowledged messages on a resumed session [MQTT-4.4.0-1], but no more than the
   * client's Receive Maximum (3.1.x: {@code v3OutboundWindow}): the server must not have more
   * unacknowledged QoS 1/2 PUBLISH packets outstanding than that [MQTT-4.9.0-2]. Called under lock.
   *
   * <p>The rule that keeps this stateless: flights are listed in allocation order, each one (a
   * released QoS 2 flight awaiting PUBCOMP too) takes one slot of the window, and the flights sent
   * on the current connection are always the first {@code min(count, window)} of that list. Resend
   * sends that prefix; each acknowledgement of a flight inside it sends the first flight after it
   * ({@link #outboundAcknowledged}). New flights are only allocated while the count is below the
   * window, so they land inside the prefix and the rule holds without a marker in the store.
   */
  private void resend(ConnectionRecord rec, Instant now) {
    int window = rec.receiveMaximum();
    int sent = 0;
    for (OutboundFlight f : stores.inFlight().outbound(rec.clientId())) {
      if (sent >= window) {
        return; // the rest wait for acknowledgements, ahead of the queue
      }
      if (resendFlight(rec, f, now)) {
        sent++;
      }
    }
  }

  /**
   * Sends a flight again: the PUBREL of a released QoS 2 flight, else the PUBLISH with DUP=1
   * [MQTT-3.3.1-1]. Returns false when the PUBLISH exceeded the client's Maximum Packet Size and
   * the flight was discarded as if delivered [MQTT-3.1.2-25].
   */
  private boolean resendFlight(ConnectionRecord rec, OutboundFlight f, Instant now) {
    if (f.released()) {
      send(rec, new PubRel(f.packetId()));
      return true;
    }
    if (sendPublish(
        rec,
        f.message(),
        f.qos(),
        f.retain(),
        f.packetId(),
        true,
        f.subscriptionIds(),
        null,
        now)) {
      return true;
    }
    stores.inFlight().remove(rec.clientId(), f.packetId());
    return false;
  }

  /**
   * A PUBACK, PUBCOMP or error PUBREC ended an outbound flight, freeing a slot of the window (MQTT
   * 5.0 §4.9). If flights are held back after a resume with a smaller window (see {@link #resend}),
   * the next one goes out before any queued message [MQTT-4.9.0-2]; otherwise the queue drains.
   * Called under lock.
   */
  private void outboundAcknowledged(ConnectionRecord rec, int packetId, Instant now) {
    String clientId = rec.clientId();
    int window = rec.receiveMaximum();
    if (stores.inFlight().outboundCount(clientId) <= window) {
      // nothing held back: the usual path, no listing
      stores.inFlight().remove(clientId, packetId);
      drainQueue(rec, now);
      return;
    }
    List<OutboundFlight> flights = stores.inFlight().outbound(clientId);
    int position = -1;
    for (int i = 0; i < flights.size(); i++) {
      if (flights.get(i).packetId() == packetId) {
        position = i;
        break;
      }
    }
    if (position < 0) {
      return; // not a flight of ours: nothing freed
    }
    stores.inFlight().remove(clientId, packetId);
    if (position >= window) {
      // acknowledged a flight not yet resent on this connection: the window is still full
      return;
    }
    for (int i = window; i < flights.size(); i++) {
      if (resendFlight(rec, flights.get(i), now)) {
        return;
      }
    }
    drainQueue(rec, now);
  }

  /** Sends queued messages while the client's window has room. Called under lock. */
  private void drainQueue(ConnectionRecord rec, Instant now) {
    String clientId = rec.clientId();
    while (true) {
      int room = rec.receiveMaximum() - stores.inFlight().outboundCount(clientId);
      if (room <= 0) {
        return;
      }
      List<QueuedDelivery> batch = stores.queues().poll(clientId, room);
      if (batch.isEmpty()) {
        return;
      }
      for (QueuedDelivery d : batch) {
        if (d.message().isExpired(now)) {
          messagesDropped.increment(); // [MQTT-3.3.2-5] expired messages are not delivered
          continue;
        }
        sendNew(rec, d, null, now);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Outbound acknowledgements

  private void onPubAck(ConnectionRecord rec, PubAck p) {
    withLock(
        rec,
        () -> {
          outboundAcknowledged(rec, p.packetId(), clock.instant());
        });
  }

  private void onPubRec(ConnectionRecord rec, PubRec p) {
    withLock(
        rec,
        () -> {
          OutboundFlight f = stores.inFlight().get(rec.clientId(), p.packetId());
          if (f == null) {
            send(
                rec,
                new PubRel(p.packetId(), ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, Properties.NONE));
            return;
          }
          if (p.reasonCode().isError()) {
            // a v5 error PUBREC ends the exchange (MQTT 5.0 §4.3.3); the id is free again
            outboundAcknowledged(rec, p.packetId(), clock.instant());
            return;
          }
          // [MQTT-4.3.3-4] [MQTT-4.3.3-5] from now on the PUBREL, not the PUBLISH, is resent
          stores.inFlight().replace(rec.clientId(), f.asReleased());
          send(rec, new PubRel(p.packetId()));
        });
  }

  private void onPubComp(ConnectionRecord rec, PubComp p) {
    withLock(
        rec,
        () -> {
          outboundAcknowledged(rec, p.packetId(), clock.instant());
        });
  }

  private void onPubRel(ConnectionRecord rec, PubRel p) {
    // [MQTT-4.3.3-10] answer PUBREL with PUBCOMP; the id then starts a new message [MQTT-4.3.3-11]
    boolean known = stores.inFlight().removeInbound(rec.clientId(), p.packetId());
    send(
        rec,
        new PubComp(
            p.packetId(),
            known ? ReasonCode.SUCCESS : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND,
            Properties.NONE));
  }

  private void withLock(ConnectionRecord rec, Runnable action) {
    ReentrantLock lock = lockOf(rec.clientId());
    lock.lock();
    try {
      action.run();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SUBSCRIBE / UNSUBSCRIBE

  private void onSubscribe(ConnectionRecord rec, Subscribe s, Instant now) {
    String clientId = rec.clientId();
    boolean v5 = rec.version().isV5();
    List<Integer> ids = s.properties().subscriptionIdentifiers();
    int subscriptionId = ids.isEmpty() ? 0 : ids.getFirst();
    List<ReasonCode> codes = new ArrayList<>(s.subscriptions().size());
    List<Runnable> retainedDeliveries = new ArrayList<>();
    Set<TopicFilter> mine = new HashSet<>();
    for (Subscription x : stores.subscriptions().forClient(clientId)) {
      mine.add(x.filter());
    }
    for (TopicSubscription ts : s.subscriptions()) {
      TopicFilter filter = ts.filter();
      if (v5 && filter.isShared() && ts.noLocal()) {
        // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
        protocolError(rec, ReasonCode.PROTOCOL_ERROR, "[MQTT-3.8.3-4]");
        return;
      }
      if (levels(filter.filter()) > config.maxTopicLevels()) {
        codes.add(ReasonCode.TOPIC_FILTER_INVALID);
        continue;
      }
      if (!authorizer.maySubscribe(clientId, rec.username(), rec.roles(), filter)) {
        // MQTT 5.0 §3.9.3: 0x87 Not authorized; 3.1.1 gets 0x80 Failure [MQTT-3.9.3-2]
        subscriptionsDenied.increment();
        codes.add(ReasonCode.NOT_AUTHORIZED);
        continue;
      }
      Subscription sub =
          new Subscription(
              clientId,
              filter,
              ts.maxQos(),
              ts.noLocal(),
              ts.retainAsPublished(),
              ts.retainHandling(),
              subscriptionId);
      // [MQTT-3.8.4-3] the same filter replaces the subscription, so it never counts twice
      if (!mine.contains(filter) && mine.size() >= config.maxSubscriptionsPerClient()) {
        codes.add(ReasonCode.QUOTA_EXCEEDED);
        continue;
      }
      Subscription previous = stores.subscriptions().put(sub);
      mine.add(filter);
      codes.add(ReasonCode.granted(ts.maxQos()));
      // [MQTT-3.3.1-6] retained messages go to a new subscription, per Retain Handling
      // (MQTT 5.0 §3.8.3.1); never to a shared subscription (MQTT 5.0 §4.8.2)
      boolean sendRetained =
          !filter.isShared()
              && switch (ts.retainHandling()) {
                case SEND -> true;
                case SEND_IF_NEW_SUBSCRIPTION -> previous == null;
                case DO_NOT_SEND -> false;
              };
      if (sendRetained) {
        List<Integer> subIds = subscriptionId == 0 ? List.of() : List.of(subscriptionId);
        retainedDeliveries.add(
            () -> {
              for (Message m : stores.retained().match(filter)) {
                if (m.isExpired(now)) {
                  continue;
                }
                // [MQTT-3.3.1-8] retained messages sent on subscribe carry RETAIN 1
                deliver(
                    clientId,
                    m,
                    QoS.min(m.qos(), ts.maxQos()),
                    true,
                    subIds,
                    new PublishEncodings(m, now),
                    now);
              }
            });
      }
    }
    // [MQTT-3.8.4-1] SUBACK with the same packet id, one code per filter [MQTT-3.8.4-6]
    send(rec, new SubAck(s.packetId(), codes, Properties.NONE));
    for (Runnable r : retainedDeliveries) {
      r.run();
    }
  }

  private void onUnsubscribe(ConnectionRecord rec, Unsubscribe u) {
    List<ReasonCode> codes = new ArrayList<>(u.filters().size());
    for (TopicFilter f : u.filters()) {
      boolean removed = stores.subscriptions().remove(rec.clientId(), f);
      codes.add(removed ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED);
    }
    // [MQTT-3.10.4-4] UNSUBACK even when nothing was removed; 3.1.1 carries no codes
    send(
        rec, new UnsubAck(u.packetId(), rec.version().isV5() ? codes : List.of(), Properties.NONE));
  }

  // ---------------------------------------------------------------------------------------------
  // Timers

  /** Runs {@link #runTimers(Instant)} at the clock's current instant. */
  public void runTimers() {
    runTimers(clock.instant());
  }

  /**
   * The periodic work an edge triggers about once a second (any edge, or a scheduled Lambda):
   * closes connections idle beyond 1.5 times their keepalive [MQTT-3.1.2-22] (v5 reason 0x8D) or
   * without CONNECT for {@code connectTimeout}, publishes wills whose delay passed, deletes expired
   * sessions [MQTT-3.1.2-23], and publishes the {@code $SYS} topics.
   */
  public void runTimers(Instant now) {
    for (ConnectionRecord rec : connections.overdue(now)) {
      if (!rec.isConnected()) {
        dropUnconnected(rec.id());
        continue;
      }
      protocolError(rec, ReasonCode.KEEP_ALIVE_TIMEOUT, "[MQTT-3.1.2-22] keepalive expired");
    }
    for (Session s : stores.sessions().willsDue(now)) {
      Message will = null;
      String owner = null;
      ReentrantLock lock = lockOf(s.clientId());
      lock.lock();
      try {
        Session current = stores.sessions().get(s.clientId());
        if (current != null && current.willAt() != null && !current.willAt().isAfter(now)) {
          will = current.pendingWill();
          owner = current.owner();
          stores.sessions().put(current.withoutWill());
        }
      } finally {
        lock.unlock();
      }
      if (will != null) {
        publishWill(will, owner, now);
      }
    }
    for (Session s : stores.sessions().expired(now)) {
      Message will = null;
      String owner = null;
      ReentrantLock lock = lockOf(s.clientId());
      lock.lock();
      try {
        Session current = stores.sessions().get(s.clientId());
        if (current != null
            && current.expiresAt() != null
            && !current.expiresAt().isAfter(now)
            && connections.connectionOf(s.clientId()) == null) {
          will = current.pendingWill(); // the session ends before the will delay [MQTT-3.1.3-9]
          owner = current.owner();
          discardSession(s.clientId());
        }
      } finally {
        lock.unlock();
      }
      if (will != null) {
        publishWill(will, owner, now);
      }
    }
    if (!now.isBefore(nextSysUpdate)) {
      nextSysUpdate = now.plus(config.sysInterval());
      publishSys(now);
      // a bucket idle long enough to be full again is the same as none: drop it, so that buckets
      // of connections another process closed do not pile up here
      publishBuckets.values().removeIf(b -> b.isFullAt(now));
    }
  }

  /**
   * Publishes the broker's statistics as retained messages under {@code $SYS/broker/}, which
   * clients can read but not write, and which {@code #} and {@code +/...} do not match
   * [MQTT-4.7.2-1].
   */
  private void publishSys(Instant now) {
    sys("$SYS/broker/clients/connected", connections.connectedCount(), now);
    sys("$SYS/broker/messages/received", messagesReceived.sum(), now);
    sys("$SYS/broker/messages/sent", messagesSent.sum(), now);
    sys("$SYS/broker/messages/dropped", messagesDropped.sum(), now);
    sys("$SYS/broker/subscriptions/count", stores.subscriptions().count(), now);
    sys("$SYS/broker/retained messages/count", stores.retained().count(), now);
    sys("$SYS/broker/uptime", Duration.between(startedAt, now).toSeconds(), now);
    sys("$SYS/broker/clients/refused", connectsRefused.sum(), now);
    sys("$SYS/broker/security/publishes denied", publishesDenied.sum(), now);
    sys("$SYS/broker/security/subscriptions denied", subscriptionsDenied.sum(), now);
    sys("$SYS/broker/security/deliveries denied", deliveriesDenied.sum(), now);
    sys("$SYS/broker/security/rate limited", rateLimited.sum(), now);
    sys("$SYS/broker/security/retained refused", retainedRefused.sum(), now);
    // the authenticator's own counters (Security: logins accepted, refused, throttled)
    for (Map.Entry<String, Long> e : authenticator.counters().entrySet()) {
      sys("$SYS/broker/security/" + e.getKey(), e.getValue(), now);
    }
  }

  private void sys(String topic, long value, Instant now) {
    Message m =
        new Message(
            TopicName.of(topic),
            Bytes.utf8(Long.toString(value)),
            QoS.AT_MOST_ONCE,
            true,
            Properties.NONE,
            null,
            null);
    stores.retained().put(m);
    route(m, now);
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends a non-PUBLISH packet, unless it exceeds the client's Maximum Packet Size [MQTT-3.1.2-24].
   */
  private void send(ConnectionRecord rec, Packet packet) {
    byte[] bytes = PacketEncoder.encode(packet, rec.version());
    if (bytes.length > rec.maximumPacketSize()) {
      LOG.log(System.Logger.Level.DEBUG, "dropped {0} above maximum packet size", packet.type());
      return;
    }
    outbound.send(rec.id(), rec.edge(), bytes);
  }
}
