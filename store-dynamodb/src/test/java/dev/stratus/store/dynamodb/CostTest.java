package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Connect;
import dev.stratus.codec.Disconnect;
import dev.stratus.codec.MqttVersion;
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
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.Harness;
import dev.stratus.core.TestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * DynamoDB request units per MQTT operation, measured from {@code ReturnConsumedCapacity} while the
 * real engine runs on the DynamoDB stores against DynamoDB Local. Writes the table to {@code
 * target/cost-measured.md}; {@code docs/cost.md} explains it. Run alone with {@code mvn -pl
 * store-dynamodb -am test -Dtest=CostTest -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <p>Clients are MQTT 3.1.1 with a 60 s keepalive, payloads 64 bytes, topic {@code
 * sensors/{n}/temp}, subscriptions to {@code sensors/+/temp}, every subscriber online unless told.
 */
class CostTest {
  private static final String PAYLOAD = "x".repeat(64);
  private final CapacityMeter meter = new CapacityMeter();
  private final DynamoDbClient client = LocalDynamo.client(meter);

  /** {@code -Dstratus.cost.deadlinePad=1} measures with padded keepalive deadlines. */
  private static final double PAD =
      Double.parseDouble(System.getProperty("stratus.cost.deadlinePad", "0"));

  private final Harness h =
      new Harness(
          BrokerConfig.development(),
          DynamoDbStores.create(client, LocalDynamo.newPrefix(client), PAD));
  private final Map<String, CapacityMeter.Reading> rows = new LinkedHashMap<>();
  private int ids;

  private CapacityMeter.Reading measure(String operation, Runnable r) {
    CapacityMeter.Reading before = meter.reading();
    r.run();
    CapacityMeter.Reading cost = meter.reading().minus(before);
    rows.put(operation, cost);
    return cost;
  }

  private <T> T measured(String operation, Supplier<T> r) {
    List<T> out = new ArrayList<>(1);
    measure(operation, () -> out.add(r.get()));
    return out.getFirst();
  }

  private TestClient connect(String clientId, boolean clean) {
    TestClient c = h.client(MqttVersion.V3_1_1);
    c.connect(
        new Connect(MqttVersion.V3_1_1, clientId, clean, 60, null, null, null, Properties.NONE));
    c.expectConnAck();
    return c;
  }

  private List<TestClient> subscribers(int n, QoS qos) {
    List<TestClient> subs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TestClient s = connect("s" + ++ids, true);
      s.subscribe("sensors/+/temp", qos);
      subs.add(s);
    }
    return subs;
  }

  private void publish(TestClient p, QoS qos, List<TestClient> subs) {
    String topic = "sensors/" + ++ids + "/temp";
    p.publish(topic, PAYLOAD, qos, false);
    for (TestClient s : subs) {
      Publish got = s.expectPublish(topic, PAYLOAD);
      switch (qos) {
        case AT_MOST_ONCE -> {}
        case AT_LEAST_ONCE -> s.send(new PubAck(got.packetId()));
        case EXACTLY_ONCE -> {
          s.send(new PubRec(got.packetId()));
          assertEquals(got.packetId(), s.expect(PubRel.class).packetId());
          s.send(new PubComp(got.packetId()));
        }
      }
    }
    switch (qos) {
      case AT_MOST_ONCE -> {}
      case AT_LEAST_ONCE -> p.expect(PubAck.class);
      case EXACTLY_ONCE -> {
        int id = p.expect(PubRec.class).packetId();
        p.send(new PubRel(id));
        p.expect(PubComp.class);
      }
    }
  }

  @Test
  void requestUnitsPerOperation() throws IOException {
    // every packet at a later instant, so keepalive deadlines move as they do on a live connection
    h.clock.tickOnEachRead(java.time.Duration.ofMillis(10));
    measured("CONNECT (clean start, new client)", () -> connect("c" + ++ids, true));
    TestClient s = connect("sub", true);
    measure(
        "SUBSCRIBE (one filter, 3 levels)", () -> s.subscribe("sensors/+/temp", QoS.AT_LEAST_ONCE));
    measure(
        "PINGREQ (keepalive)",
        () -> {
          s.send(PingReq.INSTANCE);
          s.expect(PingResp.class);
        });
    TestClient p = connect("pub", true);
    s.send(
        new dev.stratus.codec.Unsubscribe(
            1, List.of(dev.stratus.codec.TopicFilter.of("sensors/+/temp")), Properties.NONE));
    s.drain();

    for (int n : new int[] {1, 100}) {
      for (QoS qos : QoS.values()) {
        List<TestClient> subs = subscribers(n, qos);
        publish(p, qos, subs); // the first publish after the subscribes, not measured
        measure(
            "PUBLISH QoS " + qos.value() + " to " + n + " subscriber" + (n == 1 ? "" : "s"),
            () -> publish(p, qos, subs));
        for (TestClient x : subs) {
          x.send(new Disconnect(ReasonCode.SUCCESS, Properties.NONE));
        }
      }
    }

    TestClient leaving = connect("leaving", true);
    measure(
        "DISCONNECT (clean session)",
        () -> leaving.send(new Disconnect(ReasonCode.SUCCESS, Properties.NONE)));

    TestClient persistent = connect("persistent", false);
    persistent.subscribe("sensors/+/temp", QoS.AT_LEAST_ONCE);
    persistent.send(new Disconnect(ReasonCode.SUCCESS, Properties.NONE));
    for (int i = 0; i < 10; i++) {
      p.publish("sensors/q/temp", PAYLOAD + i, QoS.AT_LEAST_ONCE, false);
      p.expect(PubAck.class);
    }
    measure(
        "reconnect draining 10 queued QoS 1 messages (acks included)",
        () -> {
          TestClient back = connect("persistent", false);
          for (int i = 0; i < 10; i++) {
            back.send(new PubAck(back.expectPublish("sensors/q/temp", PAYLOAD + i).packetId()));
          }
        });

    write();

    // QoS 0 fan-out writes nothing per recipient: the only write is the publisher's deadline
    assertEquals(
        rows.get("PUBLISH QoS 0 to 1 subscriber").write(),
        rows.get("PUBLISH QoS 0 to 100 subscribers").write());
    assertTrue(rows.get("PUBLISH QoS 1 to 100 subscribers").write() >= 100 * 4);
  }

  private void write() throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("| operation | read units | write units | requests | reads reported as 0 |\n");
    md.append("|---|---:|---:|---:|---:|\n");
    rows.forEach(
        (op, r) ->
            md.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %.1f | %.1f | %d | %d |%n",
                    op,
                    r.read(),
                    r.write(),
                    r.requests(),
                    r.emptyReads())));
    Files.createDirectories(Path.of("target"));
    Files.writeString(
        Path.of("target", PAD == 0 ? "cost-measured.md" : "cost-measured-pad-" + PAD + ".md"),
        md.toString());
  }
}
