package dev.stratus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.Properties;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.SubAck;
import dev.stratus.codec.Subscribe;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.TopicSubscription;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.User;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.jwt.TestIssuer;
import dev.stratus.store.dynamodb.DynamoDbAclStore;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.DynamoDbUserStore;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Authentication, ACLs and limits on the API Gateway edge as a deployed container builds them:
 * {@link WebSocketEdge#fromEnvironment} from the template's variables, on DynamoDB Local (users and
 * acl tables), driven through the real handler classes with the events' JSON, answers read from a
 * loopback Management API.
 */
class EdgeSecurityTest {
  private static final Path EVENTS = Path.of("..", "events");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String A = "Lw1bZf6LIAMCJ0g=";
  private static final String B = "Mx2cAg7MJBNDK1h=";

  private final FakeManagementApi api = new FakeManagementApi();
  private DynamoDbClient dynamo;
  private String prefix;
  private WebSocketEdge edge;
  private RequestStreamHandler connect;
  private RequestStreamHandler message;

  @BeforeAll
  static void credentials() {
    // the edge signs its Management API calls with the default credential chain, as on Lambda
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
  }

  @BeforeEach
  void setUp() {
    dynamo = LocalDynamo.client();
    prefix = LocalDynamo.newPrefix(dynamo);
  }

  @AfterEach
  void tearDown() {
    api.close();
    dynamo.close();
  }

  /** The container's edge from these variables on top of the table prefix and callback URL. */
  private void start(Map<String, String> vars) {
    Map<String, String> env = new HashMap<>(vars);
    env.put("STRATUS_TABLE_PREFIX", prefix);
    env.put("STRATUS_CALLBACK_URL", api.endpoint("dev").toString());
    env.put("AWS_REGION", "us-east-1");
    edge = WebSocketEdge.fromEnvironment(env, dynamo);
    connect = new ConnectHandler(edge);
    message = new DefaultHandler(edge);
  }

  private void addUser(String name, String password, String... roles) {
    new DynamoDbUserStore(dynamo, prefix)
        .put(
            new User(
                name,
                PasswordHash.hash(password.getBytes(StandardCharsets.UTF_8), 1000),
                Set.of(roles)));
  }

  @Test
  void anonymousClientsAreRefusedUnlessTheStackAllowsThem() throws IOException {
    start(Map.of("STRATUS_ALLOW_ANONYMOUS", "false"));
    open(A, Map.of());
    List<Packet> answers = send(A, connect("anon", null, null));
    assertEquals(ReasonCode.NOT_AUTHORIZED, connAck(answers).reasonCode());
    assertTrue(api.deleted(A), "the refused connection is closed");

    start(Map.of()); // unset: off too
    open(B, Map.of());
    assertEquals(
        ReasonCode.NOT_AUTHORIZED, connAck(send(B, connect("anon", null, null))).reasonCode());

    start(Map.of("STRATUS_ALLOW_ANONYMOUS", "true"));
    open(A, Map.of());
    assertEquals(ReasonCode.SUCCESS, connAck(send(A, connect("anon", null, null))).reasonCode());
  }

  @Test
  void usersOfTheUsersTableLogInWithTheirPasswordAndNobodyElse() throws IOException {
    addUser("alice", "s3cret");
    start(Map.of());
    open(A, Map.of());
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD,
        connAck(send(A, connect("c1", "alice", "wrong"))).reasonCode());
    open(A, Map.of());
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD,
        connAck(send(A, connect("c1", "mallory", "s3cret"))).reasonCode(),
        "an unknown user");
    open(A, Map.of());
    assertEquals(
        ReasonCode.BAD_USER_NAME_OR_PASSWORD,
        connAck(send(A, connect("c1", "alice", null))).reasonCode(),
        "a user name without a password");
    open(A, Map.of());
    assertEquals(
        ReasonCode.SUCCESS, connAck(send(A, connect("c1", "alice", "s3cret"))).reasonCode());
    assertEquals(
        "alice",
        DynamoDbStores.create(dynamo, prefix).connections().get(new ConnectionId(A)).username());
  }

  @Test
  void aTokenInTheConnectQueryAuthenticatesTheConnectionsConnect() throws Exception {
    try (TestIssuer issuer = new TestIssuer()) {
      start(
          Map.of(
              "STRATUS_JWT_JWKS_URL",
              issuer.jwksUrl().toString(),
              "STRATUS_JWT_ISSUER",
              TestIssuer.ISSUER,
              "STRATUS_JWT_AUDIENCE",
              "other-app,stratus-app"));
      assertEquals(0, issuer.fetches.get(), "keys are fetched on the first token, not at start");
      long now = System.currentTimeMillis() / 1000;

      open(A, Map.of("token", issuer.rs256("rsa-1", TestIssuer.claims("dev-7", now)), "x", "1"));
      assertEquals(
          Map.of("x", "1"),
          edge.queryParameters(new ConnectionId(A)),
          "the token is not kept with the handshake's other parameters");
      // the CONNECT carries no credentials at all: the token came with the connection
      assertEquals(ReasonCode.SUCCESS, connAck(send(A, connect("c7", null, null))).reasonCode());
      assertEquals(
          "dev-7",
          DynamoDbStores.create(dynamo, prefix).connections().get(new ConnectionId(A)).username());

      Map<String, Object> expired = TestIssuer.claims("dev-7", now - 7200);
      open(B, Map.of("access_token", issuer.rs256("rsa-1", expired)));
      assertEquals(
          ReasonCode.BAD_USER_NAME_OR_PASSWORD,
          connAck(send(B, connect("c8", null, null))).reasonCode(),
          "expired");

      Map<String, Object> otherApp = TestIssuer.claims("dev-7", now);
      otherApp.put("aud", "someone-elses-app");
      open(B, Map.of("token", issuer.rs256("rsa-1", otherApp)));
      assertEquals(
          ReasonCode.BAD_USER_NAME_OR_PASSWORD,
          connAck(send(B, connect("c8", null, null))).reasonCode(),
          "wrong audience");

      try (TestIssuer forger = new TestIssuer()) {
        open(B, Map.of("token", forger.rs256("rsa-1", TestIssuer.claims("admin", now))));
        assertEquals(
            ReasonCode.BAD_USER_NAME_OR_PASSWORD,
            connAck(send(B, connect("c8", null, null))).reasonCode(),
            "signed with a key the issuer does not publish");
      }
    }
  }

  @Test
  void aclRulesFromTheVariableAndTheTableConfineAUser() throws Exception {
    addUser("alice", "pw");
    new DynamoDbAclStore(dynamo, prefix)
        .add(AclFile.parse("t", List.of("user alice", "allow subscribe,receive shared/#")).get(0));
    start(
        Map.of(
            "STRATUS_ACL", "user alice\n  allow all alice/#\n",
            "STRATUS_ACL_TABLE", "true"));
    open(A, Map.of());
    assertEquals(ReasonCode.SUCCESS, connAck(send(A, connect("c1", "alice", "pw"))).reasonCode());

    List<String> filters = List.of("alice/#", "#", "+/#", "$share/g/#", "$SYS/#", "shared/x");
    List<TopicSubscription> subs = new ArrayList<>();
    for (String f : filters) {
      subs.add(
          new TopicSubscription(
              TopicFilter.of(f),
              QoS.AT_LEAST_ONCE,
              false,
              false,
              dev.stratus.codec.RetainHandling.SEND));
    }
    SubAck subAck = find(send(A, encode(new Subscribe(1, subs, Properties.NONE))), SubAck.class);
    assertEquals(
        List.of(
            ReasonCode.GRANTED_QOS_1,
            ReasonCode.NOT_AUTHORIZED,
            ReasonCode.NOT_AUTHORIZED,
            ReasonCode.NOT_AUTHORIZED,
            ReasonCode.NOT_AUTHORIZED,
            ReasonCode.GRANTED_QOS_1),
        subAck.reasonCodes());

    PubAck refused = find(send(A, encode(publish("bob/x", 2))), PubAck.class);
    assertEquals(ReasonCode.NOT_AUTHORIZED, refused.reasonCode());
    PubAck refusedSys = find(send(A, encode(publish("$SYS/broker/x", 3))), PubAck.class);
    assertEquals(ReasonCode.NOT_AUTHORIZED, refusedSys.reasonCode());
    List<Packet> own = send(A, encode(publish("alice/x", 4)));
    assertEquals(ReasonCode.SUCCESS, find(own, PubAck.class).reasonCode());
    assertEquals("alice/x", find(own, Publish.class).topic().value(), "its own subscription");
  }

  @Test
  void aFloodPastThePublishRateEndsTheConnectionWith0x96() throws IOException {
    start(Map.of("STRATUS_ALLOW_ANONYMOUS", "true", "STRATUS_MAX_PUBLISH_RATE", "1/3"));
    open(A, Map.of());
    assertEquals(ReasonCode.SUCCESS, connAck(send(A, connect("f", null, null))).reasonCode());
    StringBuilder flood = new StringBuilder();
    List<byte[]> packets = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      packets.add(PacketEncoder.encode(publish("flood/x", i), MqttVersion.V5));
    }
    int total = packets.stream().mapToInt(b -> b.length).sum();
    ByteBuffer all = ByteBuffer.allocate(total);
    packets.forEach(all::put);
    flood.append(TextProfile.encode(all.array()));
    List<Packet> answers = send(A, flood.toString());
    dev.stratus.codec.Disconnect d = find(answers, dev.stratus.codec.Disconnect.class);
    assertEquals(ReasonCode.MESSAGE_RATE_TOO_HIGH, d.reasonCode());
    assertTrue(api.deleted(A));
  }

  @Test
  void aBadVariableStopsTheContainerNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> start(Map.of("STRATUS_ALLOW_ANONYMOUS", "yes")));
    assertTrue(e.getMessage().startsWith("STRATUS_ALLOW_ANONYMOUS"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> start(Map.of("STRATUS_ACL", "user a\n  allow read a/#")));
    assertTrue(e.getMessage().startsWith("STRATUS_ACL:2: "), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> start(Map.of("STRATUS_JWT_COGNITO", "eu-west-1/eu-west-1_Abc")));
    assertTrue(e.getMessage().startsWith("STRATUS_JWT_AUDIENCE"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> start(Map.of("STRATUS_MAX_PUBLISH_RATE", "fast")));
    assertTrue(e.getMessage().startsWith("STRATUS_MAX_PUBLISH_RATE"), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------

  private void open(String id, Map<String, String> query) throws IOException {
    api.live(id);
    ObjectNode e = fixture("connect.json", id);
    ObjectNode q = e.putObject("queryStringParameters");
    query.forEach(q::put);
    assertEquals(200, invoke(connect, e).get("statusCode").asInt());
  }

  private List<Packet> send(String id, String text) throws IOException {
    ObjectNode e = fixture("default-pingreq.json", id);
    e.put("body", text);
    assertEquals(200, invoke(message, e).get("statusCode").asInt());
    List<Packet> all = new ArrayList<>();
    for (byte[] posted : api.take(id)) {
      all.addAll(decodeAll(TextProfile.decode(new String(posted, StandardCharsets.US_ASCII))));
    }
    return all;
  }

  private static String connect(String clientId, String user, String password) {
    return encode(
        new Connect(
            MqttVersion.V5,
            clientId,
            true,
            60,
            user,
            password == null ? null : Bytes.utf8(password),
            null,
            Properties.NONE));
  }

  private static Publish publish(String topic, int packetId) {
    return new Publish(
        TopicName.of(topic),
        QoS.AT_LEAST_ONCE,
        false,
        false,
        packetId,
        Bytes.utf8("m"),
        Properties.NONE);
  }

  private static String encode(Packet p) {
    return TextProfile.encode(PacketEncoder.encode(p, MqttVersion.V5));
  }

  private static ConnAck connAck(List<Packet> packets) {
    return find(packets, ConnAck.class);
  }

  private static <T extends Packet> T find(List<Packet> packets, Class<T> type) {
    List<T> of = packets.stream().filter(type::isInstance).map(type::cast).toList();
    assertEquals(1, of.size(), packets.toString());
    return of.get(0);
  }

  private static ObjectNode fixture(String name, String connectionId) throws IOException {
    ObjectNode e = (ObjectNode) JSON.readTree(EVENTS.resolve(name).toFile());
    ((ObjectNode) e.get("requestContext")).put("connectionId", connectionId);
    return e;
  }

  private static JsonNode invoke(RequestStreamHandler handler, JsonNode event) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(JSON.writeValueAsBytes(event)), out, null);
    return JSON.readTree(out.toByteArray());
  }

  private static List<Packet> decodeAll(byte[] bytes) {
    List<Packet> packets = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Framer framer = new Framer(1 << 20);
    try {
      while (in.hasRemaining()) {
        FrameResult.Frame f = (FrameResult.Frame) framer.next(in);
        packets.add(PacketDecoder.decodeOwned(f.packet(), MqttVersion.V5));
      }
    } catch (dev.stratus.codec.MqttDecodeException e) {
      throw new AssertionError(e);
    }
    return packets;
  }
}
