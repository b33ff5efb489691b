package dev.stratus.core;

import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.time.InstantSource;
import java.util.List;

/**
 * A rough measurement of the engine's heap per idle connection (in-memory stores, one subscription
 * each), for docs/engine.md. Not a test; run with {@code java -cp ...
 * dev.stratus.core.EngineMemory}.
 */
public final class EngineMemory {
  private EngineMemory() {}

  public static void main(String[] args) throws InterruptedException {
    int clients = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Outbound discard =
        new Outbound() {
          @Override
          public void send(ConnectionId connection, byte[] packet) {}

          @Override
          public void close(ConnectionId connection) {}
        };
    Broker b =
        new Broker(
            BrokerConfig.development(),
            Stores.inMemory(),
            discard,
            InstantSource.system(),
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL);
    long before = usedAfterGc();
    for (int i = 0; i < clients; i++) {
      ConnectionId id = new ConnectionId("bridge-1/" + i);
      b.connectionOpened(new ConnectionInfo(id, "bridge-1", "10.0.0.1:40000", null));
      b.packetReceived(
          id,
          new Connect(
              MqttVersion.V3_1_1, "client-" + i, true, 60, null, null, null, Properties.NONE));
      b.packetReceived(
          id,
          new Subscribe(
              1,
              List.of(
                  new TopicSubscription(
                      TopicFilter.of("devices/" + i + "/cmd"), QoS.AT_LEAST_ONCE)),
              Properties.NONE));
    }
    long after = usedAfterGc();
    System.out.printf(
        "%d connected clients with one subscription each: %.0f bytes of heap per client%n",
        clients, (after - before) / (double) clients);
    // keep the broker reachable until after the measurement
    System.out.println(b.stats().clientsConnected() + " connected");
  }

  private static long usedAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
