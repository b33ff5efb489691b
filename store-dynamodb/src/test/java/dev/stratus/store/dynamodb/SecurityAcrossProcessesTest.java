package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.ReasonCode;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.Harness;
import dev.stratus.core.TestClient;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.User;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Issue 8 across two processes on one set of DynamoDB tables (two bridge tasks, or a bridge and a
 * Lambda): users from the DynamoDB user store, the takeover check and the per-user connection limit
 * read what the other process wrote.
 */
class SecurityAcrossProcessesTest {
  private final DynamoDbClient clientA = LocalDynamo.client();
  private final DynamoDbClient clientB = LocalDynamo.client();
  private final String prefix = LocalDynamo.newPrefix(clientA);
  private final BrokerConfig config = BrokerConfig.defaults().withMaxConnectionsPerUser(2);
  private final Harness a = harness(clientA);
  private final Harness b = harness(clientB);

  SecurityAcrossProcessesTest() {
    DynamoDbUserStore users = new DynamoDbUserStore(clientA, prefix);
    for (String name : new String[] {"alice", "bob"}) {
      users.put(
          new User(
              name,
              PasswordHash.hash(
                  ("pw-" + name).getBytes(StandardCharsets.UTF_8), PasswordHash.MIN_ITERATIONS),
              Set.of()));
    }
  }

  private Harness harness(DynamoDbClient client) {
    Security s =
        Security.builder(InstantSource.system())
            .users(new DynamoDbUserStore(client, prefix))
            .passwordIterations(PasswordHash.MIN_ITERATIONS)
            .build();
    return new Harness(
        config, DynamoDbStores.create(client, prefix), s.authenticator(), s.authorizer());
  }

  private static ReasonCode connect(Harness h, String clientId, String user) {
    TestClient c = h.client(MqttVersion.V5);
    c.connect(
        new Connect(
            MqttVersion.V5,
            clientId,
            true,
            0,
            user,
            Bytes.utf8("pw-" + user),
            null,
            Properties.NONE));
    return c.expect(ConnAck.class).reasonCode();
  }

  @Test
  @DisplayName("a client id held on one process is refused to another user on the other: 0x85")
  void takeoverByAnotherUserAcrossProcesses() {
    assertEquals(ReasonCode.SUCCESS, connect(a, "device-1", "alice"));
    assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, connect(b, "device-1", "bob"));
    assertEquals(ReasonCode.SUCCESS, connect(b, "device-1", "alice"));
  }

  @Test
  @DisplayName("connections per user are counted across processes: the third is refused 0x97")
  void connectionsPerUserAcrossProcesses() {
    assertEquals(ReasonCode.SUCCESS, connect(a, "a1", "alice"));
    assertEquals(ReasonCode.SUCCESS, connect(b, "a2", "alice"));
    assertEquals(ReasonCode.QUOTA_EXCEEDED, connect(a, "a3", "alice"));
    assertEquals(ReasonCode.SUCCESS, connect(a, "b1", "bob"));
  }
}
