package dev.stratus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stratus.codec.FrameResult;
import dev.stratus.codec.Framer;
import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Packet;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.PacketEncoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.apigatewaymanagementapi.ApiGatewayManagementApiClient;

/**
 * Drives the real handler classes as the Lambda runtime does, with events built from the {@code
 * events/} fixtures, and reads what they posted back: what the handler tests share.
 */
final class HandlerEvents {
  private HandlerEvents() {}

  static final Path EVENTS = Path.of("..", "events");
  static final ObjectMapper JSON = new ObjectMapper();

  /** The fixture {@code events/NAME}, for the connection {@code connectionId}. */
  static ObjectNode fixture(String name, String connectionId) {
    try {
      ObjectNode e = (ObjectNode) JSON.readTree(EVENTS.resolve(name).toFile());
      ((ObjectNode) e.get("requestContext")).put("connectionId", connectionId);
      return e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A {@code $default} event for {@code connectionId} carrying {@code body} as it is. */
  static ObjectNode message(String connectionId, String body) {
    ObjectNode e = fixture("default-pingreq.json", connectionId);
    e.put("body", body);
    return e;
  }

  /** One v5 packet as a text-profile message, without a sequence prefix. */
  static String encode(Packet p) {
    return TextProfile.encode(PacketEncoder.encode(p, MqttVersion.V5));
  }

  /** Invokes {@code handler} with no Lambda context; the answer must be 200. */
  static JsonNode invoke(RequestStreamHandler handler, JsonNode event) {
    return invoke(handler, event, null);
  }

  /** Invokes {@code handler} as the Lambda runtime does; the answer must be 200. */
  static JsonNode invoke(RequestStreamHandler handler, JsonNode event, Context context) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      handler.handleRequest(new ByteArrayInputStream(JSON.writeValueAsBytes(event)), out, context);
      JsonNode r = JSON.readTree(out.toByteArray());
      assertEquals(200, r.get("statusCode").asInt());
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The v5 packets in text-profile messages posted to a connection, in order. */
  static List<Packet> packetsIn(List<byte[]> posted) {
    List<Packet> all = new ArrayList<>();
    for (byte[] message : posted) {
      ByteBuffer in =
          ByteBuffer.wrap(TextProfile.decode(new String(message, StandardCharsets.US_ASCII)));
      Framer framer = new Framer(1 << 20);
      try {
        while (in.hasRemaining()) {
          FrameResult.Frame f = assertInstanceOf(FrameResult.Frame.class, framer.next(in));
          all.add(PacketDecoder.decode(f.packet(), MqttVersion.V5));
        }
      } catch (MqttDecodeException e) {
        throw new AssertionError(e);
      }
    }
    return all;
  }

  /**
   * A Management API client as the deployed ones are built: no SDK retries, so the outbound's own
   * bound applies; fixed credentials, which {@link FakeManagementApi} does not check.
   */
  static ApiGatewayManagementApiClient managementClient(URI url, SdkHttpClient http) {
    return ApiGatewayManagementApiClient.builder()
        .endpointOverride(url)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("t", "t")))
        .httpClient(http)
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  /** Runs {@link SweeperHandler} on the scheduled-event fixture and reads its report. */
  static WebSocketEdge.SweepReport sweep(WebSocketEdge edge, InstantSource clock, Context context) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new SweeperHandler(edge, clock)
          .handleRequest(
              new ByteArrayInputStream(Files.readAllBytes(EVENTS.resolve("scheduled-sweep.json"))),
              out,
              context);
      JsonNode r = JSON.readTree(out.toByteArray());
      return new WebSocketEdge.SweepReport(
          r.get("deadTasks").asInt(),
          r.get("connectionsOfDeadTasks").asInt(),
          r.get("sequencesDrained").asInt(),
          r.get("sequenceGaps").asInt());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Packet single(List<Packet> packets) {
    assertEquals(1, packets.size(), packets.toString());
    return packets.get(0);
  }
}
