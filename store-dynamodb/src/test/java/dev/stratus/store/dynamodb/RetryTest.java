package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicName;
import dev.stratus.core.BrokerConfig;
import dev.stratus.core.Harness;
import dev.stratus.core.TestClient;
import dev.stratus.core.store.Session;
import dev.stratus.core.store.StoreException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Throttling is retried with backoff; a write that still fails is a StoreException, never acked.
 */
class RetryTest {

  @Test
  void throttledWritesAreRetriedUntilTheySucceed() {
    RequestCounter counter = new RequestCounter();
    Throttler throttler = new Throttler(r -> r instanceof PutItemRequest);
    DynamoDbClient client = LocalDynamo.client(counter, throttler);
    var store =
        new DynamoDbSessionStore(client, LocalDynamo.newPrefix(client, StratusTables.SESSIONS));
    throttler.throttleNext(3);
    counter.reset();
    store.put(Session.connected("c", MqttVersion.V5, 60));
    assertEquals(3, throttler.throttled());
    assertEquals(4L, counter.byOperation().get("PutItem"), "three throttled attempts, then one");
    assertEquals(60, store.get("c").expirySeconds());
  }

  @Test
  void aWriteStillThrottledAfterEveryAttemptIsAStoreException() {
    Throttler throttler = new Throttler(r -> r instanceof PutItemRequest);
    DynamoDbClient client = LocalDynamo.client(throttler);
    var store =
        new DynamoDbSessionStore(client, LocalDynamo.newPrefix(client, StratusTables.SESSIONS));
    throttler.throttleNext(Integer.MAX_VALUE);
    StoreException e =
        assertThrows(
            StoreException.class, () -> store.put(Session.connected("c", MqttVersion.V5, 60)));
    assertInstanceOf(ProvisionedThroughputExceededException.class, e.getCause());
    assertEquals(DynamoDbClients.MAX_ATTEMPTS, throttler.throttled());
  }

  @Test
  void theEngineDoesNotAcknowledgeAQos1MessageItCouldNotStore() {
    // the subscriber is offline, so the message must be queued: that write is throttled
    Throttler throttler =
        new Throttler(r -> r instanceof UpdateItemRequest u && u.tableName().endsWith("queues"));
    DynamoDbClient client = LocalDynamo.client(throttler);
    Harness h =
        new Harness(
            BrokerConfig.development(),
            DynamoDbStores.create(client, LocalDynamo.newPrefix(client)));
    TestClient s = h.client(MqttVersion.V5);
    s.connect(
        new dev.stratus.codec.Connect(
            MqttVersion.V5,
            "s",
            true,
            0,
            null,
            null,
            null,
            Properties.builder().sessionExpiryInterval(600L).build()));
    s.expectConnAck();
    s.subscribe("t", QoS.AT_LEAST_ONCE);
    s.drop();
    TestClient p = h.connected(MqttVersion.V5, "p");
    throttler.throttleNext(Integer.MAX_VALUE);
    p.send(
        new Publish(
            TopicName.of("t"),
            QoS.AT_LEAST_ONCE,
            false,
            false,
            1,
            Bytes.utf8("m"),
            Properties.NONE));
    // DISCONNECT 0x80 and no PUBACK: the client keeps the message and resends it on reconnect
    p.expectDisconnect(ReasonCode.UNSPECIFIED_ERROR);
    p.expectNothing();
    assertTrue(throttler.throttled() >= DynamoDbClients.MAX_ATTEMPTS);
    assertEquals(0, h.stores.queues().size("s"));
  }
}
