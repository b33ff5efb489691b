package dev.stratus.bridge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stratus.core.ConnectionId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A bridge task's internal endpoint: {@code POST|GET|DELETE /@connections/{id}} for the connections
 * this task holds, in the shape of the API Gateway Management API, so that any process delivers to
 * a bridge connection with the same {@code ApiGatewayManagementApiClient} code it uses for an API
 * Gateway connection (only the endpoint differs; see {@link RemoteOutbound}).
 *
 * <ul>
 *   <li>{@code POST}: the body is one or more whole encoded MQTT packets, queued on the socket in
 *       order (the connection's outbound policy applies to each); 200 with an empty body. A body
 *       that does not split into whole packets: 400.
 *   <li>{@code GET}: 200 with {@code {"connectedAt": ISO-8601, "identity": {"sourceIp": ..},
 *       "lastActiveAt": ISO-8601}}: API Gateway's wire names, which the SDK reads as {@code
 *       ConnectedAt}, {@code Identity.SourceIp} and {@code LastActiveAt}.
 *   <li>{@code DELETE}: closes the connection after what was queued before; 204.
 *   <li>An id this task does not hold: 410 with {@code x-amzn-ErrorType: GoneException}, which the
 *       SDK raises as {@code GoneException}, as API Gateway does.
 * </ul>
 *
 * <p>There is no authentication: API Gateway checks SigV4 signatures, this endpoint ignores them.
 * It is meant for a private address that only the broker's own tasks and functions can reach
 * (docs/bridge.md, "Internal endpoint").
 */
public final class InternalEndpoint implements AutoCloseable {
  private static final String PATH = "/@connections/";

  /** API Gateway's own limit on a posted message is 128 KiB; packets are at most 1 MiB here. */
  private static final int MAX_BODY = 16 << 20;

  private final Bridge bridge;
  private final HttpServer server;
  private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();

  private InternalEndpoint(Bridge bridge, HttpServer server) {
    this.bridge = bridge;
    this.server = server;
  }

  /**
   * Binds {@code host:port} (0 = a free port) and starts serving.
   *
   * @throws BindException naming the address, e.g. {@code internal 127.0.0.1:8081: Address already
   *     in use}
   */
  public static InternalEndpoint start(Bridge bridge, String host, int port) throws IOException {
    InetAddress address = InetAddress.getByName(host);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 64);
    } catch (IOException e) {
      BindException named =
          new BindException(
              "internal " + address.getHostAddress() + ":" + port + ": " + e.getMessage());
      named.initCause(e);
      throw named;
    }
    InternalEndpoint endpoint = new InternalEndpoint(bridge, server);
    server.setExecutor(endpoint.handlers);
    server.createContext(PATH, endpoint::handle);
    server.start();
    return endpoint;
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /**
   * The URL other processes reach this endpoint at: {@code http://host:port}. For a wildcard bind
   * address ({@code 0.0.0.0}) that is this host's own address, since a wildcard is no destination.
   */
  public URI url() throws IOException {
    InetSocketAddress a = server.getAddress();
    InetAddress host = a.getAddress();
    if (host.isAnyLocalAddress()) {
      host = InetAddress.getLocalHost();
    }
    String h = host.getHostAddress();
    if (h.indexOf(':') >= 0) {
      h = "[" + h + "]";
    }
    return URI.create("http://" + h + ":" + a.getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String raw = exchange.getRequestURI().getRawPath();
      String encoded = raw.substring(PATH.length());
      if (encoded.isEmpty() || encoded.indexOf('/') >= 0) {
        error(exchange, 404, "NotFoundException", "no such resource");
        return;
      }
      ConnectionId id = new ConnectionId(URLDecoder.decode(encoded, StandardCharsets.UTF_8));
      switch (exchange.getRequestMethod()) {
        case "POST" -> post(exchange, id);
        case "GET" -> get(exchange, id);
        case "DELETE" -> {
          if (bridge.closeHere(id)) {
            exchange.sendResponseHeaders(204, -1);
          } else {
            gone(exchange);
          }
        }
        default -> {
          exchange.getResponseHeaders().set("Allow", "POST, GET, DELETE");
          error(exchange, 405, "MethodNotAllowedException", "method not allowed");
        }
      }
    }
  }

  private void post(HttpExchange exchange, ConnectionId id) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_BODY + 1);
    }
    if (body.length > MAX_BODY) {
      error(exchange, 413, "PayloadTooLargeException", "body above " + MAX_BODY + " bytes");
      return;
    }
    List<byte[]> packets = split(body);
    if (packets == null) {
      error(exchange, 400, "BadRequestException", "the body is not a sequence of whole packets");
      return;
    }
    if (bridge.deliverHere(id, packets)) {
      exchange.sendResponseHeaders(200, -1);
    } else {
      gone(exchange);
    }
  }

  private void get(HttpExchange exchange, ConnectionId id) throws IOException {
    Bridge.ConnectionStatus s = bridge.status(id);
    if (s == null) {
      gone(exchange);
      return;
    }
    String json =
        "{\"connectedAt\":\""
            + iso(s.connectedAt())
            + "\",\"identity\":{\"sourceIp\":\""
            + jsonEscape(s.sourceIp())
            + "\"},\"lastActiveAt\":\""
            + iso(s.lastActiveAt())
            + "\"}";
    respond(exchange, 200, json);
  }

  private static String iso(Instant t) {
    return t.truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /**
   * Splits a body into whole MQTT packets by their fixed headers (type byte, Remaining Length as a
   * variable byte integer of at most four bytes [MQTT-1.5.5-1]), or null when it does not split.
   */
  static List<byte[]> split(byte[] body) {
    List<byte[]> packets = new ArrayList<>(1);
    int at = 0;
    while (at < body.length) {
      int start = at++;
      int length = 0;
      int shift = 0;
      while (true) {
        if (at >= body.length || shift > 21) {
          return null;
        }
        int b = body[at++] & 0xFF;
        length |= (b & 0x7F) << shift;
        shift += 7;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      if (length > body.length - at) {
        return null;
      }
      at += length;
      packets.add(
          start == 0 && at == body.length ? body : java.util.Arrays.copyOfRange(body, start, at));
    }
    return packets.isEmpty() ? null : packets;
  }

  private static void gone(HttpExchange exchange) throws IOException {
    error(exchange, 410, "GoneException", "this task holds no such connection");
  }

  private static void error(HttpExchange exchange, int status, String type, String message)
      throws IOException {
    exchange.getResponseHeaders().set("x-amzn-ErrorType", type);
    respond(exchange, status, "{\"message\":\"" + jsonEscape(message) + "\"}");
  }

  private static void respond(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** Stops at once; requests in progress are cut off. */
  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
  }
}
