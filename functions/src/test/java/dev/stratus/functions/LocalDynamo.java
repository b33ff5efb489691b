package dev.stratus.functions;

import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * One DynamoDB Local server per test JVM, in memory, on 127.0.0.1 only, telemetry off; stopped by a
 * shutdown hook when the JVM (the surefire fork) exits. Tests isolate themselves by table prefix:
 * {@link #newPrefix} creates a fresh set of tables. (The pattern of store-dynamodb's test helper.)
 */
final class LocalDynamo {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static URI endpoint;

  private LocalDynamo() {}

  static synchronized URI endpoint() {
    if (endpoint == null) {
      int port = freePort();
      try {
        DynamoDBProxyServer server =
            ServerRunner.createServerFromCommandLineArgs(
                new String[] {
                  "-inMemory", "-sharedDb", "-disableTelemetry", "-port", Integer.toString(port)
                });
        bindToLoopback(server);
        server.start();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        server.stop();
                      } catch (Exception ignored) {
                        // the JVM is exiting; the socket goes with it
                      }
                    }));
      } catch (Exception e) {
        throw new IllegalStateException("DynamoDB Local did not start", e);
      }
      endpoint = URI.create("http://127.0.0.1:" + port);
    }
    return endpoint;
  }

  /** DynamoDB Local binds every interface; the tests keep to loopback. */
  private static void bindToLoopback(DynamoDBProxyServer proxy)
      throws ReflectiveOperationException {
    Field f = DynamoDBProxyServer.class.getDeclaredField("server");
    f.setAccessible(true);
    Server jetty = (Server) f.get(proxy);
    for (var c : jetty.getConnectors()) {
      ((ServerConnector) c).setHost("127.0.0.1");
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A client of the local server with the store's retry settings and extra interceptors. */
  static DynamoDbClient client(ExecutionInterceptor... interceptors) {
    return DynamoDbClients.builder(endpoint(), "us-east-1", true, List.of(interceptors)).build();
  }

  /** A new table prefix with every table created under it. */
  static String newPrefix(DynamoDbClient client) {
    String prefix = "t" + PREFIXES.incrementAndGet() + "-";
    StratusTables.createAll(client, prefix);
    return prefix;
  }
}
