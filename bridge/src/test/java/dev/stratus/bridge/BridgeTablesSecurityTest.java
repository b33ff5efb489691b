package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.User;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.store.dynamodb.DynamoDbAclStore;
import dev.stratus.store.dynamodb.DynamoDbUserStore;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * {@code ./stratus bridge --store dynamodb --users dynamodb --acl-store dynamodb} as a child
 * process on DynamoDB Local: users and ACL rules written to the tables (as {@code ./stratus users
 * add} and {@code ./stratus acl add} do) decide who connects and what it may subscribe to.
 */
@Timeout(120)
class BridgeTablesSecurityTest {
  private Process child;
  private final List<Mqtt5BlockingClient> clients = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Mqtt5BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
    if (child != null) {
      child.destroy();
      if (!child.waitFor(30, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    }
  }

  @Test
  void usersAndRulesComeFromTheTables() throws Exception {
    DynamoDbClient dynamo = LocalDynamo.client();
    String prefix = LocalDynamo.newPrefix(dynamo);
    new DynamoDbUserStore(dynamo, prefix)
        .put(
            new User(
                "carol",
                PasswordHash.hash("carol-pw".getBytes(StandardCharsets.UTF_8), 1000),
                Set.of("sensors")));
    new DynamoDbAclStore(dynamo, prefix)
        .add(AclFile.parse("t", List.of("role sensors", "allow all sensors/%u/#")).get(0));

    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Daws.accessKeyId=test",
                "-Daws.secretAccessKey=test",
                "-Daws.region=us-east-1",
                "-cp",
                System.getProperty("java.class.path"),
                BridgeMain.class.getName(),
                "--tcp-port",
                "0",
                "--ws-port",
                "-1",
                "--store",
                "dynamodb",
                "--dynamodb-endpoint",
                LocalDynamo.endpoint().toString(),
                "--table-prefix",
                prefix,
                "--users",
                "dynamodb",
                "--acl-store",
                "dynamodb"));
    child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String tcpLine = out.readLine();
    assertNotNull(tcpLine, "the bridge did not start");
    assertTrue(tcpLine.startsWith("listening tcp "), tcpLine);
    int port = Integer.parseInt(tcpLine.substring(tcpLine.lastIndexOf(':') + 1));

    Mqtt5BlockingClient stranger = client(port, "s1");
    Mqtt5ConnAckException refused =
        assertThrows(
            Mqtt5ConnAckException.class,
            () ->
                stranger
                    .connectWith()
                    .simpleAuth()
                    .username("carol")
                    .password("guess".getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth()
                    .send());
    assertEquals(
        Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, refused.getMqttMessage().getReasonCode());

    Mqtt5BlockingClient carol = client(port, "c1");
    carol
        .connectWith()
        .simpleAuth()
        .username("carol")
        .password("carol-pw".getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth()
        .send();
    assertEquals(
        List.of(Mqtt5SubAckReasonCode.GRANTED_QOS_1),
        carol
            .subscribeWith()
            .topicFilter("sensors/carol/#")
            .qos(MqttQos.AT_LEAST_ONCE)
            .send()
            .getReasonCodes(),
        "the role's rule from the acl table, %u filled with the user");
    Mqtt5SubAckException e =
        assertThrows(
            Mqtt5SubAckException.class,
            () -> carol.subscribeWith().topicFilter("sensors/#").qos(MqttQos.AT_LEAST_ONCE).send());
    assertEquals(
        List.of(Mqtt5SubAckReasonCode.NOT_AUTHORIZED), e.getMqttMessage().getReasonCodes());
    dynamo.close();
  }

  private Mqtt5BlockingClient client(int port, String id) {
    Mqtt5BlockingClient c =
        MqttClient.builder()
            .identifier(id)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .useMqttVersion5()
            .buildBlocking();
    clients.add(c);
    return c;
  }
}
