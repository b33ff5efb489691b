package dev.stratus.functions;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2WebSocketResponse;
import dev.stratus.codec.Connect;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.ReasonCode;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.auth.Security;
import dev.stratus.core.store.ConnectionRecord;
import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.BridgeTasks;
import dev.stratus.store.dynamodb.DynamoDbAclStore;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.DynamoDbUserStore;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The API Gateway WebSocket edge: one engine on the DynamoDB stores, driven by the three routes.
 * The handlers are thin wrappers around {@link #connect}, {@link #message} and {@link #disconnect};
 * one instance per container ({@link #fromEnvironment}), or one per test.
 */
public final class WebSocketEdge {
  private static final System.Logger LOG = System.getLogger(WebSocketEdge.class.getName());

  /** {@code <seq>:<base64>}: a decimal without sign or leading zeros, then the packets. */
  private static final Pattern SEQUENCED =
      Pattern.compile("([1-9][0-9]{0,17}):(.*)", Pattern.DOTALL);

  private final Broker broker;
  private final Stores stores;
  private final ManagementApiOutbound outbound;
  private final URI callbackOverride;
  private final Sequencer sequencer;
  private final BridgeTasks tasks;
  private final InstantSource clock;

  /**
   * An edge without a sequencer: sequenced messages are handled at once, in arrival order. For a
   * single process that sees each connection's messages in order (the SnapStart priming run, tests
   * of the packet handling); a deployed edge uses the full constructor.
   *
   * @param callbackOverride the Management API endpoint to use instead of {@code
   *     https://{domainName}/{stage}} (an emulator), or null
   */
  public WebSocketEdge(
      BrokerConfig config,
      Stores stores,
      ManagementApiOutbound outbound,
      Authenticator authenticator,
      Authorizer authorizer,
      URI callbackOverride) {
    this(
        config,
        stores,
        outbound,
        authenticator,
        authorizer,
        callbackOverride,
        null,
        null,
        InstantSource.system());
  }

  /**
   * @param callbackOverride the Management API endpoint to use instead of {@code
   *     https://{domainName}/{stage}} (an emulator), or null
   * @param sequencer orders sequenced messages (docs/ordering.md), or null to handle them at once
   * @param tasks the bridge task registry the sweeper checks for dead tasks, or null
   * @param clock the engine's and the sequencer's clock
   */
  public WebSocketEdge(
      BrokerConfig config,
      Stores stores,
      ManagementApiOutbound outbound,
      Authenticator authenticator,
      Authorizer authorizer,
      URI callbackOverride,
      Sequencer sequencer,
      BridgeTasks tasks,
      InstantSource clock) {
    this.stores = Objects.requireNonNull(stores, "stores");
    this.outbound = Objects.requireNonNull(outbound, "outbound");
    this.callbackOverride = callbackOverride;
    this.sequencer = sequencer;
    this.tasks = tasks;
    this.clock = Objects.requireNonNull(clock, "clock");
    // the profile's limit, announced to v5 clients in CONNACK and enforced on what they send
    this.broker =
        new Broker(
            config.withMaximumPacketSize(TextProfile.MAX_PACKET_SIZE),
            stores,
            outbound,
            clock,
            authenticator,
            authorizer);
  }

  /**
   * The edge of a Lambda container, from its environment: the DynamoDB client and table prefix as
   * {@link DynamoDbClients} reads them, {@code STRATUS_CALLBACK_URL} to override the callback URL,
   * and authentication, ACLs and limits as {@link EdgeSecurity} reads them (users from the users
   * table; anonymous clients refused unless {@code STRATUS_ALLOW_ANONYMOUS=true}).
   */
  public static WebSocketEdge fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, DynamoDbClients.fromEnvironment(env));
  }

  /** As {@link #fromEnvironment(Map)}, on a DynamoDB client the caller built (and may warm). */
  public static WebSocketEdge fromEnvironment(Map<String, String> env, DynamoDbClient dynamo) {
    String prefix = DynamoDbClients.tablePrefix(env);
    // once per container: the login throttle, JWKS cache and ACL table cache outlive invocations
    Security security =
        EdgeSecurity.fromEnvironment(
            env,
            new DynamoDbUserStore(dynamo, prefix),
            new DynamoDbAclStore(dynamo, prefix),
            InstantSource.system());
    SdkHttpClient http =
        UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(2))
            .socketTimeout(Duration.ofSeconds(10))
            .build();
    Region region = Region.of(env.getOrDefault("AWS_REGION", "us-east-1"));
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> managementClient(url, region, http, false),
            url -> managementClient(url, region, http, true),
            new BridgeTasks(dynamo, prefix),
            InstantSource.system());
    String override = env.get("STRATUS_CALLBACK_URL");
    return new WebSocketEdge(
        EdgeSecurity.limits(env, BrokerConfig.defaults()),
        DynamoDbStores.create(dynamo, prefix, keepAlivePad(env)),
        outbound,
        security.authenticator(),
        security.authorizer(),
        override == null || override.isBlank() ? null : URI.create(override),
        new Sequencer(dynamo, prefix, InstantSource.system()),
        new BridgeTasks(dynamo, prefix),
        InstantSource.system());
  }

  /**
   * {@code STRATUS_KEEPALIVE_PAD}, keepalive periods by which stored deadlines are padded (default
   * {@value #DEFAULT_KEEPALIVE_PAD}; 0 stores every deadline exactly): docs/cost.md.
   */
  static double keepAlivePad(Map<String, String> env) {
    String v = env.get("STRATUS_KEEPALIVE_PAD");
    if (v == null || v.isBlank()) {
      return DEFAULT_KEEPALIVE_PAD;
    }
    double pad;
    try {
      pad = Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("STRATUS_KEEPALIVE_PAD is not a number: " + v);
    }
    if (!(pad >= 0 && pad <= 10)) {
      throw new IllegalArgumentException("STRATUS_KEEPALIVE_PAD must be between 0 and 10: " + v);
    }
    return pad;
  }

  /** One keepalive period: half the PINGREQs of an idle client write no deadline. */
  public static final double DEFAULT_KEEPALIVE_PAD = 1.0;

  /**
   * A Management API client. API Gateway checks the function's signature; a bridge task's internal
   * endpoint checks none, so fixed credentials do there (the SDK insists on signing).
   */
  public static ApiGatewayManagementApiClient managementClient(
      URI endpoint, Region region, SdkHttpClient http, boolean internal) {
    return ApiGatewayManagementApiClient.builder()
        .endpointOverride(endpoint)
        .region(region)
        .credentialsProvider(
            internal
                ? StaticCredentialsProvider.create(
                    AwsBasicCredentials.create("stratus", "internal"))
                : DefaultCredentialsProvider.builder().build())
        .httpClient(http)
        // throttling is retried by ManagementApiOutbound, bounded and in order; a 410 must not
        // be retried at all
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  /** The engine, for tests that drive it directly. */
  Broker broker() {
    return broker;
  }

  /** This container's engine counters, for a console charting them (./stratus local). */
  public Broker.Stats stats() {
    return broker.stats();
  }

  /** {@code $connect}: negotiates the subprotocol and records the connection. */
  public APIGatewayV2WebSocketResponse connect(WebSocketEvent event) {
    String offered = event.headers().get("sec-websocket-protocol");
    if (!TextProfile.offered(offered)) {
      // Refused at the handshake (a non-2xx answer makes API Gateway reject the upgrade) rather
      // than accepted and closed with 1003 at the first binary frame: docs/text-profile.md
      LOG.log(
          System.Logger.Level.INFO,
          "refusing {0}: subprotocols offered {1}",
          event.connectionId(),
          offered);
      return response(
          400,
          Map.of(),
          "This endpoint speaks only the WebSocket subprotocol "
              + TextProfile.SUBPROTOCOL
              + " (MQTT packets as base64 text, docs/text-profile.md). Binary MQTT over WebSocket"
              + " ('mqtt') is served by the bridge endpoint.");
    }
    // Query parameters are where a browser, which cannot set headers on a WebSocket, puts
    // credentials. A bearer token (?token= or ?access_token=, RFC 6750 §2.3) goes with the
    // connection record to the CONNECT in $default, where Security judges it; the other parameters
    // are kept for that CONNECT too (queryParameters), without the token: one copy of a secret.
    Map<String, String> query = event.queryParameters();
    String token = bearerToken(query);
    if (sequencer != null) {
      Map<String, String> kept = new HashMap<>(query);
      kept.keySet().removeAll(TOKEN_PARAMETERS);
      if (!kept.isEmpty()) {
        sequencer.recordHandshake(new ConnectionId(event.connectionId()), kept);
      }
    }
    broker.connectionOpened(
        new ConnectionInfo(
            new ConnectionId(event.connectionId()),
            edgeOf(event),
            event.sourceIp() == null ? "unknown" : event.sourceIp(),
            null,
            token));
    flush(event);
    return response(200, Map.of("Sec-WebSocket-Protocol", TextProfile.SUBPROTOCOL), null);
  }

  /** The query parameters that carry a bearer token, in the order they are looked at. */
  static final List<String> TOKEN_PARAMETERS = List.of("token", "access_token");

  /** The first non-empty token parameter, or null. */
  static String bearerToken(Map<String, String> query) {
    for (String name : TOKEN_PARAMETERS) {
      String v = query.get(name);
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return null;
  }

  /**
   * {@code $default}: one text message, the base64 of one or more complete packets. A message that
   * is not base64, holds a malformed packet or ends inside a packet closes the connection: the
   * engine answers v5 clients with DISCONNECT and the reason code [MQTT-4.13.1-1].
   */
  public APIGatewayV2WebSocketResponse message(WebSocketEvent event) {
    return message(event, Sequencer.HOLD);
  }

  /**
   * {@code $default} with a time budget: if this invocation becomes its connection's sequencer lock
   * holder, it handles parked successors of its message for at most {@code budget}
   * (docs/ordering.md).
   */
  public APIGatewayV2WebSocketResponse message(WebSocketEvent event, Duration budget) {
    ConnectionId id = new ConnectionId(event.connectionId());
    String body = event.body() == null ? "" : event.body();
    Matcher m = SEQUENCED.matcher(body);
    if (m.matches() && sequencer != null) {
      long seq = Long.parseLong(m.group(1));
      Sequencer.Outcome outcome =
          sequencer.submit(
              id,
              seq,
              m.group(2),
              new Sequencer.Handler() {
                @Override
                public void handle(String packets) {
                  handleText(id, packets);
                }

                @Override
                public void deliver() {
                  flush(event);
                }
              },
              budget);
      if (outcome == Sequencer.Outcome.TOO_FAR_AHEAD) {
        // docs/text-profile.md: a number too far ahead of the last one handled closes the
        // connection; a v5 client gets DISCONNECT 0x82 with the reason
        broker.decodeFailed(
            id,
            new MqttDecodeException(
                ReasonCode.PROTOCOL_ERROR,
                "sequence number "
                    + seq
                    + " is "
                    + Sequencer.WINDOW
                    + " or more ahead of the next expected one"));
      }
    } else {
      handleText(id, m.matches() ? m.group(2) : body);
    }
    flush(event);
    return response(200, Map.of(), null);
  }

  /**
   * The query parameters of the connection's {@code $connect} (empty when it had none), kept for
   * authentication of its CONNECT in {@code $default}.
   */
  public Map<String, String> queryParameters(ConnectionId id) {
    return sequencer == null ? Map.of() : sequencer.handshake(id);
  }

  /** One message's packets (base64, no prefix) through the engine. */
  private void handleText(ConnectionId id, String text) {
    ConnectionRecord rec = stores.connections().get(id);
    MqttVersion version = rec == null ? null : rec.version();
    try {
      byte[] bytes;
      try {
        bytes = TextProfile.decode(text);
      } catch (IllegalArgumentException e) {
        throw MqttDecodeException.malformed("the text message is not base64: " + e.getMessage());
      }
      if (bytes.length == 0) {
        throw MqttDecodeException.malformed("an empty text message carries no packet");
      }
      ByteBuffer input = ByteBuffer.wrap(bytes);
      Framer framer = new Framer(TextProfile.MAX_PACKET_SIZE);
      while (input.hasRemaining()) {
        if (!(framer.next(input) instanceof FrameResult.Frame frame)) {
          throw MqttDecodeException.malformed(
              "the text message ends inside a packet: each message carries whole packets");
        }
        // a fresh array nobody else holds: the payload may share it
        Packet packet = PacketDecoder.decodeOwned(frame.packet(), version);
        if (version == null && packet instanceof Connect connect) {
          version = connect.version();
        }
        broker.packetReceived(id, packet);
      }
    } catch (MqttDecodeException e) {
      broker.decodeFailed(id, e);
    }
  }

  /** {@code $disconnect}: the connection is gone; the engine settles its will and session. */
  public APIGatewayV2WebSocketResponse disconnect(WebSocketEvent event) {
    LOG.log(
        System.Logger.Level.DEBUG,
        "{0} closed: {1} {2}",
        event.connectionId(),
        event.disconnectStatusCode(),
        event.disconnectReason());
    ConnectionId id = new ConnectionId(event.connectionId());
    broker.connectionLost(id);
    if (sequencer != null) {
      sequencer.forget(id);
    }
    flush(event);
    return response(200, Map.of(), null);
  }

  /** What one sweep did, for logs and tests. */
  public record SweepReport(
      int deadTasks, int connectionsOfDeadTasks, int sequencesDrained, int sequenceGaps) {}

  /** {@link #sweep(Instant, Duration)} with the default budget {@link Sequencer#HOLD}. */
  public SweepReport sweep(Instant now) {
    return sweep(now, Sequencer.HOLD);
  }

  /**
   * The scheduled sweep (docs/sweeper.md): the engine's timers at {@code now} (keepalive expiry
   * [MQTT-3.1.2-22], CONNECT timeout, delayed wills [MQTT-3.1.3-9], session expiry
   * [MQTT-3.1.2-23]); connections of bridge tasks whose registration expired are lost (their wills
   * fire [MQTT-3.1.2-8]); connections whose sequence gap outlived {@link Sequencer#GAP_TIMEOUT} are
   * closed, after stalled sequences (the message for {@code next} parked, the lock free) are
   * drained in order for at most {@code budget}. What that sends goes to each API Gateway
   * connection's recorded callback URL.
   */
  public SweepReport sweep(Instant now, Duration budget) {
    int[] counts = new int[4];
    outbound.resolvingEndpoints(
        this::endpointOf,
        () -> {
          broker.runTimers(now);
          if (tasks != null) {
            for (String task : tasks.expired(now)) {
              counts[0]++;
              for (ConnectionId c : tasks.connectionsOf(task)) {
                counts[1]++;
                broker.connectionLost(c);
              }
              tasks.deregister(task);
            }
          }
          if (sequencer != null) {
            Sequencer.SweepResult r =
                sequencer.sweep(
                    now,
                    clock.instant().plus(budget),
                    c ->
                        new Sequencer.Handler() {
                          @Override
                          public void handle(String packets) {
                            handleText(c, packets);
                          }

                          @Override
                          public void deliver() {
                            outbound.flush(callbackOverride, broker::connectionLost);
                          }
                        });
            counts[2] = r.drained();
            for (ConnectionId c : r.gaps()) {
              counts[3]++;
              // a message the client sent never reached the server: the connection closes, the
              // client reconnects and resends what was not acknowledged [MQTT-4.4.0-1]
              broker.decodeFailed(
                  c,
                  new MqttDecodeException(
                      ReasonCode.UNSPECIFIED_ERROR,
                      "a sequenced message did not arrive within "
                          + Sequencer.GAP_TIMEOUT.toSeconds()
                          + " s"));
              sequencer.forget(c);
            }
          }
        });
    outbound.flush(callbackOverride, broker::connectionLost);
    return new SweepReport(counts[0], counts[1], counts[2], counts[3]);
  }

  /** The Management API endpoint recorded on an API Gateway connection, or null. */
  private URI endpointOf(ConnectionId id) {
    if (callbackOverride != null) {
      return callbackOverride;
    }
    ConnectionRecord rec = stores.connections().get(id);
    if (rec == null || !rec.edge().startsWith(APIGW_EDGE_PREFIX)) {
      return null;
    }
    try {
      return URI.create(rec.edge().substring(APIGW_EDGE_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private void flush(WebSocketEvent event) {
    outbound.flush(callbackUrl(event), broker::connectionLost);
  }

  /** The stage's Management API endpoint, {@code https://{domainName}/{stage}}. */
  URI callbackUrl(WebSocketEvent event) {
    if (callbackOverride != null) {
      return callbackOverride;
    }
    if (event.domainName() == null || event.stage() == null) {
      return null;
    }
    return URI.create("https://" + event.domainName() + "/" + event.stage());
  }

  /**
   * The edge recorded on the connection: {@code apigw:} followed by the Management API endpoint
   * that reaches it, so that any process (another function, a bridge task, the sweeper) can deliver
   * to it or close it without configuration: {@code apigw:https://{domainName}/{stage}}, or the
   * emulator's URL locally.
   */
  private String edgeOf(WebSocketEvent event) {
    URI callback = callbackUrl(event);
    return APIGW_EDGE_PREFIX + (callback == null ? "unknown" : callback.toString());
  }

  /** What every API Gateway connection's edge starts with; the rest is its callback URL. */
  public static final String APIGW_EDGE_PREFIX = "apigw:";

  private static APIGatewayV2WebSocketResponse response(
      int status, Map<String, String> headers, String body) {
    APIGatewayV2WebSocketResponse r = new APIGatewayV2WebSocketResponse();
    r.setStatusCode(status);
    r.setHeaders(headers);
    r.setBody(body);
    return r;
  }
}
