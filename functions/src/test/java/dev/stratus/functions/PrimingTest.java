package dev.stratus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.codec.ConnAck;
import dev.stratus.codec.PubAck;
import dev.stratus.codec.Publish;
import dev.stratus.codec.SubAck;
import dev.stratus.store.dynamodb.LocalDynamo;
import dev.stratus.store.dynamodb.StratusTables;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/** The SnapStart priming hook runs CONNECT, SUBSCRIBE and PUBLISH through the real handlers. */
class PrimingTest {

  @Test
  void beforeCheckpointRunsTheThreePacketsAndWarmsTheStoreClientWithoutWritingToIt() {
    try (DynamoDbClient dynamo = LocalDynamo.client()) {
      String prefix = LocalDynamo.newPrefix(dynamo);
      String connections = StratusTables.CONNECTIONS.name(prefix);
      Priming priming = new Priming(dynamo, connections);
      assertNull(priming.last());

      priming.beforeCheckpoint(null);

      Priming.Report r = priming.last();
      // CONNECT -> CONNACK; SUBSCRIBE -> SUBACK; the QoS 1 PUBLISH -> PUBACK to the publisher and
      // the message delivered to its own subscription
      assertEquals(4, r.answers().size(), r.toString());
      assertEquals(ConnAck.class, r.answers().get(0));
      assertEquals(SubAck.class, r.answers().get(1));
      assertTrue(r.answers().containsAll(List.of(PubAck.class, Publish.class)), r.toString());
      assertTrue(r.storeWarmed());
      for (StratusTables.Table t : StratusTables.ALL) {
        assertEquals(
            0,
            dynamo.scan(ScanRequest.builder().tableName(t.name(prefix)).build()).count(),
            "priming writes nothing to " + t.suffix());
      }
    }
  }

  @Test
  void aMissingTableDoesNotFailThePriming() {
    try (DynamoDbClient dynamo = LocalDynamo.client()) {
      Priming.Report r = new Priming(dynamo, "no-such-table").prime();
      assertEquals(4, r.answers().size());
      assertFalse(r.storeWarmed());
    }
  }
}
