package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.PacketDecoder;
import dev.stratus.codec.Publish;
import dev.stratus.core.Broker;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import dev.stratus.core.Outbound;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The same delivery with {@code --store dynamodb}, end to end: {@code ./stratus bridge} as a child
 * process on DynamoDB Local, the API Gateway connection opened, connected and subscribed by another
 * engine on the same tables (as the Lambda handlers do), so the bridge learns its {@code apigw:}
 * edge only from DynamoDB; the Management API is {@link ApiGatewayDeliveryTest.FakeManagementApi}.
 */
@Timeout(120)
class ApiGatewayDeliveryDynamoDbTest {
  @TempDir Path logs;
  private Process bridge;
  private ApiGatewayDeliveryTest.FakeManagementApi api;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
    if (bridge != null) {
      bridge.destroy();
      if (!bridge.waitFor(20, TimeUnit.SECONDS)) {
        bridge.destroyForcibly();
      }
    }
    if (api != null) {
      api.close();
    }
  }

  private Mqtt5BlockingClient client(String id, int port) {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .useMqttVersion5()
            .buildBlocking();
    c.connect();
    clients.add(c);
    return c;
  }

  @Test
  void aBridgeTaskDeliversToAnApiGatewayConnectionItFindsInDynamoDb() throws Exception {
    DynamoDbClient dynamo = LocalDynamo.client();
    String prefix = LocalDynamo.newPrefix(dynamo);
    api = new ApiGatewayDeliveryTest.FakeManagementApi();

    Path err = logs.resolve("bridge.err");
    bridge =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                BridgeMain.class.getName(),
                "--store",
                "dynamodb",
                "--dynamodb-endpoint",
                LocalDynamo.endpoint().toString(),
                "--table-prefix",
                prefix,
                "--tcp-port",
                "0",
                "--ws-port",
                "-1",
                "--allow-anonymous",
                "true")
            .redirectError(err.toFile())
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(bridge.getInputStream(), StandardCharsets.UTF_8));
    String tcp = out.readLine();
    assertNotNull(out.readLine(), () -> "the bridge did not start: " + read(err));
    int port = Integer.parseInt(tcp.substring(tcp.lastIndexOf(':') + 1));

    // The Lambda edge's side: its own engine on the same tables; what it sends back to its client
    // (CONNACK, SUBACK) is its business, not this test's.
    Stores shared = DynamoDbStores.create(dynamo, prefix);
    Broker lambda =
        new Broker(
            BrokerConfig.development(),
            shared,
            new Outbound() {
              @Override
              public void send(ConnectionId connection, byte[] packet) {}

              @Override
              public void close(ConnectionId connection) {}
            },
            InstantSource.system(),
            Authenticator.ALLOW_ALL,
            Authorizer.ALLOW_ALL);
    String connection = "Q3Jvc3NFZGdlPQ==";
    ConnectionId id = new ConnectionId(connection);
    api.versions.put(connection, MqttVersion.V5);
    lambda.connectionOpened(
        new ConnectionInfo(id, "apigw:" + api.url(), "198.51.100.7:40000", null));
    lambda.packetReceived(
        id,
        PacketDecoder.decode(
            ByteBuffer.wrap(Wire.connect5WithWill("web", true, 60, 0, "wills/web", "gone", 0)),
            null));
    lambda.packetReceived(
        id, PacketDecoder.decode(ByteBuffer.wrap(subscribe5("room/#")), MqttVersion.V5));

    Mqtt5BlockingClient watcher = client("watcher", port);
    watcher.subscribeWith().topicFilter("wills/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient publisher = client("device", port);
    for (int i = 0; i < 20; i++) {
      publisher
          .publishWith()
          .topic("room/1")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("r" + i).getBytes(StandardCharsets.UTF_8))
          .send();
    }
    for (int i = 0; i < 20; i++) {
      Publish p = assertInstanceOf(Publish.class, api.nextPacket(connection, MqttVersion.V5));
      assertEquals("r" + i, new String(p.payload().toArray(), StandardCharsets.UTF_8));
    }

    try (Mqtt5BlockingClient.Mqtt5Publishes wills =
        watcher.publishes(MqttGlobalPublishFilter.ALL)) {
      api.gone.add(connection);
      publisher.publishWith().topic("room/1").payload("late".getBytes()).send();
      Optional<Mqtt5Publish> will = wills.receive(30, TimeUnit.SECONDS);
      assertTrue(will.isPresent(), () -> "the will after the 410; bridge log: " + read(err));
      assertEquals("wills/web", will.get().getTopic().toString());
    }
    assertNull(shared.connections().get(id), "the bridge removed the record in DynamoDB");

    // A takeover from the bridge of an API Gateway connection it never delivered to: the engine
    // removes the record before it closes the connection, yet the close reaches API Gateway.
    String other = "Um9hbWVyMg==";
    ConnectionId otherId = new ConnectionId(other);
    lambda.connectionOpened(
        new ConnectionInfo(otherId, "apigw:" + api.url(), "198.51.100.8:40000", null));
    lambda.packetReceived(
        otherId, PacketDecoder.decode(ByteBuffer.wrap(Wire.connect(4, "roamer")), null));
    client("roamer", port);
    assertEquals(other, api.deleted.poll(30, TimeUnit.SECONDS));
    assertNull(shared.connections().get(otherId));
  }

  /** A v5 SUBSCRIBE, packet id 1, no properties, maximum QoS 1. */
  private static byte[] subscribe5(String filter) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(0);
    body.write(1);
    body.write(0);
    Wire.writeString(body, filter);
    body.write(1);
    return Wire.packet(0x82, body.toByteArray());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
