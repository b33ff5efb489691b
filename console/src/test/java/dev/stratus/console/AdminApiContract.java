package dev.stratus.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.bridge.Bridge;
import dev.stratus.bridge.BridgeConfig;
import dev.stratus.bridge.Protocol;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.UserProperty;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.Message;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.OutboundFlight;
import dev.stratus.core.store.QueuedDelivery;
import dev.stratus.core.store.Session;
import dev.stratus.core.store.Stores;
import dev.stratus.core.store.Subscription;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API through real HTTP, on the stores {@link #newStores} makes: the in-memory ones and
 * DynamoDB Local run the same cases.
 */
@Timeout(120)
abstract class AdminApiContract {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cret-admin-token-0123";
  private static final Instant T0 = Instant.parse("2026-11-22T04:00:00Z");

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private Stores stores;
  private ConsoleServer console;

  protected abstract Stores newStores();

  @BeforeEach
  void start() throws Exception {
    stores = newStores();
    console =
        ConsoleServer.builder(stores)
            .auth(AdminAuth.bearer(TOKEN))
            .edge(Edge.bridgeWebSocket("ws://127.0.0.1:1/mqtt"))
            .start();
    closing.add(console);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private HttpResponse<String> send(String method, String path, String authorization)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(console.url().resolve(path))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode get(String path) throws Exception {
    return ok("GET", path);
  }

  private JsonNode ok(String method, String path) throws Exception {
    HttpResponse<String> r = send(method, path, "Bearer " + TOKEN);
    assertEquals(200, r.statusCode(), method + " " + path + ": " + r.body());
    return JSON.readTree(r.body());
  }

  protected JsonNode fails(int status, String method, String path) throws Exception {
    HttpResponse<String> r = send(method, path, "Bearer " + TOKEN);
    assertEquals(status, r.statusCode(), method + " " + path + ": " + r.body());
    JsonNode body = JSON.readTree(r.body());
    assertFalse(body.path("error").asText().isEmpty(), "an error message: " + r.body());
    return body;
  }

  /** Every item of a listing, page by page, checking each page's bound. */
  private List<JsonNode> all(String path, int limit) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    String cursor = null;
    for (int pages = 0; pages < 1000; pages++) {
      String sep = path.contains("?") ? "&" : "?";
      JsonNode page =
          get(
              path
                  + sep
                  + "limit="
                  + limit
                  + (cursor == null
                      ? ""
                      : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
      assertTrue(page.get("items").size() <= limit, page.toString());
      page.get("items").forEach(out::add);
      if (page.get("next").isNull()) {
        return out;
      }
      cursor = page.get("next").asText();
    }
    throw new AssertionError("listing never ended");
  }

  private static Message message(String topic, String payload) {
    return new Message(
        TopicName.of(topic),
        Bytes.utf8(payload),
        QoS.AT_LEAST_ONCE,
        true,
        Properties.NONE,
        "pub",
        null);
  }

  private static ConnectionRecord connected(String id, String clientId, String edge, String user) {
    return Records.connected(id, clientId, edge, user, "10.0.0." + id.length() + ":5000", T0);
  }

  @Test
  void theAdminApiNeedsTheConfiguredCredentials() throws Exception {
    HttpResponse<String> none = send("GET", "/api/info", null);
    assertEquals(401, none.statusCode());
    assertTrue(none.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Bearer"));
    assertEquals(
        401, send("GET", "/api/connections", "Bearer wrong-token-0123456789").statusCode());
    assertEquals(401, send("DELETE", "/api/retained?topic=a", "Basic " + TOKEN).statusCode());
    // the page's own requests get a scheme the browser has no dialog for
    HttpResponse<String> fromPage =
        http.send(
            HttpRequest.newBuilder(console.url().resolve("/api/info"))
                .header("X-Stratus-Console", "1")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, fromPage.statusCode());
    assertTrue(
        fromPage.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Stratus"));
    assertTrue(fromPage.body().contains("needs credentials"), fromPage.body());
    JsonNode info = get("/api/info");
    assertEquals("Bearer", info.get("auth").asText());
    assertFalse(info.get("developmentMode").asBoolean());
    assertEquals("ws://127.0.0.1:1/mqtt", info.get("edges").get(0).get("url").asText());
    // the static pages hold no data and are public
    assertEquals(200, send("GET", "/", null).statusCode());
  }

  @Test
  void anotherOriginIsAllowedOnlyWhenConfigured() throws Exception {
    assertTrue(
        send("GET", "/api/info", "Bearer " + TOKEN)
            .headers()
            .firstValue("Access-Control-Allow-Origin")
            .isEmpty());
    ConsoleServer c =
        ConsoleServer.builder(stores)
            .auth(AdminAuth.bearer(TOKEN))
            .corsOrigin("https://console.example.com")
            .start();
    closing.add(c);
    // the preflight carries no credentials and must be answered before authentication
    HttpResponse<String> preflight =
        http.send(
            HttpRequest.newBuilder(c.url().resolve("/api/retained?topic=a"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://console.example.com")
                .header("Access-Control-Request-Method", "DELETE")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(204, preflight.statusCode());
    assertEquals(
        "https://console.example.com",
        preflight.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
    assertTrue(
        preflight
            .headers()
            .firstValue("Access-Control-Allow-Headers")
            .orElseThrow()
            .contains("Authorization"));
    assertTrue(
        preflight
            .headers()
            .firstValue("Access-Control-Allow-Methods")
            .orElseThrow()
            .contains("DELETE"));
    HttpResponse<String> refused =
        http.send(
            HttpRequest.newBuilder(c.url().resolve("/api/info")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, refused.statusCode());
    assertEquals(
        "https://console.example.com",
        refused.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
  }

  @Test
  void authenticationChoices() {
    assertThrows(IllegalStateException.class, () -> AdminAuth.none(false));
    assertEquals("anonymous", AdminAuth.none(true).authenticate(null));
    assertThrows(IllegalArgumentException.class, () -> AdminAuth.bearer("short"));
    AdminAuth basic = AdminAuth.basic("admin", "pa:ss");
    String good =
        Base64.getEncoder().encodeToString("admin:pa:ss".getBytes(StandardCharsets.UTF_8));
    String bad = Base64.getEncoder().encodeToString("admin:pass".getBytes(StandardCharsets.UTF_8));
    assertEquals("admin", basic.authenticate("Basic " + good));
    assertNull(basic.authenticate("Basic " + bad));
    assertNull(basic.authenticate("Basic !!!"));
    assertNull(basic.authenticate("Bearer " + good));
    AdminAuth roles = AdminAuth.basic((u, p) -> u.equals("ops") && p.equals("x"));
    assertEquals(
        "ops",
        roles.authenticate("Basic " + Base64.getEncoder().encodeToString("ops:x".getBytes())));
  }

  @Test
  void connectionsAreListedInBoundedPages() throws Exception {
    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < 7; i++) {
      String edge = i % 2 == 0 ? "bridge-1a2b/tcp" : "apigw:https://x.execute-api/prod";
      stores.connections().put(connected("conn-" + i, "client-" + i, edge, "user" + i));
      expected.add("client-" + i + " " + edge + " user" + i);
    }
    List<JsonNode> all = all("/api/connections", 3);
    assertEquals(7, all.size());
    Set<String> got = new TreeSet<>();
    for (JsonNode c : all) {
      got.add(
          c.get("clientId").asText()
              + " "
              + c.get("edge").asText()
              + " "
              + c.get("username").asText());
      assertEquals("5", c.get("version").asText());
      assertEquals(T0.toString(), c.get("connectedSince").asText());
      assertTrue(c.get("remoteAddress").asText().startsWith("10.0.0."));
    }
    assertEquals(expected, got);
    fails(400, "GET", "/api/connections?limit=0");
    fails(400, "GET", "/api/connections?limit=5000");
    fails(405, "DELETE", "/api/connections");
    fails(404, "GET", "/api/nothing");
  }

  @Test
  void sessionsShowQueuedAndInFlightCounts() throws Exception {
    stores.sessions().put(Session.connected("busy", MqttVersion.V5, 3600));
    stores
        .sessions()
        .put(Session.connected("idle", MqttVersion.V3_1_1, 0).disconnected(T0, null, null));
    for (int i = 0; i < 3; i++) {
      stores
          .queues()
          .offer(
              "busy",
              new QueuedDelivery(message("q/" + i, "x"), QoS.AT_LEAST_ONCE, false, List.of()),
              100);
    }
    for (int i = 0; i < 2; i++) {
      stores
          .inFlight()
          .allocate(
              "busy",
              new OutboundFlight(
                  0, message("f/" + i, "x"), QoS.EXACTLY_ONCE, false, List.of(), false));
    }
    stores.inFlight().addInbound("busy", 7);
    List<JsonNode> all = all("/api/sessions", 1);
    assertEquals(2, all.size());
    JsonNode busy =
        all.stream()
            .filter(s -> s.get("clientId").asText().equals("busy"))
            .findFirst()
            .orElseThrow();
    assertEquals(3, busy.get("queued").asInt());
    assertEquals(2, busy.get("inFlightOut").asInt());
    assertEquals(1, busy.get("inFlightIn").asInt());
    assertTrue(busy.get("connected").asBoolean());
    JsonNode idle =
        all.stream()
            .filter(s -> s.get("clientId").asText().equals("idle"))
            .findFirst()
            .orElseThrow();
    assertFalse(idle.get("connected").asBoolean());
    assertEquals("3.1.1", idle.get("version").asText());
    assertEquals(T0.toString(), idle.get("expiresAt").asText());
  }

  @Test
  void subscriptionsAreListedWithTheirOptions() throws Exception {
    stores
        .subscriptions()
        .put(
            new Subscription(
                "c1",
                TopicFilter.of("a/#"),
                QoS.AT_LEAST_ONCE,
                false,
                false,
                RetainHandling.SEND,
                0));
    stores
        .subscriptions()
        .put(
            new Subscription(
                "c1",
                TopicFilter.of("$share/g/b/+"),
                QoS.AT_MOST_ONCE,
                false,
                false,
                RetainHandling.SEND,
                0));
    stores
        .subscriptions()
        .put(
            new Subscription(
                "c2",
                TopicFilter.of("x"),
                QoS.EXACTLY_ONCE,
                true,
                true,
                RetainHandling.DO_NOT_SEND,
                9));
    List<JsonNode> all = all("/api/subscriptions", 2);
    assertEquals(3, all.size());
    JsonNode c2 =
        all.stream().filter(s -> s.get("clientId").asText().equals("c2")).findFirst().orElseThrow();
    assertEquals("x", c2.get("filter").asText());
    assertEquals(2, c2.get("qos").asInt());
    assertTrue(c2.get("noLocal").asBoolean());
    assertTrue(c2.get("retainAsPublished").asBoolean());
    assertEquals(2, c2.get("retainHandling").asInt());
    assertEquals(9, c2.get("subscriptionId").asInt());
    JsonNode mine = get("/api/subscriptions?client=c1");
    Set<String> filters = new TreeSet<>();
    mine.get("items").forEach(s -> filters.add(s.get("filter").asText()));
    assertEquals(Set.of("a/#", "$share/g/b/+"), filters);
  }

  @Test
  void retainedMessagesAreBrowsedLevelByLevelReadAndDeleted() throws Exception {
    for (String t : List.of("a", "a/b", "a/b/c", "a/x/c", "b", "/lead", "ab")) {
      stores.retained().put(message(t, "payload of " + t));
    }
    stores
        .retained()
        .put(
            new Message(
                TopicName.of("p/v5"),
                Bytes.utf8("{\"on\":true}"),
                QoS.AT_MOST_ONCE,
                true,
                Properties.builder()
                    .contentType("application/json")
                    .userProperties(List.of(new UserProperty("k", "v")))
                    .build(),
                "c",
                null));
    JsonNode root = get("/api/retained/tree");
    assertEquals(List.of("", "a", "ab", "b", "p"), levels(root));
    JsonNode a = get("/api/retained/tree?prefix=a");
    assertTrue(a.get("hasMessage").asBoolean());
    assertEquals(List.of("b", "x"), levels(a));
    JsonNode b = a.get("children").get(0);
    assertEquals("a/b", b.get("topic").asText());
    assertEquals(2, b.get("messages").asInt());
    assertTrue(b.get("hasMessage").asBoolean());
    assertFalse(a.get("children").get(1).get("hasMessage").asBoolean());
    assertEquals(List.of("lead"), levels(get("/api/retained/tree?prefix=")));
    // a page of one message at a time still reaches every child, page by page
    Set<String> paged = new TreeSet<>();
    String cursor = null;
    do {
      JsonNode page =
          get(
              "/api/retained/tree?prefix=a&limit=1"
                  + (cursor == null
                      ? ""
                      : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
      paged.addAll(levels(page));
      cursor = page.get("next").isNull() ? null : page.get("next").asText();
    } while (cursor != null);
    assertEquals(Set.of("b", "x"), paged);

    JsonNode one = get("/api/retained?topic=a%2Fb");
    assertEquals(
        "payload of a/b",
        new String(
            Base64.getDecoder().decode(one.get("payloadBase64").asText()), StandardCharsets.UTF_8));
    assertEquals(1, one.get("qos").asInt());
    JsonNode v5 = get("/api/retained?topic=p/v5");
    assertEquals("application/json", v5.get("properties").get("contentType").asText());
    assertEquals("k", v5.get("properties").get("userProperties").get(0).get(0).asText());

    assertEquals("a/b", ok("DELETE", "/api/retained?topic=a%2Fb").get("deleted").asText());
    assertNull(stores.retained().get(TopicName.of("a/b")));
    assertTrue(stores.retained().get(TopicName.of("a/b/c")) != null, "only that topic is deleted");
    fails(404, "GET", "/api/retained?topic=a%2Fb");
    fails(404, "DELETE", "/api/retained?topic=a%2Fb");
    fails(400, "DELETE", "/api/retained?topic=a%2F%23");
    fails(400, "GET", "/api/retained");
  }

  private static List<String> levels(JsonNode tree) {
    List<String> out = new ArrayList<>();
    tree.get("children").forEach(c -> out.add(c.get("level").asText()));
    return out;
  }

  @Test
  void countersAreSampledFromTheEngines() throws Exception {
    AtomicLong received = new AtomicLong();
    ConsoleServer c =
        ConsoleServer.builder(stores)
            .auth(AdminAuth.none(true))
            .engine("e1", () -> new Broker.Stats(received.addAndGet(50), 7, 1, 3, 0, 0, 0, 0, 0))
            .sampleEvery(java.time.Duration.ofMillis(100))
            .start();
    closing.add(c);
    JsonNode samples;
    long deadline = System.nanoTime() + 30_000_000_000L;
    do {
      Thread.sleep(50);
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(c.url().resolve("/api/stats")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), "no credentials needed in development mode");
      samples = JSON.readTree(r.body()).get("engines").get("e1").get("samples");
    } while (samples.size() < 3 && System.nanoTime() < deadline);
    assertTrue(samples.size() >= 3, samples.toString());
    JsonNode last = samples.get(samples.size() - 1);
    assertEquals(3, last.get("connections").asInt());
    assertEquals(7, last.get("sent").asLong());
    assertTrue(last.get("received").asLong() >= 150);
    assertTrue(last.get("inPerSecond").asDouble() > 0, "50 more messages each sample: " + last);
    assertEquals(0.0, last.get("outPerSecond").asDouble(), "sent did not grow");
  }

  @Test
  void staticFilesAndTheAdapterPath(@TempDir Path dir) throws Exception {
    HttpResponse<String> index = send("GET", "/", null);
    assertTrue(index.body().contains("Stratus console"));
    assertTrue(index.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
    HttpResponse<String> bundle = send("GET", "/vendor/mqtt.min.js", null);
    assertEquals(200, bundle.statusCode());
    assertTrue(bundle.body().length() > 100_000, "the MQTT.js browser bundle");
    assertEquals(404, send("GET", "/clients/stratus-mqtt.js", null).statusCode());
    assertEquals(404, send("GET", "/../pom.xml", null).statusCode());
    assertEquals(405, send("POST", "/", null).statusCode());
    Path adapter = Files.writeString(dir.resolve("index.js"), "export const SUBPROTOCOL = 'x';\n");
    ConsoleServer c =
        ConsoleServer.builder(stores).auth(AdminAuth.none(true)).clientsJs(adapter).start();
    closing.add(c);
    HttpResponse<String> js =
        http.send(
            HttpRequest.newBuilder(c.url().resolve("/clients/stratus-mqtt.js")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, js.statusCode());
    assertTrue(js.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
  }

  /** A real bridge on these stores and a real client: the API shows what the engine recorded. */
  @Test
  void aClientOfARealBridgeShowsWithItsEdge() throws Exception {
    Bridge bridge = new Bridge(BridgeConfig.loopbackDefaults());
    Broker broker =
        new Broker(
            BrokerConfig.development(),
            stores,
            bridge,
            InstantSource.system(),
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL);
    bridge.start(broker);
    closing.add(bridge::close);
    MqttClient paho =
        new MqttClient(
            "tcp://127.0.0.1:" + bridge.port(Protocol.TCP), "paho-admin", new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setUserName("alice");
    o.setPassword("pw".toCharArray());
    o.setCleanSession(false);
    paho.connect(o);
    closing.add(paho::close);
    closing.add(paho::disconnect);
    paho.subscribe("e2e/#", 1);
    JsonNode conn =
        all("/api/connections", 10).stream()
            .filter(c -> "paho-admin".equals(c.path("clientId").asText()))
            .findFirst()
            .orElseThrow();
    assertTrue(conn.get("edge").asText().matches("bridge-.+/tcp"), conn.toString());
    assertEquals("alice", conn.get("username").asText());
    assertEquals("3.1.1", conn.get("version").asText());
    assertTrue(conn.get("remoteAddress").asText().contains("127.0.0.1"), conn.toString());
    assertNotNull(conn.get("connectedSince").asText());
    JsonNode subs = get("/api/subscriptions?client=paho-admin");
    assertEquals("e2e/#", subs.get("items").get(0).get("filter").asText());
    assertEquals(1, subs.get("items").get(0).get("qos").asInt());
    JsonNode session =
        all("/api/sessions", 10).stream()
            .filter(s -> s.get("clientId").asText().equals("paho-admin"))
            .findFirst()
            .orElseThrow();
    assertTrue(session.get("connected").asBoolean());
  }
}
