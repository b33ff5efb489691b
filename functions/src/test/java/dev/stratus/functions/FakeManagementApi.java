package dev.stratus.functions;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stands in for API Gateway's Management API (and a bridge task's internal endpoint) on loopback:
 * {@code POST /{anything}/@connections/{id}} records the body for a connection the test declared
 * live, {@code DELETE} records a close; an undeclared id gets 410 with {@code x-amzn-ErrorType:
 * GoneException}, as API Gateway answers.
 */
final class FakeManagementApi implements AutoCloseable {
  private final HttpServer server;
  private final Set<String> live = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, List<byte[]>> posts = new ConcurrentHashMap<>();
  private final Set<String> deleted = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> throttles =
      new ConcurrentHashMap<>();

  FakeManagementApi() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", this::handle);
    server.start();
  }

  /** The endpoint with a path prefix, e.g. the stage. */
  URI endpoint(String prefix) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + prefix);
  }

  void live(String connectionId) {
    live.add(connectionId);
  }

  /** From now on the connection is unknown: posts to it get 410. */
  void gone(String connectionId) {
    live.remove(connectionId);
  }

  /**
   * The next {@code times} posts to the connection get 429 with {@code x-amzn-ErrorType:
   * LimitExceededException}, as API Gateway throttles.
   */
  void throttle(String connectionId, int times) {
    throttles.put(connectionId, new java.util.concurrent.atomic.AtomicInteger(times));
  }

  /** The bodies posted to a connection since the last call, in order; clears them. */
  List<byte[]> take(String connectionId) {
    synchronized (posts) {
      List<byte[]> l = posts.remove(connectionId);
      return l == null ? List.of() : l;
    }
  }

  boolean deleted(String connectionId) {
    return deleted.contains(connectionId);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    int at = path.indexOf("/@connections/");
    byte[] body = exchange.getRequestBody().readAllBytes();
    if (at < 0) {
      respond(exchange, 404, null);
      return;
    }
    String id =
        URLDecoder.decode(path.substring(at + "/@connections/".length()), StandardCharsets.UTF_8);
    if (!live.contains(id)) {
      respond(exchange, 410, "GoneException");
      return;
    }
    var throttle = throttles.get(id);
    if ("POST".equals(exchange.getRequestMethod())
        && throttle != null
        && throttle.getAndDecrement() > 0) {
      respond(exchange, 429, "LimitExceededException");
      return;
    }
    switch (exchange.getRequestMethod()) {
      case "POST" -> {
        synchronized (posts) {
          posts.computeIfAbsent(id, k -> new ArrayList<>()).add(body);
        }
        respond(exchange, 200, null);
      }
      case "DELETE" -> {
        live.remove(id);
        deleted.add(id);
        respond(exchange, 204, null);
      }
      default -> respond(exchange, 405, null);
    }
  }

  private static void respond(HttpExchange exchange, int status, String errorType)
      throws IOException {
    byte[] json =
        errorType == null ? new byte[0] : "{\"message\":null}".getBytes(StandardCharsets.UTF_8);
    if (errorType != null) {
      exchange.getResponseHeaders().set("x-amzn-ErrorType", errorType);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
    }
    exchange.sendResponseHeaders(status, json.length == 0 ? -1 : json.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(json);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
