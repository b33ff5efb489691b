package dev.stratus.bridge;

import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;

/**
 * {@code ./stratus bridge}: the engine with in-memory state behind the TCP, TLS and WebSocket
 * listeners. Prints one {@code listening ...} line per listener, runs the engine's timers once a
 * second, and on SIGTERM (or Ctrl-C) drains: stops accepting, tells MQTT 5 clients DISCONNECT 0x8B
 * Server shutting down, flushes, closes, and exits 0. Exit code 2 for a bad command line or a
 * listener that cannot bind.
 */
public final class BridgeMain {
  private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
  private static final String CARRIERS_PROPERTY = "jdk.virtualThreadScheduler.parallelism";

  private BridgeMain() {}

  public static void main(String[] args) throws InterruptedException {
    // At least two carrier threads for the virtual threads, even when the task is pinned to one
    // core: virtual threads are not preempted, so with a single carrier a few flooding publishers
    // keep subscribers' writers waiting; two carriers let the OS time-slice between them (QoS 0
    // fan-in on one core: about 33,000 delivered msg/s with one carrier, 120,000 with two; see
    // docs/bridge.md). Must be set before the first virtual thread starts.
    if (System.getProperty(CARRIERS_PROPERTY) == null
        && Runtime.getRuntime().availableProcessors() < 2) {
      System.setProperty(CARRIERS_PROPERTY, "2");
    }
    int status = start(args, System.out, System.err);
    if (status >= 0) {
      System.exit(status);
    }
    // Started: the shutdown hook drains and ends the process with status 0.
    new CountDownLatch(1).await();
  }

  /**
   * Starts the bridge; returns -1 once it runs (the process then lives until a signal), or the exit
   * status when it cannot start or only printed help.
   */
  static int start(String[] args, PrintStream out, PrintStream err) {
    BridgeOptions options;
    try {
      options = BridgeOptions.parse(args);
    } catch (BridgeOptions.UsageException e) {
      err.println("stratus bridge: " + e.getMessage());
      err.println(BridgeOptions.USAGE);
      return 2;
    }
    if (options.help()) {
      out.println(BridgeOptions.USAGE);
      return 0;
    }
    SSLContext tls = null;
    Authenticator authenticator = Authenticator.ALLOW_ALL;
    Authorizer authorizer = Authorizer.ALLOW_ALL;
    try {
      if (options.tlsCert() != null) {
        tls = Tls.serverContext(options.tlsCert(), options.tlsKey());
      }
      if (!options.allowAnonymous()) {
        authenticator = PasswordFile.load(options.passwordFile());
        authorizer = PasswordFile.AUTHENTICATED_MAY_ALL;
      }
    } catch (IOException | GeneralSecurityException e) {
      err.println("stratus bridge: " + e.getMessage());
      return 2;
    }
    BrokerConfig brokerConfig =
        BrokerConfig.defaults()
            .withDevelopmentMode(options.allowAnonymous())
            .withMaxQueuedMessages(options.maxQueuedMessages())
            .withV3OutboundWindow(options.maxInflight());
    String edgeId =
        "bridge-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    BridgeConfig defaults = BridgeConfig.loopbackDefaults();
    BridgeConfig config =
        new BridgeConfig(
            options.host(),
            options.tcpPort(),
            options.tlsPort(),
            options.wsPort(),
            tls,
            edgeId,
            brokerConfig.maximumPacketSize(),
            options.outboundSoftLimit(),
            options.outboundHardLimit(),
            brokerConfig.connectTimeout(),
            defaults.closeGrace());
    Bridge bridge = new Bridge(config);
    Broker broker =
        new Broker(
            brokerConfig,
            Stores.inMemory(),
            bridge,
            InstantSource.system(),
            authenticator,
            authorizer);
    try {
      bridge.start(broker);
    } catch (BindException e) {
      err.println("stratus bridge: cannot listen on " + e.getMessage());
      bridge.close();
      return 2;
    } catch (IOException e) {
      err.println("stratus bridge: " + e.getMessage());
      bridge.close();
      return 2;
    }
    Thread timers =
        Thread.ofPlatform()
            .daemon()
            .name("engine-timers")
            .start(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    try {
                      Thread.sleep(1000);
                      broker.runTimers();
                    } catch (InterruptedException e) {
                      return;
                    } catch (RuntimeException e) {
                      System.getLogger(BridgeMain.class.getName())
                          .log(System.Logger.Level.ERROR, "engine timers failed", e);
                    }
                  }
                });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  timers.interrupt();
                  boolean clean;
                  try {
                    clean = bridge.drain(DRAIN_GRACE);
                  } catch (InterruptedException e) {
                    clean = false;
                  }
                  err.println(
                      "stratus bridge: stopped"
                          + (clean ? "" : " (some connections did not close in time)"));
                  err.flush();
                  out.flush();
                  // A signal would otherwise end the JVM with 128+signal; a completed drain is a
                  // normal stop, so exit 0 (halt: we are already inside the shutdown sequence).
                  Runtime.getRuntime().halt(0);
                },
                "bridge-drain"));
    for (Bridge.Endpoint endpoint : bridge.endpoints()) {
      out.println("listening " + endpoint.describe());
    }
    out.flush();
    return -1;
  }
}
