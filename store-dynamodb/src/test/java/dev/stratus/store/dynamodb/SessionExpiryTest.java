package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.Harness;
import dev.stratus.core.TestClient;
import dev.stratus.core.store.Session;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;

/**
 * [MQTT-3.1.2-23] Session expiry on DynamoDB: the sweeper's index, the TTL attribute (a late
 * backstop), and the engine's own check at CONNECT.
 */
class SessionExpiryTest {
  private final DynamoDbClient client = LocalDynamo.client();
  private final String prefix = LocalDynamo.newPrefix(client);
  private final Harness h =
      new Harness(BrokerConfig.development(), DynamoDbStores.create(client, prefix));

  private TestClient connect(long expiry) {
    TestClient c = h.client(MqttVersion.V5);
    c.connect(
        new Connect(
            MqttVersion.V5,
            "e",
            false,
            0,
            null,
            null,
            null,
            Properties.builder().sessionExpiryInterval(expiry).build()));
    return c;
  }

  @Test
  void aDisconnectedSessionCarriesATtlADayAfterItsExpiry() {
    TestClient c = connect(10);
    c.expectConnAck();
    c.drop();
    Session s = h.stores.sessions().get("e");
    assertNotNull(s.expiresAt());
    Map<String, AttributeValue> item =
        client
            .getItem(
                b ->
                    b.tableName(StratusTables.SESSIONS.name(prefix))
                        .key(Map.of("pk", AttributeValue.fromS("e")))
                        .consistentRead(true))
            .item();
    assertEquals(
        s.expiresAt().plus(DynamoDbSessionStore.TTL_GRACE).getEpochSecond(),
        Long.parseLong(item.get("ttl").n()));
    assertEquals(
        TimeToLiveStatus.ENABLED,
        client
            .describeTimeToLive(b -> b.tableName(StratusTables.SESSIONS.name(prefix)))
            .timeToLiveDescription()
            .timeToLiveStatus());
  }

  @Test
  void anExpiredSessionIsNotResumedEvenBeforeTheSweeperAndTheSweeperRemovesItsState() {
    TestClient c = connect(10);
    c.expectConnAck();
    c.subscribe("t", QoS.AT_LEAST_ONCE);
    c.drop();
    h.clock.advance(Duration.ofSeconds(11));
    // neither the sweeper nor TTL has run: the item is still there, yet the session is over
    assertNotNull(h.stores.sessions().get("e"));
    TestClient back = connect(10);
    assertFalse(back.expectConnAck().sessionPresent());
    assertTrue(h.stores.subscriptions().forClient("e").isEmpty());

    // the sweeper path: expired(now) on the index, then the session and its state go
    back.drop();
    h.stores
        .subscriptions()
        .put(
            new dev.stratus.core.store.Subscription(
                "e",
                dev.stratus.codec.TopicFilter.of("u"),
                QoS.AT_MOST_ONCE,
                false,
                false,
                dev.stratus.codec.RetainHandling.SEND,
                0));
    assertEquals(0, h.stores.sessions().expired(h.clock.instant()).size());
    h.advance(Duration.ofSeconds(11)); // runTimers
    assertEquals(null, h.stores.sessions().get("e"));
    assertTrue(h.stores.subscriptions().forClient("e").isEmpty());
  }
}
