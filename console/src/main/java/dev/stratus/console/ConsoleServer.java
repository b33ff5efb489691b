package dev.stratus.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stratus.core.Broker;
import dev.stratus.core.store.Stores;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The web console: serves the static pages at {@code /} and the admin API at {@code /api/} from one
 * JDK HTTP server.
 *
 * <pre>{@code
 * ConsoleServer console =
 *     ConsoleServer.builder(stores)
 *         .engine("bridge", broker)
 *         .edge(Edge.bridgeWebSocket("ws://127.0.0.1:8083/mqtt"))
 *         .edge(Edge.apiGateway("ws://127.0.0.1:3001"))
 *         .auth(AdminAuth.none(config.developmentMode()))
 *         .clientsJs(Path.of("clients/js/src/index.js"))
 *         .port(8090)
 *         .start();
 * log("listening console " + console.url());
 * }</pre>
 */
public final class ConsoleServer implements AutoCloseable {
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "svg", "image/svg+xml",
          "json", "application/json");

  private final HttpServer server;
  private final ExecutorService executor;
  private final Counters counters;
  private final AdminApi api;
  private final Path clientsJs;
  private final String host;

  private ConsoleServer(Builder b) throws IOException {
    this.clientsJs = b.clientsJs;
    this.counters = new Counters(b.engines, b.sampleEvery, b.clock);
    this.api = new AdminApi(b.stores, counters, b.edges, b.auth, b.developmentMode, b.corsOrigin);
    this.server = HttpServer.create(new InetSocketAddress(b.address, b.port), 64);
    this.host = b.address.getHostAddress();
    this.executor =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("console-http-", 0).factory());
    server.setExecutor(executor);
    server.createContext("/api/", api::handle);
    server.createContext("/", this::serveStatic);
    server.start();
  }

  public static Builder builder(Stores stores) {
    return new Builder(stores);
  }

  /** The bound port (the real one when the builder asked for 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The console's address, e.g. {@code http://127.0.0.1:8090/}. */
  public URI url() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return URI.create("http://" + h + ":" + port() + "/");
  }

  /** What the admin API's authentication is, for the start-up log. */
  public String authDescription() {
    return api.authDescription();
  }

  @Override
  public void close() {
    server.stop(0);
    counters.close();
    executor.shutdownNow();
  }

  private void serveStatic(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ex.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes());
        return;
      }
      String path = ex.getRequestURI().getPath();
      if (path.equals("/")) {
        path = "/index.html";
      }
      byte[] body = null;
      if (path.equals("/clients/stratus-mqtt.js")) {
        if (clientsJs != null && Files.isRegularFile(clientsJs)) {
          body = Files.readAllBytes(clientsJs);
        }
      } else if (path.matches("/[A-Za-z0-9_./-]+") && !path.contains("..")) {
        try (InputStream in = ConsoleServer.class.getResourceAsStream("/console" + path)) {
          body = in == null ? null : in.readAllBytes();
        }
      }
      if (body == null) {
        send(ex, 404, "text/plain; charset=utf-8", ("not found: " + path + "\n").getBytes());
        return;
      }
      String ext = path.substring(path.lastIndexOf('.') + 1);
      ex.getResponseHeaders().set("Cache-Control", "no-cache");
      ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      send(ex, 200, TYPES.getOrDefault(ext, "application/octet-stream"), body);
    }
  }

  static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** What the console shows and where it listens. */
  public static final class Builder {
    private final Stores stores;
    private final Map<String, Supplier<Broker.Stats>> engines = new LinkedHashMap<>();
    private final List<Edge> edges = new ArrayList<>();
    private AdminAuth auth;
    private boolean developmentMode;
    private InetAddress address = InetAddress.getLoopbackAddress();
    private int port;
    private Path clientsJs;
    private Duration sampleEvery = Duration.ofSeconds(1);
    private InstantSource clock = InstantSource.system();
    private String corsOrigin;

    private Builder(Stores stores) {
      this.stores = Objects.requireNonNull(stores, "stores");
    }

    /** An engine in this process whose counters the console charts, under {@code name}. */
    public Builder engine(String name, Broker broker) {
      return engine(name, broker::stats);
    }

    /** Counters from elsewhere (e.g. a remote engine's $SYS values), under {@code name}. */
    public Builder engine(String name, Supplier<Broker.Stats> stats) {
      engines.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(stats, "stats"));
      return this;
    }

    /** An edge the connect form offers; the first is preselected. */
    public Builder edge(Edge edge) {
      edges.add(Objects.requireNonNull(edge, "edge"));
      return this;
    }

    /** Required. {@link AdminAuth#none} also marks the console as running in development mode. */
    public Builder auth(AdminAuth auth) {
      this.auth = Objects.requireNonNull(auth, "auth");
      return this;
    }

    /** Shown on the page ("development mode"); {@link AdminAuth#none} requires it anyway. */
    public Builder developmentMode(boolean v) {
      this.developmentMode = v;
      return this;
    }

    /** Loopback by default. */
    public Builder address(InetAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /** 0 (the default) for a free port. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The text-profile adapter ({@code clients/js/src/index.js}), served at {@code
     * /clients/stratus-mqtt.js} for the API Gateway edge; without it that path answers 404 and the
     * page says so when the API Gateway edge is chosen.
     */
    public Builder clientsJs(Path file) {
      this.clientsJs = file;
      return this;
    }

    /**
     * How often the engines' counters are sampled (default 1 s). On DynamoDB each sample scans the
     * connections table for the connection count (docs/console.md): choose a longer interval there.
     */
    public Builder sampleEvery(Duration interval) {
      if (interval.toMillis() < 100) {
        throw new IllegalArgumentException("sample interval must be at least 100 ms");
      }
      this.sampleEvery = interval;
      return this;
    }

    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Allows the admin API to be called from pages on this origin (e.g. the console hosted on S3):
     * answers CORS preflights and sets {@code Access-Control-Allow-Origin}. Null (default): same
     * origin only.
     */
    public Builder corsOrigin(String origin) {
      this.corsOrigin = origin;
      return this;
    }

    public ConsoleServer start() throws IOException {
      if (auth == null) {
        throw new IllegalStateException(
            "choose the admin API's authentication: AdminAuth.none(dev), bearer(..) or basic(..)");
      }
      if (auth.scheme().equals("None")) {
        developmentMode = true;
      }
      return new ConsoleServer(this);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
