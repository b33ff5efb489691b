package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.QoS;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN.md §3.1, the ordering proof: 1,000 QoS 1 publishes from one text-profile client, sent with
 * the sequence prefix through the emulator in concurrent dispatch (a pool of containers,
 * invocations started in parallel with random jitter, so that they really run out of order), arrive
 * at a subscriber on the bridge in the order sent, each once [MQTT-4.6.0-5].
 *
 * <p>Without a sequencer in the handlers this fails: the messages are handled in whatever order the
 * invocations run.
 */
class OrderingProofTest {
  private static final int COUNT = 1000;

  @TempDir Path dataDir;

  @Test
  void a1000QosOnePublishesArriveInOrderEachOnceThroughConcurrentDispatch() throws Exception {
    try (LocalStack stack =
        LocalStack.start(LocalStackTest.options(dataDir, ApiGatewayEmulator.Dispatch.CONCURRENT))) {
      int tcp = LocalStackTest.tcpPort(stack);
      LocalStackTest.BridgeSub sub = LocalStackTest.BridgeSub.of(tcp, "order-sub", "order/#", 1);
      // the subscriber reads as the messages come, as a real one does (its client acknowledges
      // what it has read), while the publisher waits for its acknowledgements
      List<Integer> got = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (got.size() < COUNT) {
                        got.add(Integer.parseInt(sub.next().substring("order/t ".length())));
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    } catch (RuntimeException | AssertionError e) {
                      // reported below by the count
                      System.err.println("subscriber stopped: " + e);
                    }
                  });
      TextClient c = TextClient.connect(stack.emulator().url(), MqttVersion.V5, true);
      c.send(
          new dev.stratus.codec.Connect(
              MqttVersion.V5,
              "order-pub",
              true,
              60,
              null,
              null,
              null,
              dev.stratus.codec.Properties.NONE));
      c.expect(dev.stratus.codec.ConnAck.class);
      long start = System.nanoTime();
      for (int i = 1; i <= COUNT; i++) {
        c.send(LocalStackTest.publish("order/t", Integer.toString(i), QoS.AT_LEAST_ONCE, i, false));
      }
      int acks = 0;
      List<Object> other = new ArrayList<>();
      while (acks < COUNT) {
        Object o = c.poll(java.time.Duration.ofSeconds(120));
        if (o == null) {
          throw new AssertionError(
              acks + " of " + COUNT + " PUBACKs, then nothing for 120 s; also received " + other);
        }
        if (o instanceof PubAck) {
          acks++;
        } else {
          other.add(o);
        }
      }
      System.err.printf(
          "ordering proof: %d PUBACKs in %.1f s%n", COUNT, (System.nanoTime() - start) / 1e9);
      // a bound on waiting, not a timing: the deliveries left the holders before their releases
      reader.join(java.time.Duration.ofSeconds(60));
      assertEquals(COUNT, got.size(), () -> "the subscriber received " + got.size());
      List<Integer> expected = new ArrayList<>();
      for (int i = 1; i <= COUNT; i++) {
        expected.add(i);
      }
      int firstOutOfOrder = -1;
      for (int i = 0; i < COUNT; i++) {
        if (got.get(i) != i + 1) {
          firstOutOfOrder = i;
          break;
        }
      }
      int at = firstOutOfOrder;
      assertEquals(
          -1,
          at,
          () ->
              "out of order from position "
                  + at
                  + ": "
                  + got.subList(Math.max(0, at - 5), Math.min(COUNT, at + 35)));
      assertEquals(expected, got);
      sub.client().disconnect();
      c.close();
    }
  }
}
