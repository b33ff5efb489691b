package dev.stratus.core;

import dev.stratus.codec.MqttVersion;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine wired to in-memory pipes instead of sockets (the idea of aedes' test/helper.js):
 * {@link #client} opens a connection whose packets the test sends and whose received bytes are
 * decoded with the codec. The engine is synchronous, so after each call every effect is there.
 */
public final class Harness implements Outbound {
  public final ManualClock clock = new ManualClock();
  public final Stores stores;
  public final Broker broker;
  private final ConcurrentHashMap<ConnectionId, TestClient> clients = new ConcurrentHashMap<>();

  /**
   * A close the engine asked for naming the connection's edge, and whether the connection's record
   * was already gone from the store at that moment (so a remote edge could not have looked it up).
   */
  public record EdgeClose(ConnectionId id, String edge, boolean recordGone) {}

  /** Every {@link #close(ConnectionId, String)} so far, in order. */
  public final List<EdgeClose> edgeCloses = new CopyOnWriteArrayList<>();

  /** The edge each connection's last packet was sent to, as the engine named it. */
  public final ConcurrentHashMap<ConnectionId, String> sentToEdge = new ConcurrentHashMap<>();

  /**
   * Connection ids unique across harnesses, so that two harnesses on one set of shared tables (two
   * processes) never overwrite each other's connection records.
   */
  private static final AtomicInteger ids = new AtomicInteger();

  public Harness() {
    this(BrokerConfig.development());
  }

  public Harness(BrokerConfig config) {
    this(config, Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL);
  }

  public Harness(BrokerConfig config, Authenticator authn, Authorizer authz) {
    this(config, Stores.inMemory(), authn, authz);
  }

  /** The engine on the given stores (e.g. a DynamoDB implementation, or a failing wrapper). */
  public Harness(BrokerConfig config, Stores stores) {
    this(config, stores, Authenticator.ALLOW_ALL, Authorizer.ALLOW_ALL);
  }

  /** The engine on the given stores with this authentication and authorization. */
  public Harness(BrokerConfig config, Stores stores, Authenticator authn, Authorizer authz) {
    this.stores = stores;
    this.broker = new Broker(config, stores, this, clock, authn, authz);
  }

  /** A new network connection; nothing is sent yet. */
  public TestClient client(MqttVersion version) {
    return client(version, null, null);
  }

  /**
   * A new connection as an edge that verified a client certificate (its mapped user name) or
   * received a bearer token outside CONNECT would open it; either may be null.
   */
  public TestClient client(MqttVersion version, String certificateSubject, String bearerToken) {
    return client(version, "test-edge", certificateSubject, bearerToken);
  }

  /** A new connection held by the named edge. */
  public TestClient clientOn(MqttVersion version, String edge) {
    return client(version, edge, null, null);
  }

  private TestClient client(
      MqttVersion version, String edge, String certificateSubject, String bearerToken) {
    ConnectionId id = new ConnectionId("test-" + ids.incrementAndGet());
    TestClient c = new TestClient(this, id, version);
    clients.put(id, c);
    broker.connectionOpened(
        new ConnectionInfo(id, edge, "127.0.0.1:" + id, certificateSubject, bearerToken));
    return c;
  }

  /** A client already connected with this id (clean start unless told otherwise). */
  public TestClient connected(MqttVersion version, String clientId) {
    TestClient c = client(version);
    c.connect(clientId, true);
    c.expectConnAck();
    return c;
  }

  public void advance(Duration d) {
    clock.advance(d);
    broker.runTimers();
  }

  @Override
  public void send(ConnectionId connection, byte[] packet) {
    TestClient c = clients.get(connection);
    if (c != null) {
      c.received(packet);
    }
  }

  @Override
  public void send(ConnectionId connection, String edge, byte[] packet) {
    sentToEdge.put(connection, edge);
    send(connection, packet);
  }

  @Override
  public void close(ConnectionId connection, String edge) {
    edgeCloses.add(new EdgeClose(connection, edge, stores.connections().get(connection) == null));
    close(connection);
  }

  @Override
  public void close(ConnectionId connection) {
    TestClient c = clients.remove(connection);
    if (c != null) {
      c.closedByServer();
      // as an edge does: the socket is closed, so the engine hears of the loss
      broker.connectionLost(connection);
    }
  }

  void lost(ConnectionId id) {
    if (clients.remove(id) != null) {
      broker.connectionLost(id);
    }
  }
}
