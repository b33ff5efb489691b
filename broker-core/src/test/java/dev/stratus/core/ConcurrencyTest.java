package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.Packet;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several connections publish at once, as an edge's threads do: every subscriber gets every message
 * exactly once, per publisher in order [MQTT-4.6.0-5], with distinct packet ids in flight.
 */
class ConcurrencyTest {

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentPublishersReachEverySubscriberInOrder() throws Exception {
    Harness h =
        new Harness(
            BrokerConfig.development().withV3OutboundWindow(65_535).withMaxQueuedMessages(100_000));
    int publishers = 4;
    int perPublisher = 2_000;
    List<TestClient> subs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TestClient s = h.connected(V3_1_1, "s" + i);
      s.subscribe("load/#", QoS.AT_LEAST_ONCE);
      subs.add(s);
    }
    List<TestClient> pubs = new ArrayList<>();
    for (int i = 0; i < publishers; i++) {
      pubs.add(h.connected(V3_1_1, "p" + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(publishers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < publishers; i++) {
        TestClient p = pubs.get(i);
        String topic = "load/" + i;
        done.add(
            pool.submit(
                () -> {
                  for (int n = 0; n < perPublisher; n++) {
                    p.publish(topic, Integer.toString(n), QoS.AT_LEAST_ONCE, false);
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    for (TestClient p : pubs) {
      assertEquals(perPublisher, p.drain().stream().filter(x -> x instanceof PubAck).count());
    }
    for (TestClient s : subs) {
      Map<String, Integer> next = new HashMap<>();
      java.util.Set<Integer> ids = new java.util.HashSet<>();
      for (Packet pk : s.drain()) {
        Publish p = (Publish) pk;
        int expected = next.getOrDefault(p.topic().value(), 0);
        assertEquals(expected, Integer.parseInt(p.payload().asUtf8()), "order on " + p.topic());
        next.put(p.topic().value(), expected + 1);
        assertEquals(true, ids.add(p.packetId()), "packet id reused while in flight");
      }
      for (int i = 0; i < publishers; i++) {
        assertEquals(perPublisher, next.get("load/" + i));
      }
    }
  }
}
