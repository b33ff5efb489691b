package dev.stratus.functions;

import dev.stratus.codec.Connect;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.RetainHandling;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.BridgeTasks;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.crac.Context;
import org.crac.Resource;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * SnapStart priming: before Lambda snapshots an initialised container, run a CONNECT, a SUBSCRIBE
 * and a PUBLISH through the real handler classes, so that the snapshot holds loaded, initialised
 * and partly compiled code for the message path (the codec, the engine, the event JSON, the
 * Management API client's marshalling and signing).
 *
 * <p><b>Without touching the real tables or real connections.</b> The packets run on a separate
 * edge on the engine's in-memory stores, whose Management API client is the real SDK client over an
 * in-process HTTP client that answers 200 (the posts are kept, so the priming can check what it
 * produced). The container's DynamoDB client is warmed with one {@code DescribeTable} (a
 * control-plane call: no read units, nothing written). The container's own edge is not used: its
 * engine holds no per-connection state, so nothing of the priming run survives into the snapshot's
 * view of the broker.
 */
public final class Priming implements Resource {
  private static final System.Logger LOG = System.getLogger(Priming.class.getName());

  /** What a priming run did. */
  public record Report(List<Class<? extends Packet>> answers, boolean storeWarmed) {}

  private final DynamoDbClient dynamo;
  private final String warmTable;
  private volatile Report last;

  /**
   * @param dynamo the container's DynamoDB client to warm, or null
   * @param warmTable the table whose description warms it
   */
  public Priming(DynamoDbClient dynamo, String warmTable) {
    this.dynamo = dynamo;
    this.warmTable = warmTable;
  }

  /** Registers with the CRaC global context; a no-op outside a CRaC/SnapStart runtime. */
  public Priming register() {
    org.crac.Core.getGlobalContext().register(this);
    return this;
  }

  @Override
  public void beforeCheckpoint(Context<? extends Resource> context) {
    last = prime();
    LOG.log(System.Logger.Level.INFO, "primed before the snapshot: {0}", last);
  }

  @Override
  public void afterRestore(Context<? extends Resource> context) {
    // nothing to renew: the SDK clients re-resolve credentials and reconnect on use
  }

  /** The last run's report, or null. */
  public Report last() {
    return last;
  }

  /** Runs the three packets through the handlers; safe to call more than once. */
  public Report prime() {
    LoopbackHttp http = new LoopbackHttp();
    ManagementApiOutbound outbound =
        new ManagementApiOutbound(
            url -> WebSocketEdge.managementClient(url, Region.US_EAST_1, http, true),
            url -> WebSocketEdge.managementClient(url, Region.US_EAST_1, http, true),
            new BridgeTasks(null, "priming-"),
            InstantSource.system());
    WebSocketEdge edge =
        new WebSocketEdge(
            BrokerConfig.development(),
            Stores.inMemory(),
            outbound,
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL,
            URI.create("http://127.0.0.1:9/priming"));
    String id = "primingAAAAAAA=";
    invoke(new ConnectHandler(edge), event("$connect", id, null));
    invoke(
        new DefaultHandler(edge),
        event(
            "$default",
            id,
            "1:"
                + encode(
                    new Connect(
                        MqttVersion.V5, "priming", true, 60, null, null, null, Properties.NONE))));
    invoke(
        new DefaultHandler(edge),
        event(
            "$default",
            id,
            "2:"
                + encode(
                    new Subscribe(
                        1,
                        List.of(
                            new TopicSubscription(
                                TopicFilter.of("priming/#"),
                                QoS.AT_LEAST_ONCE,
                                false,
                                false,
                                RetainHandling.SEND)),
                        Properties.NONE))));
    invoke(
        new DefaultHandler(edge),
        event(
            "$default",
            id,
            "3:"
                + encode(
                    new Publish(
                        TopicName.of("priming/x"),
                        QoS.AT_LEAST_ONCE,
                        false,
                        false,
                        1,
                        dev.stratus.codec.Bytes.utf8("warm"),
                        Properties.NONE))));
    invoke(new DisconnectHandler(edge), event("$disconnect", id, null));
    boolean warmed = false;
    if (dynamo != null) {
      try {
        dynamo.describeTable(d -> d.tableName(warmTable));
        warmed = true;
      } catch (RuntimeException e) {
        // a missing table or permission shows at the first real request, with its own error
        LOG.log(System.Logger.Level.WARNING, "warming DynamoDB failed: {0}", e.getMessage());
      }
    }
    List<Class<? extends Packet>> answers = new ArrayList<>();
    for (byte[] posted : http.bodies) {
      for (Packet p :
          decodeAll(TextProfile.decode(new String(posted, StandardCharsets.US_ASCII)))) {
        answers.add(p.getClass());
      }
    }
    return new Report(List.copyOf(answers), warmed);
  }

  private static String encode(Packet p) {
    return TextProfile.encode(PacketEncoder.encode(p, MqttVersion.V5));
  }

  private static List<Packet> decodeAll(byte[] bytes) {
    List<Packet> packets = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Framer framer = new Framer(TextProfile.MAX_PACKET_SIZE);
    try {
      while (in.hasRemaining() && framer.next(in) instanceof FrameResult.Frame f) {
        packets.add(PacketDecoder.decode(f.packet(), MqttVersion.V5));
      }
    } catch (MqttDecodeException e) {
      throw new IllegalStateException("priming produced a malformed packet", e);
    }
    return packets;
  }

  /** The JSON of a minimal API Gateway WebSocket event, read by the handlers like a real one. */
  private static byte[] event(String route, String id, String body) {
    StringBuilder json = new StringBuilder("{\"requestContext\":{\"routeKey\":");
    Handlers.string(json, route).append(",\"connectionId\":");
    Handlers.string(json, id)
        .append(
            ",\"stage\":\"priming\",\"domainName\":\"127.0.0.1\","
                + "\"identity\":{\"sourceIp\":\"127.0.0.1\"}");
    if (route.equals("$disconnect")) {
      json.append(",\"disconnectStatusCode\":1000,\"disconnectReason\":\"\"");
    }
    json.append('}');
    if (route.equals("$connect")) {
      json.append(",\"headers\":{\"Sec-WebSocket-Protocol\":\"")
          .append(TextProfile.SUBPROTOCOL)
          .append("\"}");
    }
    if (body != null) {
      Handlers.string(json.append(",\"body\":"), body);
    }
    return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void invoke(
      com.amazonaws.services.lambda.runtime.RequestStreamHandler h, byte[] e) {
    try {
      h.handleRequest(new ByteArrayInputStream(e), new ByteArrayOutputStream(), null);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** An in-process HTTP client that answers every request 200 and keeps the bodies. */
  private static final class LoopbackHttp implements SdkHttpClient {
    final List<byte[]> bodies = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
      return new ExecutableHttpRequest() {
        @Override
        public HttpExecuteResponse call() throws IOException {
          if (request.contentStreamProvider().isPresent()) {
            bodies.add(request.contentStreamProvider().get().newStream().readAllBytes());
          }
          return HttpExecuteResponse.builder()
              .response(SdkHttpResponse.builder().statusCode(200).build())
              .responseBody(AbortableInputStream.create(new ByteArrayInputStream(new byte[0])))
              .build();
        }

        @Override
        public void abort() {}
      };
    }

    @Override
    public void close() {}

    @Override
    public String clientName() {
      return "priming-loopback";
    }
  }
}
