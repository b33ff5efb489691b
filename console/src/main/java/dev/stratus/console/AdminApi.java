package dev.stratus.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.UserProperty;
import dev.stratus.core.Message;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.Page;
import dev.stratus.core.store.Session;
import dev.stratus.core.store.StoreException;
import dev.stratus.core.store.Stores;
import dev.stratus.core.store.Subscription;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The admin API: read-only listings of the stores (bounded pages), the retained message browser and
 * delete, and the sampled engine counters. JSON in UTF-8; errors are {@code {"error": "..."}} with
 * a 4xx/5xx status. Endpoints are listed in docs/console.md.
 */
final class AdminApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Stores stores;
  private final Counters counters;
  private final List<Edge> edges;
  private final AdminAuth auth;
  private final boolean developmentMode;
  private final String corsOrigin;

  AdminApi(
      Stores stores,
      Counters counters,
      List<Edge> edges,
      AdminAuth auth,
      boolean developmentMode,
      String corsOrigin) {
    this.stores = stores;
    this.counters = counters;
    this.edges = List.copyOf(edges);
    this.auth = auth;
    this.developmentMode = developmentMode;
    this.corsOrigin = corsOrigin;
  }

  String authDescription() {
    return auth.describe();
  }

  /** A request error: its status and the message the page shows. */
  private static final class ApiError extends Exception {
    final int status;

    ApiError(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (corsOrigin != null) {
        ex.getResponseHeaders().set("Access-Control-Allow-Origin", corsOrigin);
        ex.getResponseHeaders().set("Vary", "Origin");
        if (ex.getRequestMethod().equals("OPTIONS")) {
          ex.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, DELETE");
          ex.getResponseHeaders()
              .set("Access-Control-Allow-Headers", "Authorization, X-Stratus-Console");
          ex.getResponseHeaders().set("Access-Control-Max-Age", "600");
          ex.sendResponseHeaders(204, -1);
          return;
        }
      }
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      Object body;
      int status = 200;
      try {
        String principal = auth.authenticate(ex.getRequestHeaders().getFirst("Authorization"));
        if (principal == null) {
          // The console's own requests carry X-Stratus-Console: for them the page asks for the
          // credentials itself, so the browser must not pop up its Basic dialog.
          String scheme =
              ex.getRequestHeaders().containsKey("X-Stratus-Console") ? "Stratus" : auth.scheme();
          ex.getResponseHeaders()
              .set("WWW-Authenticate", scheme + " realm=\"stratus-admin\", charset=\"UTF-8\"");
          throw new ApiError(401, "the admin API needs credentials (" + auth.scheme() + ")");
        }
        body = route(ex, principal);
      } catch (ApiError e) {
        status = e.status;
        body = Map.of("error", e.getMessage());
      } catch (IllegalArgumentException e) {
        status = 400;
        body = Map.of("error", e.getMessage());
      } catch (StoreException e) {
        status = 503;
        body = Map.of("error", "store unavailable: " + e.getMessage());
      }
      ConsoleServer.send(ex, status, "application/json", JSON.writeValueAsBytes(body));
    }
  }

  private Object route(HttpExchange ex, String principal) throws ApiError {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    boolean get = method.equals("GET") || method.equals("HEAD");
    return switch (path) {
      case "/api/info" -> get ? info(principal) : notAllowed();
      case "/api/connections" -> get ? connections(q) : notAllowed();
      case "/api/sessions" -> get ? sessions(q) : notAllowed();
      case "/api/subscriptions" -> get ? subscriptions(q) : notAllowed();
      case "/api/retained/tree" -> get ? retainedTree(q) : notAllowed();
      case "/api/retained" ->
          get ? retained(q) : method.equals("DELETE") ? deleteRetained(q) : notAllowed();
      case "/api/stats" -> get ? stats() : notAllowed();
      default -> throw new ApiError(404, "no such endpoint: " + path);
    };
  }

  private static Object notAllowed() throws ApiError {
    throw new ApiError(405, "method not allowed");
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  private static int limit(Map<String, String> q, int dflt, int max) throws ApiError {
    String v = q.get("limit");
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiError(400, "limit must be a number from 1 to " + max + ", was " + v);
  }

  private static String cursor(Map<String, String> q) {
    String c = q.get("cursor");
    return c == null || c.isEmpty() ? null : c;
  }

  private static String time(Instant t) {
    return t == null ? null : t.equals(Instant.MAX) ? "never" : t.toString();
  }

  private static String version(MqttVersion v) {
    return v == null
        ? null
        : switch (v) {
          case V3_1 -> "3.1";
          case V3_1_1 -> "3.1.1";
          case V5 -> "5";
        };
  }

  private ObjectNode info(String principal) {
    ObjectNode n = JSON.createObjectNode();
    n.put("principal", principal);
    n.put("auth", auth.scheme());
    n.put("developmentMode", developmentMode);
    n.put("sampleMillis", counters.interval().toMillis());
    ArrayNode e = n.putArray("edges");
    for (Edge edge : edges) {
      e.addObject().put("kind", edge.kind()).put("label", edge.label()).put("url", edge.url());
    }
    ArrayNode engines = n.putArray("engines");
    counters.history().keySet().forEach(engines::add);
    return n;
  }

  private ObjectNode page(Page<?> page, ArrayNode items) {
    ObjectNode n = JSON.createObjectNode();
    n.set("items", items);
    n.put("next", page.next());
    return n;
  }

  private ObjectNode connections(Map<String, String> q) throws ApiError {
    Page<ConnectionRecord> page = stores.connections().list(cursor(q), limit(q, 100, 1000));
    ArrayNode items = JSON.createArrayNode();
    for (ConnectionRecord r : page.items()) {
      items
          .addObject()
          .put("id", r.id().value())
          .put("edge", r.edge())
          .put("clientId", r.clientId())
          .put("username", r.username())
          .put("version", version(r.version()))
          .put("remoteAddress", r.remoteAddress())
          .put("certificateSubject", r.certificateSubject())
          .put("connectedSince", time(r.openedAt()))
          .put("keepAliveSeconds", r.keepAliveSeconds())
          .put("sessionExpirySeconds", r.sessionExpirySeconds())
          .put("hasWill", r.will() != null)
          .put("connected", r.isConnected());
    }
    return page(page, items);
  }

  /**
   * Sessions with their queue and in-flight counts: on DynamoDB each session costs one GetItem per
   * count, so the page size is capped lower than the other listings.
   */
  private ObjectNode sessions(Map<String, String> q) throws ApiError {
    Page<Session> page = stores.sessions().list(cursor(q), limit(q, 50, 200));
    ArrayNode items = JSON.createArrayNode();
    for (Session s : page.items()) {
      items
          .addObject()
          .put("clientId", s.clientId())
          .put("version", version(s.version()))
          .put("connected", s.isConnected())
          .put("expirySeconds", s.expirySeconds())
          .put("expiresAt", time(s.expiresAt()))
          .put("pendingWill", s.pendingWill() != null)
          .put("willAt", time(s.willAt()))
          .put("queued", stores.queues().size(s.clientId()))
          .put("inFlightOut", stores.inFlight().outboundCount(s.clientId()))
          .put("inFlightIn", stores.inFlight().inboundCount(s.clientId()));
    }
    return page(page, items);
  }

  private ObjectNode subscriptions(Map<String, String> q) throws ApiError {
    String client = q.get("client");
    Page<Subscription> page =
        client != null
            ? new Page<>(stores.subscriptions().forClient(client), null)
            : stores.subscriptions().list(cursor(q), limit(q, 100, 1000));
    ArrayNode items = JSON.createArrayNode();
    for (Subscription s : page.items()) {
      items
          .addObject()
          .put("clientId", s.clientId())
          .put("filter", s.filter().value())
          .put("qos", s.maxQos().value())
          .put("noLocal", s.noLocal())
          .put("retainAsPublished", s.retainAsPublished())
          .put("retainHandling", s.retainHandling().ordinal())
          .put("subscriptionId", s.subscriptionId());
    }
    return page(page, items);
  }

  /**
   * One level of the retained topic tree under {@code prefix} (absent: the root): the child levels
   * found in one bounded page of the messages under it, with how many messages each holds in this
   * page and whether the child topic itself has one. {@code next} continues the same level.
   */
  private ObjectNode retainedTree(Map<String, String> q) throws ApiError {
    String prefix = q.get("prefix"); // null: root; "" is the empty first level ("/x" topics)
    int limit = limit(q, 200, 1000);
    Page<Message> page;
    if (prefix == null) {
      page = stores.retained().list("", cursor(q), limit);
    } else if (prefix.isEmpty()) {
      // topics under the empty first level start with "/"; the store lists all, so filter here
      Page<Message> all = stores.retained().list("", cursor(q), limit);
      page =
          new Page<>(
              all.items().stream().filter(m -> m.topic().value().startsWith("/")).toList(),
              all.next());
    } else {
      page = stores.retained().list(prefix, cursor(q), limit);
    }
    Map<String, int[]> children = new TreeMap<>(); // level -> {messages below, has own message}
    boolean own = false;
    for (Message m : page.items()) {
      String topic = m.topic().value();
      String rest;
      if (prefix == null) {
        rest = topic;
      } else if (topic.equals(prefix)) {
        own = true;
        continue;
      } else {
        rest = topic.substring(prefix.length() + 1);
      }
      int slash = rest.indexOf('/');
      int[] c =
          children.computeIfAbsent(slash < 0 ? rest : rest.substring(0, slash), k -> new int[2]);
      c[0]++;
      if (slash < 0) {
        c[1] = 1;
      }
    }
    ObjectNode n = JSON.createObjectNode();
    if (prefix == null) {
      n.putNull("prefix");
    } else {
      n.put("prefix", prefix);
    }
    n.put("hasMessage", own);
    ArrayNode items = n.putArray("children");
    children.forEach(
        (level, c) ->
            items
                .addObject()
                .put("level", level)
                .put("topic", prefix == null ? level : prefix + "/" + level)
                .put("messages", c[0])
                .put("hasMessage", c[1] == 1));
    n.put("next", page.next());
    return n;
  }

  private static TopicName topic(Map<String, String> q) throws ApiError {
    String t = q.get("topic");
    if (t == null) {
      throw new ApiError(400, "give the topic: ?topic=a/b");
    }
    String problem = TopicName.problem(t);
    if (problem != null) {
      throw new ApiError(400, "not a topic name: " + problem);
    }
    return TopicName.of(t);
  }

  private ObjectNode retained(Map<String, String> q) throws ApiError {
    TopicName t = topic(q);
    Message m = stores.retained().get(t);
    if (m == null) {
      throw new ApiError(404, "no retained message on " + t.value());
    }
    return message(m);
  }

  /**
   * Removes the retained message; publishes nothing (a client clearing it would publish an empty
   * retained message [MQTT-3.3.1-10], which also reaches subscribers).
   */
  private ObjectNode deleteRetained(Map<String, String> q) throws ApiError {
    TopicName t = topic(q);
    if (!stores.retained().remove(t)) {
      throw new ApiError(404, "no retained message on " + t.value());
    }
    return JSON.createObjectNode().put("deleted", t.value());
  }

  static ObjectNode message(Message m) {
    ObjectNode n = JSON.createObjectNode();
    n.put("topic", m.topic().value());
    n.put("qos", m.qos().value());
    n.put("retain", m.retain());
    n.put("payloadBase64", base64(m.payload()));
    n.put("size", m.payload().length());
    n.put("origin", m.originClientId());
    n.put("expiresAt", time(m.expiresAt()));
    Properties p = m.properties();
    ObjectNode props = n.putObject("properties");
    if (p.payloadFormatIndicator() != null) {
      props.put("payloadFormatIndicator", p.payloadFormatIndicator());
    }
    if (p.contentType() != null) {
      props.put("contentType", p.contentType());
    }
    if (p.responseTopic() != null) {
      props.put("responseTopic", p.responseTopic().value());
    }
    if (p.correlationData() != null) {
      props.put("correlationDataBase64", base64(p.correlationData()));
    }
    if (p.userProperties() != null && !p.userProperties().isEmpty()) {
      ArrayNode up = props.putArray("userProperties");
      for (UserProperty u : p.userProperties()) {
        up.addArray().add(u.name()).add(u.value());
      }
    }
    return n;
  }

  private static String base64(Bytes b) {
    return Base64.getEncoder().encodeToString(b.toArray());
  }

  private ObjectNode stats() {
    ObjectNode n = JSON.createObjectNode();
    n.put("sampleMillis", counters.interval().toMillis());
    ObjectNode engines = n.putObject("engines");
    Map<String, String> errors = counters.errors();
    counters
        .history()
        .forEach(
            (name, samples) -> {
              ObjectNode e = engines.putObject(name);
              e.put("error", errors.get(name));
              ArrayNode s = e.putArray("samples");
              for (Counters.Sample x : samples) {
                s.addObject()
                    .put("t", x.atMillis())
                    .put("connections", x.connections())
                    .put("received", x.received())
                    .put("sent", x.sent())
                    .put("dropped", x.dropped())
                    .put("inPerSecond", x.inPerSecond())
                    .put("outPerSecond", x.outPerSecond());
              }
            });
    return n;
  }
}
