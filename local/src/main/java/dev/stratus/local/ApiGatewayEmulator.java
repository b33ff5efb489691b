package dev.stratus.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * An API Gateway WebSocket API on 127.0.0.1, for local development and tests: a real RFC 6455
 * server that turns each connection's life into the event JSON API Gateway sends to Lambda ({@code
 * $connect}, {@code $default}, {@code $disconnect}, in the shape AWS documents for WebSocket APIs,
 * close code included) and invokes the real handler classes' {@code handleRequest} with it; and, on
 * the same port, the Management API ({@code POST|GET|DELETE /{stage}/@connections/{id}}) so that
 * the AWS SDK's {@code ApiGatewayManagementApiClient} works against it unchanged.
 *
 * <p>Faithful to the service's documented limits by default: a binary frame closes the connection
 * with 1003 (API Gateway accepts only text), a frame over 32 KB or a message over 128 KB with 1009,
 * an idle connection is closed after 10 minutes and every connection after 2 hours (both 1001); a
 * non-2xx answer from {@code $connect} refuses the upgrade with that status, and the subprotocol
 * {@code $connect} returns in {@code Sec-WebSocket-Protocol} is the one the handshake selects.
 *
 * <p><b>Dispatch.</b> {@link Dispatch#SEQUENTIAL} invokes one connection's {@code $default} events
 * one after another, in arrival order. {@link Dispatch#CONCURRENT} invokes them in parallel, as API
 * Gateway may (it guarantees no order between invocations): each event goes to a free "container"
 * of a pool after a random delay of up to {@code maxJitter}, so that a later message really can be
 * handled before an earlier one. A container is one set of handler instances built by the supplier,
 * used by one invocation at a time, as a Lambda container is; the pool grows up to {@code
 * containers} instances.
 */
public final class ApiGatewayEmulator implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ApiGatewayEmulator.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final DateTimeFormatter REQUEST_TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
  private static final int MAX_HEADER_BYTES = 16 * 1024;

  /** API Gateway's WebSocket frame limit: 32 KB. */
  public static final int MAX_FRAME_BYTES = 32 * 1024;

  /** API Gateway's WebSocket message limit: 128 KB. */
  public static final int MAX_MESSAGE_BYTES = 128 * 1024;

  /** How one connection's {@code $default} events are invoked. */
  public enum Dispatch {
    SEQUENTIAL,
    CONCURRENT;

    /** {@code sequential} or {@code concurrent}. */
    public static Dispatch parse(String s) {
      return switch (s) {
        case "sequential" -> SEQUENTIAL;
        case "concurrent" -> CONCURRENT;
        default ->
            throw new IllegalArgumentException(
                "dispatch must be sequential or concurrent, not '" + s + "'");
      };
    }
  }

  /** The three route integrations of one Lambda container. */
  public record Container(
      RequestStreamHandler connect, RequestStreamHandler message, RequestStreamHandler disconnect) {
    public Container {
      Objects.requireNonNull(connect, "connect");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(disconnect, "disconnect");
    }
  }

  /**
   * @param stage the stage name, the first path segment of the URL and the Management API
   * @param dispatch how one connection's messages are invoked
   * @param containers the most containers (handler sets) invoked at once
   * @param maxJitter the largest random delay before a concurrent invocation
   * @param idleTimeout a connection with no message either way this long is closed (1001)
   * @param maxConnectionAge every connection is closed this long after it opened (1001)
   */
  public record Settings(
      String stage,
      Dispatch dispatch,
      int containers,
      Duration maxJitter,
      Duration idleTimeout,
      Duration maxConnectionAge) {
    public Settings {
      if (stage == null || !stage.matches("[A-Za-z0-9_-]{1,128}")) {
        throw new IllegalArgumentException("stage: letters, digits, '_' and '-' only");
      }
      Objects.requireNonNull(dispatch, "dispatch");
      if (containers < 1) {
        throw new IllegalArgumentException("containers must be at least 1");
      }
      if (idleTimeout.isNegative() || idleTimeout.isZero()) {
        throw new IllegalArgumentException("the idle timeout must be positive");
      }
      if (maxConnectionAge.isNegative() || maxConnectionAge.isZero()) {
        throw new IllegalArgumentException("the maximum connection age must be positive");
      }
    }

    /** API Gateway's limits: 10 minutes idle, 2 hours in all; 8 containers, 5 ms jitter. */
    public static Settings defaults() {
      return new Settings(
          "local",
          Dispatch.SEQUENTIAL,
          8,
          Duration.ofMillis(5),
          Duration.ofMinutes(10),
          Duration.ofHours(2));
    }

    public Settings withStage(String s) {
      return new Settings(s, dispatch, containers, maxJitter, idleTimeout, maxConnectionAge);
    }

    public Settings withDispatch(Dispatch d) {
      return new Settings(stage, d, containers, maxJitter, idleTimeout, maxConnectionAge);
    }

    public Settings withContainers(int n, Duration jitter) {
      return new Settings(stage, dispatch, n, jitter, idleTimeout, maxConnectionAge);
    }

    public Settings withTimeouts(Duration idle, Duration age) {
      return new Settings(stage, dispatch, containers, maxJitter, idle, age);
    }
  }

  private final ServerSocket server;
  private final Settings settings;
  private final String apiId;
  private final Supplier<Container> containerFactory;
  private final LinkedBlockingQueue<Container> idleContainers = new LinkedBlockingQueue<>();
  private final AtomicInteger containersBuilt = new AtomicInteger();
  private final Map<String, WsConnection> connections = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong invocations = new AtomicLong();
  private final SecureRandom random = new SecureRandom();
  private final Thread acceptor;
  private final Thread reaper;

  private ApiGatewayEmulator(
      ServerSocket server, Settings settings, Supplier<Container> containerFactory) {
    this.server = server;
    this.settings = settings;
    this.containerFactory = containerFactory;
    this.apiId = randomId(5).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "x");
    this.acceptor = Thread.ofPlatform().daemon().name("apigw-accept").unstarted(this::acceptLoop);
    this.reaper = Thread.ofPlatform().daemon().name("apigw-timeouts").unstarted(this::reapLoop);
  }

  /**
   * Listens on {@code host:port} (0 = a free port).
   *
   * @param containers builds one container's handlers; called at most {@code settings.containers()}
   *     times, when every container built so far is busy
   * @throws BindException when the port is taken, naming it
   */
  public static ApiGatewayEmulator start(
      String host, int port, Settings settings, Supplier<Container> containers) throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 256);
    } catch (BindException e) {
      socket.close();
      BindException named = new BindException("apigw " + host + ":" + port + ": " + e.getMessage());
      named.initCause(e);
      throw named;
    }
    ApiGatewayEmulator emulator = new ApiGatewayEmulator(socket, settings, containers);
    emulator.acceptor.start();
    emulator.reaper.start();
    return emulator;
  }

  public int port() {
    return server.getLocalPort();
  }

  public Settings settings() {
    return settings;
  }

  /** What clients connect to: {@code ws://127.0.0.1:PORT/STAGE}. */
  public URI url() {
    return URI.create("ws://" + hostPort() + "/" + settings.stage());
  }

  /** The Management API endpoint, API Gateway's callback URL: {@code http://HOST:PORT/STAGE}. */
  public URI callbackUrl() {
    return URI.create("http://" + hostPort() + "/" + settings.stage());
  }

  /** The number of open connections. */
  public int connectionCount() {
    return connections.size();
  }

  /** The number of handler invocations so far. */
  public long invocations() {
    return invocations.get();
  }

  private String hostPort() {
    InetAddress a = server.getInetAddress();
    String host = a.getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return host + ":" + port();
  }

  // ---- accepting -------------------------------------------------------------------------------

  private void acceptLoop() {
    while (!closed.get()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          LOG.log(System.Logger.Level.WARNING, "accept failed", e);
        }
        return;
      }
      Thread.ofVirtual().name("apigw-conn").start(() -> serve(s));
    }
  }

  /** One TCP connection: a WebSocket upgrade, or Management API requests (keep-alive). */
  private void serve(Socket s) {
    try {
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      while (true) {
        HttpRequest request = HttpRequest.read(in);
        if (request == null) {
          break;
        }
        if ("websocket".equalsIgnoreCase(request.header("upgrade"))) {
          upgrade(s, in, out, request);
          return; // the connection's reader owns the socket now
        }
        boolean keepAlive = managementApi(request, in, out);
        if (!keepAlive) {
          break;
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "connection failed", e);
    }
    closeQuietly(s);
  }

  // ---- the Management API ----------------------------------------------------------------------

  /** Serves one request; returns whether the TCP connection stays open for the next. */
  private boolean managementApi(HttpRequest request, InputStream in, OutputStream out)
      throws IOException {
    long length = request.contentLength();
    if (length < 0 || request.header("transfer-encoding") != null) {
      respond(out, 411, "LengthRequiredException", "a Content-Length is required", false);
      return false;
    }
    if (length > MAX_MESSAGE_BYTES + 1024L) {
      respond(out, 413, "PayloadTooLargeException", "the message exceeds 128 KB", false);
      return false;
    }
    byte[] body = in.readNBytes((int) length);
    if (body.length != length) {
      return false;
    }
    boolean keepAlive = !"close".equalsIgnoreCase(request.header("connection"));
    String path = percentDecode(request.path());
    String prefix = "/" + settings.stage() + "/@connections/";
    if (!path.startsWith(prefix) || path.length() == prefix.length()) {
      respond(out, 403, "ForbiddenException", "Forbidden", keepAlive);
      return keepAlive;
    }
    String id = path.substring(prefix.length());
    WsConnection c = connections.get(id);
    if (c == null || c.closed.get()) {
      // API Gateway's answer for a connection that is not (or no longer) open
      respond(out, 410, "GoneException", null, keepAlive);
      return keepAlive;
    }
    switch (request.method()) {
      case "POST" -> {
        if (body.length > MAX_MESSAGE_BYTES) {
          respond(out, 413, "PayloadTooLargeException", "the message exceeds 128 KB", keepAlive);
          return keepAlive;
        }
        try {
          c.sendText(body);
        } catch (IOException e) {
          respond(out, 410, "GoneException", null, keepAlive);
          return keepAlive;
        }
        respondJson(out, 200, null, keepAlive);
      }
      case "GET" -> {
        ObjectNode info = JSON.createObjectNode();
        info.put("connectedAt", c.connectedAt.toString());
        ObjectNode identity = info.putObject("identity");
        identity.put("sourceIp", c.sourceIp);
        if (c.userAgent != null) {
          identity.put("userAgent", c.userAgent);
        }
        info.put("lastActiveAt", Instant.ofEpochMilli(c.lastActive.get()).toString());
        respondJson(out, 200, info, keepAlive);
      }
      case "DELETE" -> {
        c.closeByServer(1000, "");
        respond(out, 204, null, null, keepAlive);
      }
      default -> respond(out, 405, "MethodNotAllowedException", "use POST, GET or DELETE", false);
    }
    return keepAlive;
  }

  private static void respond(
      OutputStream out, int status, String errorType, String message, boolean keepAlive)
      throws IOException {
    byte[] body = new byte[0];
    StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " " + reason(status) + "\r\n");
    if (errorType != null) {
      // The AWS SDK's REST-JSON protocol reads the error type from this header
      head.append("x-amzn-ErrorType: ").append(errorType).append("\r\n");
      ObjectNode json = JSON.createObjectNode();
      if (message == null) {
        json.putNull("message");
      } else {
        json.put("message", message);
      }
      body = JSON.writeValueAsBytes(json);
      head.append("Content-Type: application/json\r\n");
    }
    head.append("x-amzn-RequestId: ").append(UUID.randomUUID()).append("\r\n");
    head.append("Content-Length: ").append(body.length).append("\r\n");
    head.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  private static void respondJson(OutputStream out, int status, JsonNode json, boolean keepAlive)
      throws IOException {
    byte[] body = json == null ? new byte[0] : JSON.writeValueAsBytes(json);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + reason(status)
            + "\r\nx-amzn-RequestId: "
            + UUID.randomUUID()
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length
            + "\r\nConnection: "
            + (keepAlive ? "keep-alive" : "close")
            + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 101 -> "Switching Protocols";
      case 200 -> "OK";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 410 -> "Gone";
      case 411 -> "Length Required";
      case 413 -> "Payload Too Large";
      case 426 -> "Upgrade Required";
      case 500 -> "Internal Server Error";
      default -> "Status";
    };
  }

  // ---- the WebSocket handshake and $connect ----------------------------------------------------

  private void upgrade(Socket s, InputStream in, OutputStream out, HttpRequest request)
      throws IOException {
    String key = request.header("sec-websocket-key");
    String pathOnly = percentDecode(request.path());
    if (!"GET".equals(request.method())
        || key == null
        || !"13".equals(request.header("sec-websocket-version"))) {
      respond(out, 400, "BadRequestException", "not a WebSocket handshake (RFC 6455)", false);
      closeQuietly(s);
      return;
    }
    if (!pathOnly.equals("/" + settings.stage())
        && !pathOnly.equals("/" + settings.stage() + "/")) {
      respond(out, 403, "ForbiddenException", "Forbidden", false);
      closeQuietly(s);
      return;
    }
    String sourceIp = s.getInetAddress().getHostAddress();
    WsConnection c = new WsConnection(s, in, out, newConnectionId(), sourceIp, request);
    ObjectNode event = c.event("$connect", "CONNECT");
    ObjectNode headers = event.putObject("headers");
    ObjectNode multi = event.putObject("multiValueHeaders");
    Map<String, List<String>> all = new LinkedHashMap<>(request.headers());
    all.put(
        "X-Amzn-Trace-Id",
        List.of(
            "Root=1-" + Long.toHexString(System.currentTimeMillis() / 1000) + "-" + randomHex(12)));
    all.put("X-Forwarded-For", List.of(sourceIp));
    all.put("X-Forwarded-Port", List.of(String.valueOf(port())));
    all.put("X-Forwarded-Proto", List.of("http"));
    for (Map.Entry<String, List<String>> h : all.entrySet()) {
      List<String> values = h.getValue();
      headers.put(h.getKey(), values.get(values.size() - 1));
      ArrayNode arr = multi.putArray(h.getKey());
      values.forEach(arr::add);
    }
    Map<String, List<String>> query = request.query();
    if (!query.isEmpty()) {
      ObjectNode q = event.putObject("queryStringParameters");
      ObjectNode mq = event.putObject("multiValueQueryStringParameters");
      for (Map.Entry<String, List<String>> p : query.entrySet()) {
        q.put(p.getKey(), p.getValue().get(p.getValue().size() - 1));
        ArrayNode arr = mq.putArray(p.getKey());
        p.getValue().forEach(arr::add);
      }
    }
    event.put("isBase64Encoded", false);
    JsonNode response;
    try {
      response = invoke(Container::connect, event);
    } catch (RuntimeException | IOException e) {
      LOG.log(System.Logger.Level.ERROR, "$connect failed for " + c.id, e);
      respond(out, 500, "InternalServerErrorException", "Internal server error", false);
      closeQuietly(s);
      return;
    }
    int status = response.path("statusCode").asInt(200);
    if (status < 200 || status > 299) {
      // A non-2xx integration response rejects the upgrade with that status (and its body)
      byte[] body =
          response.hasNonNull("body")
              ? response.get("body").asText().getBytes(StandardCharsets.UTF_8)
              : new byte[0];
      String head =
          "HTTP/1.1 "
              + status
              + " "
              + reason(status)
              + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
              + body.length
              + "\r\nConnection: close\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      closeQuietly(s);
      return;
    }
    String subprotocol = null;
    JsonNode rh = response.path("headers");
    for (var it = rh.fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().equalsIgnoreCase("sec-websocket-protocol")) {
        subprotocol = e.getValue().asText();
      }
    }
    String accept;
    try {
      accept =
          Base64.getEncoder()
              .encodeToString(
                  MessageDigest.getInstance("SHA-1")
                      .digest((key.trim() + WS_GUID).getBytes(StandardCharsets.ISO_8859_1)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JDK", e);
    }
    StringBuilder head =
        new StringBuilder(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
    head.append("Sec-WebSocket-Accept: ").append(accept).append("\r\n");
    if (subprotocol != null) {
      head.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
    }
    head.append("\r\n");
    synchronized (c.writeLock) {
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }
    connections.put(c.id, c);
    c.readLoop();
  }

  // ---- invoking the handlers -------------------------------------------------------------------

  private interface Route {
    RequestStreamHandler of(Container c);
  }

  private JsonNode invoke(Route route, ObjectNode event) throws IOException {
    Container container = borrow();
    try {
      invocations.incrementAndGet();
      byte[] input = JSON.writeValueAsBytes(event);
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      String requestId = event.path("requestContext").path("requestId").asText();
      route
          .of(container)
          .handleRequest(
              new java.io.ByteArrayInputStream(input),
              output,
              new LambdaContext(
                  requestId,
                  "stratus-"
                      + event
                          .path("requestContext")
                          .path("eventType")
                          .asText()
                          .toLowerCase(Locale.ROOT)));
      byte[] bytes = output.toByteArray();
      return bytes.length == 0 ? JSON.createObjectNode() : JSON.readTree(bytes);
    } finally {
      idleContainers.add(container);
    }
  }

  private Container borrow() {
    Container c = idleContainers.poll();
    if (c != null) {
      return c;
    }
    if (containersBuilt.incrementAndGet() <= settings.containers()) {
      try {
        return containerFactory.get();
      } catch (RuntimeException e) {
        containersBuilt.decrementAndGet();
        throw e;
      }
    }
    containersBuilt.decrementAndGet();
    try {
      return idleContainers.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a container", e);
    }
  }

  // ---- timeouts --------------------------------------------------------------------------------

  private void reapLoop() {
    long tick =
        Math.max(
            20,
            Math.min(
                1000,
                Math.min(settings.idleTimeout().toMillis(), settings.maxConnectionAge().toMillis())
                    / 4));
    while (!closed.get()) {
      try {
        Thread.sleep(tick);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.currentTimeMillis();
      for (WsConnection c : connections.values()) {
        if (now - c.connectedAtMillis >= settings.maxConnectionAge().toMillis()) {
          c.closeByServer(1001, "Going away");
        } else if (now - c.lastActive.get() >= settings.idleTimeout().toMillis()) {
          c.closeByServer(1001, "Going away");
        }
      }
    }
  }

  // ---- one WebSocket connection ----------------------------------------------------------------

  private final class WsConnection {
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final String id;
    final String sourceIp;
    final String userAgent;
    final String host;
    final long connectedAtMillis = System.currentTimeMillis();
    final Instant connectedAt = Instant.ofEpochMilli(connectedAtMillis);
    final AtomicLong lastActive = new AtomicLong(connectedAtMillis);
    final AtomicBoolean closed = new AtomicBoolean();
    final Object writeLock = new Object();
    final AtomicInteger inFlight = new AtomicInteger();

    WsConnection(
        Socket socket,
        InputStream in,
        OutputStream out,
        String id,
        String sourceIp,
        HttpRequest request) {
      this.socket = socket;
      this.in = in;
      this.out = out;
      this.id = id;
      this.sourceIp = sourceIp;
      this.userAgent = request.header("user-agent");
      String h = request.header("host");
      this.host = h == null ? hostPort() : h;
    }

    /** The common part of every event: requestContext as API Gateway fills it. */
    ObjectNode event(String routeKey, String eventType) {
      long now = System.currentTimeMillis();
      ObjectNode event = JSON.createObjectNode();
      ObjectNode ctx = event.putObject("requestContext");
      ctx.put("routeKey", routeKey);
      ctx.put("eventType", eventType);
      ctx.put("extendedRequestId", randomId(12));
      ctx.put("requestTime", REQUEST_TIME.format(Instant.ofEpochMilli(now)));
      ctx.put("messageDirection", "IN");
      ctx.put("stage", settings.stage());
      ctx.put("connectedAt", connectedAtMillis);
      ctx.put("requestTimeEpoch", now);
      ObjectNode identity = ctx.putObject("identity");
      if (userAgent != null) {
        identity.put("userAgent", userAgent);
      }
      identity.put("sourceIp", sourceIp);
      ctx.put("requestId", randomId(12));
      ctx.put("domainName", host);
      ctx.put("connectionId", id);
      ctx.put("apiId", apiId);
      return event;
    }

    void readLoop() {
      int closeCode = 1006;
      String closeReason = "";
      ByteArrayOutputStream message = null;
      try {
        while (true) {
          int b0 = in.read();
          int b1 = in.read();
          if (b0 < 0 || b1 < 0) {
            throw new EOFException();
          }
          boolean fin = (b0 & 0x80) != 0;
          int opcode = b0 & 0x0F;
          boolean masked = (b1 & 0x80) != 0;
          long len = b1 & 0x7F;
          if (len == 126) {
            len = ((long) readByte() << 8) | readByte();
          } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
              len = (len << 8) | readByte();
            }
          }
          if (!masked || (b0 & 0x70) != 0) {
            // RFC 6455 §5.1: a client masks every frame; no extension was negotiated
            closeByServer(1002, "Protocol error");
            return;
          }
          if (opcode >= 8 && (len > 125 || !fin)) {
            closeByServer(1002, "Protocol error");
            return;
          }
          if (opcode == 2) {
            // API Gateway WebSocket APIs take text only: a binary frame closes with 1003
            closeByServer(1003, "Unsupported data");
            return;
          }
          if (len > MAX_FRAME_BYTES) {
            // API Gateway: "WebSocket frame size: 32 KB"
            closeByServer(1009, "Message too big");
            return;
          }
          byte[] mask = in.readNBytes(4);
          byte[] payload = in.readNBytes((int) len);
          if (mask.length < 4 || payload.length < len) {
            throw new EOFException();
          }
          for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i & 3];
          }
          switch (opcode) {
            case 8 -> {
              if (payload.length >= 2) {
                closeCode = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
                closeReason = new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
              } else {
                closeCode = 1005;
              }
              closeByClient(closeCode, closeReason, payload);
              return;
            }
            case 9 -> writeFrame(0xA, payload);
            case 10 -> {
              // an unsolicited pong: ignored (RFC 6455 §5.5.3)
            }
            case 1, 0 -> {
              if (opcode == 1 && message != null || opcode == 0 && message == null) {
                closeByServer(1002, "Protocol error");
                return;
              }
              if (message == null) {
                message = new ByteArrayOutputStream();
              }
              if (message.size() + payload.length > MAX_MESSAGE_BYTES) {
                // API Gateway: "Message payload size: 128 KB"
                closeByServer(1009, "Message too big");
                return;
              }
              message.write(payload);
              lastActive.set(System.currentTimeMillis());
              if (fin) {
                String text = message.toString(StandardCharsets.UTF_8);
                message = null;
                dispatch(text);
              }
            }
            default -> {
              closeByServer(1002, "Protocol error");
              return;
            }
          }
        }
      } catch (IOException e) {
        // the client went away without a close frame
        if (closed.compareAndSet(false, true)) {
          connections.remove(id);
          closeQuietly(socket);
          disconnected(1006, "Going away");
        }
      }
    }

    private int readByte() throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new EOFException();
      }
      return b;
    }

    private void dispatch(String text) {
      ObjectNode event = event("$default", "MESSAGE");
      event.with("requestContext").put("messageId", randomId(12));
      event.put("body", text);
      event.put("isBase64Encoded", false);
      if (settings.dispatch() == Dispatch.SEQUENTIAL) {
        invokeMessage(event);
        return;
      }
      inFlight.incrementAndGet();
      long jitterMicros = settings.maxJitter().toNanos() / 1000;
      Thread.ofVirtual()
          .name("apigw-invoke")
          .start(
              () -> {
                try {
                  if (jitterMicros > 0) {
                    long d = ThreadLocalRandom.current().nextLong(jitterMicros + 1);
                    TimeUnit.MICROSECONDS.sleep(d);
                  }
                  invokeMessage(event);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  inFlight.decrementAndGet();
                }
              });
    }

    private void invokeMessage(ObjectNode event) {
      try {
        invoke(Container::message, event);
      } catch (RuntimeException | IOException e) {
        LOG.log(System.Logger.Level.ERROR, "$default failed for " + id, e);
        // API Gateway tells the client when its integration failed
        ObjectNode error = JSON.createObjectNode();
        error.put("message", "Internal server error");
        error.put("connectionId", id);
        error.put("requestId", event.path("requestContext").path("requestId").asText());
        try {
          sendText(JSON.writeValueAsBytes(error));
        } catch (IOException ignored) {
          // the connection is gone: its $disconnect follows
        }
      }
    }

    /** Sends one text message, in frames of at most 32 KB. */
    void sendText(byte[] utf8) throws IOException {
      if (closed.get()) {
        throw new IOException("closed");
      }
      lastActive.set(System.currentTimeMillis());
      synchronized (writeLock) {
        int off = 0;
        boolean first = true;
        do {
          int n = Math.min(MAX_FRAME_BYTES, utf8.length - off);
          boolean fin = off + n == utf8.length;
          writeFrameLocked((fin ? 0x80 : 0) | (first ? 1 : 0), utf8, off, n);
          off += n;
          first = false;
        } while (off < utf8.length);
        out.flush();
      }
    }

    private void writeFrame(int opcode, byte[] payload) throws IOException {
      synchronized (writeLock) {
        writeFrameLocked(0x80 | opcode, payload, 0, payload.length);
        out.flush();
      }
    }

    private void writeFrameLocked(int b0, byte[] payload, int off, int len) throws IOException {
      out.write(b0);
      if (len < 126) {
        out.write(len);
      } else if (len < 65536) {
        out.write(126);
        out.write(len >>> 8);
        out.write(len);
      } else {
        out.write(127);
        for (int i = 7; i >= 0; i--) {
          out.write((int) ((long) len >>> (8 * i)));
        }
      }
      out.write(payload, off, len);
    }

    /** Closes from this side with a close frame, then {@code $disconnect}. */
    void closeByServer(int code, String reason) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      connections.remove(id);
      byte[] r = reason.getBytes(StandardCharsets.UTF_8);
      byte[] payload = new byte[2 + r.length];
      payload[0] = (byte) (code >>> 8);
      payload[1] = (byte) code;
      System.arraycopy(r, 0, payload, 2, r.length);
      try {
        writeFrame(8, payload);
      } catch (IOException ignored) {
        // it is going away anyway
      }
      closeQuietly(socket);
      disconnected(code, reason);
    }

    private void closeByClient(int code, String reason, byte[] payload) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      connections.remove(id);
      try {
        // RFC 6455 §5.5.1: answer with a close frame, echoing the status code
        writeFrame(8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
      } catch (IOException ignored) {
        // it is going away anyway
      }
      closeQuietly(socket);
      disconnected(code, reason);
    }

    private void disconnected(int code, String reason) {
      ObjectNode event = event("$disconnect", "DISCONNECT");
      ObjectNode headers = event.putObject("headers");
      headers.put("Host", host);
      headers.put("X-Forwarded-For", sourceIp);
      ObjectNode multi = event.putObject("multiValueHeaders");
      multi.putArray("Host").add(host);
      multi.putArray("X-Forwarded-For").add(sourceIp);
      ObjectNode ctx = event.with("requestContext");
      ctx.put("disconnectStatusCode", code);
      ctx.put("disconnectReason", reason);
      event.put("isBase64Encoded", false);
      Runnable run =
          () -> {
            try {
              invoke(Container::disconnect, event);
            } catch (RuntimeException | IOException e) {
              LOG.log(System.Logger.Level.ERROR, "$disconnect failed for " + id, e);
            }
          };
      if (ApiGatewayEmulator.this.closed.get()) {
        return; // the emulator stops: nobody is left to tell
      }
      Thread.ofVirtual().name("apigw-disconnect").start(run);
    }
  }

  // ---- HTTP parsing ----------------------------------------------------------------------------

  /** One HTTP/1.1 request head. */
  record HttpRequest(
      String method, String target, Map<String, List<String>> headers, Map<String, String> lower) {

    /** Reads a request head, or null at end of stream. */
    static HttpRequest read(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int state = 0; // how much of CR LF CR LF has been seen
      while (state < 4) {
        int b = in.read();
        if (b < 0) {
          if (head.size() == 0) {
            return null;
          }
          throw new EOFException("the request head ended early");
        }
        head.write(b);
        if (head.size() > MAX_HEADER_BYTES) {
          throw new IOException("request head over " + MAX_HEADER_BYTES + " bytes");
        }
        if (b == '\r') {
          state = state == 2 ? 3 : 1;
        } else if (b == '\n' && (state == 1 || state == 3)) {
          state++;
        } else {
          state = 0;
        }
      }
      String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
      String[] first = lines[0].split(" ");
      if (first.length != 3) {
        throw new IOException("bad request line: " + lines[0]);
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      Map<String, String> lower = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = lines[i].substring(0, colon).trim();
        String value = lines[i].substring(colon + 1).trim();
        headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        lower.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
      }
      return new HttpRequest(first[0], first[1], headers, lower);
    }

    String header(String lowerCaseName) {
      return lower.get(lowerCaseName);
    }

    String path() {
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }

    long contentLength() {
      String v = header("content-length");
      if (v == null) {
        return method.equals("POST") ? -1 : 0;
      }
      try {
        return Long.parseLong(v.trim());
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    Map<String, List<String>> query() {
      int q = target.indexOf('?');
      Map<String, List<String>> params = new LinkedHashMap<>();
      if (q < 0 || q == target.length() - 1) {
        return params;
      }
      for (String pair : target.substring(q + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = eq < 0 ? pair : pair.substring(0, eq);
        String v = eq < 0 ? "" : pair.substring(eq + 1);
        params.computeIfAbsent(queryDecode(k), x -> new ArrayList<>()).add(queryDecode(v));
      }
      return params;
    }
  }

  private static String queryDecode(String s) {
    return percentDecode(s.replace('+', ' '));
  }

  /** Decodes %XX escapes (a path: '+' stays '+'). */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()) {
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          out.write((hi << 4) | lo);
          i += 2;
          continue;
        }
      }
      byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
      out.write(b, 0, b.length);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  // ---- ids -------------------------------------------------------------------------------------

  /** API Gateway's style: the base64 of 11 random bytes, e.g. {@code L0SM9cOFvHcCIhw=}. */
  private String newConnectionId() {
    byte[] b = new byte[11];
    random.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  private String randomId(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return java.util.HexFormat.of().formatHex(b);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }

  /** Stops listening and drops every connection without invoking {@code $disconnect}. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    reaper.interrupt();
    for (WsConnection c : connections.values()) {
      c.closeByServer(1001, "Going away");
    }
    connections.clear();
  }
}
