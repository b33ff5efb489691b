package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.PubRec;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicName;
import dev.stratus.core.store.InFlightStore;
import dev.stratus.core.store.OutboundFlight;
import dev.stratus.core.store.QueueStore;
import dev.stratus.core.store.QueuedDelivery;
import dev.stratus.core.store.StoreException;
import dev.stratus.core.store.Stores;
import dev.stratus.core.store.memory.MemoryInFlightStore;
import dev.stratus.core.store.memory.MemoryQueueStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A store write that fails (a remote store throttled past its retries) is never acknowledged: no
 * PUBACK or PUBREC for a QoS 1/2 message that was not stored; the connection closes so the client
 * resends after reconnecting.
 */
class StoreFailureTest {

  /** In-memory stores whose queue and packet id allocation fail while {@code failing} is set. */
  private static final class Failing {
    volatile boolean failing;
    final Stores stores;

    Failing() {
      Stores mem = Stores.inMemory();
      InFlightStore inFlight =
          new InFlightStore() {
            final MemoryInFlightStore delegate = new MemoryInFlightStore();

            @Override
            public int allocate(String clientId, OutboundFlight flight) {
              check();
              return delegate.allocate(clientId, flight);
            }

            @Override
            public OutboundFlight get(String clientId, int packetId) {
              return delegate.get(clientId, packetId);
            }

            @Override
            public boolean replace(String clientId, OutboundFlight flight) {
              return delegate.replace(clientId, flight);
            }

            @Override
            public OutboundFlight remove(String clientId, int packetId) {
              return delegate.remove(clientId, packetId);
            }

            @Override
            public List<OutboundFlight> outbound(String clientId) {
              return delegate.outbound(clientId);
            }

            @Override
            public int outboundCount(String clientId) {
              return delegate.outboundCount(clientId);
            }

            @Override
            public boolean addInbound(String clientId, int packetId) {
              return delegate.addInbound(clientId, packetId);
            }

            @Override
            public boolean removeInbound(String clientId, int packetId) {
              return delegate.removeInbound(clientId, packetId);
            }

            @Override
            public int inboundCount(String clientId) {
              return delegate.inboundCount(clientId);
            }

            @Override
            public void clear(String clientId) {
              delegate.clear(clientId);
            }
          };
      QueueStore queues =
          new QueueStore() {
            final MemoryQueueStore delegate = new MemoryQueueStore();

            @Override
            public boolean offer(String clientId, QueuedDelivery d, int capacity) {
              check();
              return delegate.offer(clientId, d, capacity);
            }

            @Override
            public List<QueuedDelivery> poll(String clientId, int max) {
              return delegate.poll(clientId, max);
            }

            @Override
            public int size(String clientId) {
              return delegate.size(clientId);
            }

            @Override
            public void clear(String clientId) {
              delegate.clear(clientId);
            }
          };
      stores =
          new Stores(
              mem.sessions(),
              mem.subscriptions(),
              mem.retained(),
              inFlight,
              queues,
              mem.connections());
    }

    void check() {
      if (failing) {
        throw new StoreException("injected: write throttled");
      }
    }
  }

  private final Failing failing = new Failing();
  private final Harness h = new Harness(BrokerConfig.development(), failing.stores);

  private Publish qosPublish(int packetId, QoS qos, boolean dup) {
    return new Publish(
        TopicName.of("t"), qos, false, dup, packetId, Bytes.utf8("m"), Properties.NONE);
  }

  @Test
  @DisplayName("QoS 1: a delivery that could not be stored gets no PUBACK; the connection closes")
  void qos1NotAcknowledged() {
    TestClient s = h.connected(V3_1_1, "s");
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    TestClient p = h.connected(V5, "p");
    failing.failing = true;
    p.send(qosPublish(1, QoS.AT_LEAST_ONCE, false));
    p.expectDisconnect(ReasonCode.UNSPECIFIED_ERROR);
    s.expectNothing();

    // the client resends on reconnect [MQTT-4.4.0-1]; now the store works and it is acknowledged
    failing.failing = false;
    TestClient again = h.connected(V5, "p");
    again.send(qosPublish(1, QoS.AT_LEAST_ONCE, true));
    assertEquals(1, again.expect(PubAck.class).packetId());
    s.expectPublish("t", "m");
  }

  @Test
  @DisplayName("QoS 2: no PUBREC for an unstored message, and the resent PUBLISH is routed")
  void qos2NotAcknowledgedAndRoutedOnResend() {
    TestClient s = h.connected(V3_1_1, "s");
    s.subscribe("t", QoS.EXACTLY_ONCE);
    TestClient p = h.connected(V3_1_1, "p");
    failing.failing = true;
    p.send(qosPublish(7, QoS.EXACTLY_ONCE, false));
    assertTrue(p.drain().isEmpty(), "nothing may acknowledge an unstored QoS 2 message");
    p.expectClosed();
    s.expectNothing();
    assertEquals(0, h.stores.inFlight().inboundCount("p"));

    failing.failing = false;
    TestClient again = h.client(V3_1_1);
    again.connect("p", false);
    again.expectConnAck();
    again.send(qosPublish(7, QoS.EXACTLY_ONCE, true));
    assertEquals(7, again.expect(PubRec.class).packetId());
    s.expectPublish("t", "m");
  }

  @Test
  @DisplayName("[MQTT-3.1.2-23] a session past its expiry is not resumed, even before the sweep")
  void expiredSessionIsNotResumedBeforeTheSweeper() {
    TestClient c = h.client(V5);
    c.connect(
        ConnectTest.connect(
            V5, "e", false, 0, Properties.builder().sessionExpiryInterval(10L).build()));
    c.expectConnAck();
    c.subscribe("t", QoS.AT_LEAST_ONCE);
    c.drop();
    h.clock.advance(Duration.ofSeconds(11)); // no runTimers(): the sweeper has not run
    TestClient back = h.client(V5);
    back.connect(
        ConnectTest.connect(
            V5, "e", false, 0, Properties.builder().sessionExpiryInterval(10L).build()));
    assertFalse(back.expectConnAck().sessionPresent());
    assertTrue(h.stores.subscriptions().forClient("e").isEmpty());
  }
}
