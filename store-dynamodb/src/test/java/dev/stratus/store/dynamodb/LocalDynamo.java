package dev.stratus.store.dynamodb;

import dev.stratus.store.dynamodb.StratusTables.Table;
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
import software.amazon.dynamodb.services.local.embedded.DynamoDBEmbedded;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;
import software.amazon.dynamodb.services.local.shared.access.AmazonDynamoDBLocal;

/**
 * One DynamoDB Local server per test JVM, in memory, on 127.0.0.1 only, telemetry off; stopped by a
 * shutdown hook when the JVM (the surefire fork) exits. Tests isolate themselves by table prefix:
 * {@link #newPrefix} creates a fresh set of tables.
 */
public final class LocalDynamo {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static URI endpoint;

  private LocalDynamo() {}

  public static synchronized URI endpoint() {
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

  private static DynamoDbClient embedded;

  /**
   * A client of an in-process DynamoDB Local without HTTP: several times faster per request than
   * the server, for contract tests that make a hundred thousand requests. It is not an SDK-built
   * client, so interceptors and retry settings do not apply; tests of those use {@link #client}.
   */
  public static synchronized DynamoDbClient embeddedClient() {
    if (embedded == null) {
      AmazonDynamoDBLocal local = DynamoDBEmbedded.create(true);
      Runtime.getRuntime().addShutdownHook(new Thread(local::shutdown));
      embedded = local.dynamoDbClient();
    }
    return embedded;
  }

  /** A client of the local server with the store's retry settings and extra interceptors. */
  public static DynamoDbClient client(ExecutionInterceptor... interceptors) {
    return DynamoDbClients.builder(endpoint(), "us-east-1", true, List.of(interceptors)).build();
  }

  /** A new table prefix with every table created under it. */
  public static String newPrefix(DynamoDbClient client) {
    String prefix = "t" + PREFIXES.incrementAndGet() + "-";
    StratusTables.createAll(client, prefix);
    return prefix;
  }

  /** A new table prefix with only the given tables created. */
  public static String newPrefix(DynamoDbClient client, Table... tables) {
    String prefix = "t" + PREFIXES.incrementAndGet() + "-";
    for (Table t : tables) {
      client.createTable(StratusTables.createRequest(t, prefix));
    }
    return prefix;
  }
}
