package dev.stratus.bridge;

import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.io.IOException;
import java.time.InstantSource;
import javax.net.ssl.SSLContext;

/**
 * The real engine with in-memory stores behind the bridge on free loopback ports, wired as
 * BridgeMain wires it; the engine timers run every 100 ms so keepalive and will-delay tests finish
 * quickly.
 */
final class LiveBroker implements AutoCloseable {
  final Bridge bridge;
  final Broker broker;
  final Stores stores = Stores.inMemory();
  private final Thread timers;

  LiveBroker(SSLContext tls) throws IOException {
    BrokerConfig engineConfig = BrokerConfig.development();
    BridgeConfig config =
        BridgeConfig.loopbackDefaults().withMaximumPacketSize(engineConfig.maximumPacketSize());
    if (tls != null) {
      config = config.withTls(tls, 0);
    }
    bridge = new Bridge(config);
    broker =
        new Broker(
            engineConfig,
            stores,
            bridge,
            InstantSource.system(),
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL);
    bridge.start(broker);
    timers =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try {
                    while (true) {
                      Thread.sleep(100);
                      broker.runTimers();
                    }
                  } catch (InterruptedException stop) {
                    // close() ends the loop.
                  }
                });
  }

  int tcp() {
    return bridge.port(Protocol.TCP);
  }

  int tls() {
    return bridge.port(Protocol.TLS);
  }

  int ws() {
    return bridge.port(Protocol.WS);
  }

  @Override
  public void close() {
    timers.interrupt();
    bridge.close();
  }
}
