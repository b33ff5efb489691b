package dev.stratus.core;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A rough measurement of the engine alone (in-memory stores, an {@link Outbound} that only counts),
 * for docs/engine.md: QoS 0 fan-out 1 → 100 and fan-in 1 → 1 on one thread. Not a test; run with
 * {@code java -cp ... dev.stratus.core.EngineThroughput}.
 */
public final class EngineThroughput {
  private EngineThroughput() {}

  /** With the argument {@code acl}: anonymous clients under the default ACL (all may do all). */
  public static void main(String[] args) {
    boolean acl = args.length > 0 && args[0].equals("acl");
    dev.stratus.core.auth.Security security =
        dev.stratus.core.auth.Security.builder(InstantSource.system()).allowAnonymous(true).build();
    LongAdder sent = new LongAdder();
    Outbound counting =
        new Outbound() {
          @Override
          public void send(ConnectionId connection, byte[] packet) {
            sent.increment();
          }

          @Override
          public void close(ConnectionId connection) {}
        };
    for (int subscribers : new int[] {1, 100}) {
      for (QoS qos : new QoS[] {QoS.AT_MOST_ONCE, QoS.AT_LEAST_ONCE}) {
        Broker b =
            new Broker(
                BrokerConfig.development().withV3OutboundWindow(65_535),
                Stores.inMemory(),
                counting,
                InstantSource.system(),
                acl ? security.authenticator() : Authenticator.ALLOW_ALL,
                acl ? security.authorizer() : Authorizer.ALLOW_ALL);
        for (int i = 0; i < subscribers; i++) {
          ConnectionId id = connect(b, "s" + i);
          b.packetReceived(
              id,
              new Subscribe(
                  1,
                  List.of(new TopicSubscription(TopicFilter.of("bench/#"), qos)),
                  Properties.NONE));
        }
        ConnectionId pub = connect(b, "pub");
        Bytes payload = Bytes.wrap(new byte[64]);
        int messages = subscribers == 1 ? 2_000_000 : 100_000;
        // QoS 1 deliveries are never acknowledged here, so bound them by the 65,535 packet ids
        if (qos == QoS.AT_LEAST_ONCE) {
          messages = Math.min(messages, 60_000);
        }
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up
          long before = sent.sum();
          long start = System.nanoTime();
          for (int n = 0; n < messages; n++) {
            b.packetReceived(
                pub,
                new Publish(
                    TopicName.of("bench/t"),
                    qos,
                    false,
                    false,
                    qos == QoS.AT_MOST_ONCE ? 0 : 1 + n % 65_535,
                    payload,
                    Properties.NONE));
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          // a QoS 1 publish also sends its PUBACK to the publisher
          long deliveries = sent.sum() - before - (qos == QoS.AT_MOST_ONCE ? 0 : messages);
          if (round == 1 || qos == QoS.AT_LEAST_ONCE) {
            System.out.printf(
                "1 -> %d subscribers, %s: %.0f publishes/s, %.0f deliveries/s%n",
                subscribers, qos, messages / seconds, deliveries / seconds);
          }
          if (qos == QoS.AT_LEAST_ONCE) {
            break; // a second round would find the packet ids used up
          }
        }
      }
    }
  }

  private static ConnectionId connect(Broker b, String clientId) {
    ConnectionId id = new ConnectionId(clientId);
    b.connectionOpened(new ConnectionInfo(id, "bench", "127.0.0.1:1", null));
    b.packetReceived(
        id, new Connect(MqttVersion.V3_1_1, clientId, true, 0, null, null, null, Properties.NONE));
    return id;
  }
}
