package dev.stratus.local;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local as an HTTP server on 127.0.0.1, for local development and tests: one shared
 * database for every client whatever its credentials and region ({@code -sharedDb}), so that
 * bridges, the local stack and the AWS CLI see the same tables; kept in {@code dataDir}, or in
 * memory.
 *
 * <p>DynamoDB Local keeps tables in SQLite through sqlite4java, which loads a native library from
 * the directory named by {@code sqlite4java.library.path}. This module's jar carries the libraries
 * under {@code native/}; unless that property is already set, they are extracted to a temporary
 * directory (deleted when the JVM exits) and the property set, before the first server starts.
 */
public final class DynamoDbLocalServer implements AutoCloseable {
  private static final String LIBRARY_PATH = "sqlite4java.library.path";
  private static final List<String> NATIVE_LIBRARIES =
      List.of(
          "libsqlite4java-linux-amd64.so", "libsqlite4java-osx.dylib", "sqlite4java-win32-x64.dll");

  private final DynamoDBProxyServer server;
  private final int port;

  private DynamoDbLocalServer(DynamoDBProxyServer server, int port) {
    this.server = server;
    this.port = port;
  }

  /**
   * Starts a server on {@code 127.0.0.1:port} (0 = a free port).
   *
   * @param dataDir where the database file lives (created if missing), or null for memory only
   * @throws BindException when the port is taken, naming it
   */
  public static DynamoDbLocalServer start(int port, Path dataDir) throws IOException {
    nativeLibraries();
    List<String> args = new ArrayList<>(List.of("-sharedDb", "-disableTelemetry"));
    // DynamoDB Local refuses port 0; the connector is given the real port (0 included) below.
    args.addAll(List.of("-port", "8000"));
    if (dataDir == null) {
      args.add("-inMemory");
    } else {
      Files.createDirectories(dataDir);
      args.addAll(List.of("-dbPath", dataDir.toAbsolutePath().toString()));
    }
    DynamoDBProxyServer proxy;
    ServerConnector connector;
    try {
      proxy = ServerRunner.createServerFromCommandLineArgs(args.toArray(String[]::new));
      connector = loopbackConnector(proxy, port);
    } catch (Exception e) {
      throw new IOException("DynamoDB Local did not start: " + e.getMessage(), e);
    }
    try {
      proxy.start();
    } catch (Exception e) {
      stopQuietly(proxy);
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BindException) {
          BindException named =
              new BindException("dynamodb 127.0.0.1:" + port + ": " + t.getMessage());
          named.initCause(e);
          throw named;
        }
      }
      throw new IOException("DynamoDB Local did not start: " + e.getMessage(), e);
    }
    return new DynamoDbLocalServer(proxy, connector.getLocalPort());
  }

  /**
   * DynamoDB Local binds every interface and has no option to choose one: set the host on its Jetty
   * connector before it starts, so that nothing but this machine can reach it.
   */
  private static ServerConnector loopbackConnector(DynamoDBProxyServer proxy, int port)
      throws ReflectiveOperationException {
    Field f = DynamoDBProxyServer.class.getDeclaredField("server");
    f.setAccessible(true);
    Server jetty = (Server) f.get(proxy);
    ServerConnector first = null;
    for (Connector c : jetty.getConnectors()) {
      ServerConnector sc = (ServerConnector) c;
      sc.setHost("127.0.0.1");
      sc.setPort(port);
      if (first == null) {
        first = sc;
      }
    }
    if (first == null) {
      throw new IllegalStateException("DynamoDB Local has no connector");
    }
    return first;
  }

  private static synchronized void nativeLibraries() throws IOException {
    if (System.getProperty(LIBRARY_PATH) != null) {
      return;
    }
    Path dir = Files.createTempDirectory("stratus-sqlite4java");
    dir.toFile().deleteOnExit();
    for (String name : NATIVE_LIBRARIES) {
      try (InputStream in = DynamoDbLocalServer.class.getResourceAsStream("/native/" + name)) {
        if (in == null) {
          continue; // a build without this platform's library
        }
        Path file = dir.resolve(name);
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        file.toFile().deleteOnExit();
      }
    }
    System.setProperty(LIBRARY_PATH, dir.toString());
  }

  private static void stopQuietly(DynamoDBProxyServer proxy) {
    try {
      proxy.stop();
    } catch (Exception ignored) {
      // it did not start; nothing is listening
    }
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Stops the server; with a data directory, the tables stay there for the next start. */
  @Override
  public void close() {
    stopQuietly(server);
  }
}
