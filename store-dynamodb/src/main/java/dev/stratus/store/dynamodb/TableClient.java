package dev.stratus.store.dynamodb;

import dev.stratus.core.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.Select;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * One table as the stores use it: the client, the full table name, and the one place where SDK
 * failures become {@link StoreException}. The client's retry strategy (see {@link DynamoDbClients})
 * has already retried throttling and transient errors with backoff by the time an exception reaches
 * {@link #call}; a conditional-check failure is an answer, not a failure, and callers catch it
 * inside the call.
 */
final class TableClient {
  final DynamoDbClient client;
  final String name;

  TableClient(DynamoDbClient client, String name) {
    this.client = client;
    this.name = name;
  }

  <T> T call(String what, Supplier<T> operation) {
    try {
      return operation.get();
    } catch (SdkException e) {
      throw new StoreException(what + " on " + name + " failed: " + e.getMessage(), e);
    }
  }

  void run(String what, Runnable operation) {
    call(
        what,
        () -> {
          operation.run();
          return null;
        });
  }

  /** Every item of a query, following pages; strongly consistent unless on an index. */
  List<Map<String, AttributeValue>> queryAll(String what, QueryRequest request) {
    return call(
        what,
        () -> {
          List<Map<String, AttributeValue>> items = new ArrayList<>();
          QueryRequest r = request;
          while (true) {
            QueryResponse page = client.query(r);
            items.addAll(page.items());
            if (!page.hasLastEvaluatedKey() || page.lastEvaluatedKey().isEmpty()) {
              return items;
            }
            r = r.toBuilder().exclusiveStartKey(page.lastEvaluatedKey()).build();
          }
        });
  }

  /** Every item of a scan of the whole table, following pages. */
  List<Map<String, AttributeValue>> scanAll(String what, ScanRequest request) {
    return call(
        what,
        () -> {
          List<Map<String, AttributeValue>> items = new ArrayList<>();
          ScanRequest r = request;
          while (true) {
            ScanResponse page = client.scan(r);
            items.addAll(page.items());
            if (!page.hasLastEvaluatedKey() || page.lastEvaluatedKey().isEmpty()) {
              return items;
            }
            r = r.toBuilder().exclusiveStartKey(page.lastEvaluatedKey()).build();
          }
        });
  }

  /** Counts the items a scan (with an optional filter) selects, reading the whole table. */
  long scanCount(String what, ScanRequest request) {
    return call(
        what,
        () -> {
          long n = 0;
          ScanRequest r = request.toBuilder().select(Select.COUNT).consistentRead(true).build();
          while (true) {
            ScanResponse page = client.scan(r);
            n += page.count();
            if (!page.hasLastEvaluatedKey() || page.lastEvaluatedKey().isEmpty()) {
              return n;
            }
            r = r.toBuilder().exclusiveStartKey(page.lastEvaluatedKey()).build();
          }
        });
  }

  /**
   * Writes (puts and deletes) in batches of 25. Items DynamoDB leaves unprocessed (it throttled
   * them: that is not an error response, so the SDK does not retry it) are resent with exponential
   * backoff; after {@value #BATCH_ATTEMPTS} attempts the write fails.
   */
  void batchWrite(String what, List<WriteRequest> writes) {
    run(
        what,
        () -> {
          for (int i = 0; i < writes.size(); i += 25) {
            Map<String, List<WriteRequest>> pending =
                Map.of(name, List.copyOf(writes.subList(i, Math.min(writes.size(), i + 25))));
            for (int attempt = 1; !pending.isEmpty(); attempt++) {
              if (attempt > BATCH_ATTEMPTS) {
                throw new StoreException(what + " on " + name + ": items still unprocessed");
              }
              if (attempt > 1) {
                backOff(attempt);
              }
              Map<String, List<WriteRequest>> request = pending;
              BatchWriteItemResponse r = client.batchWriteItem(b -> b.requestItems(request));
              pending = r.hasUnprocessedItems() ? new HashMap<>(r.unprocessedItems()) : Map.of();
            }
          }
        });
  }

  static final int BATCH_ATTEMPTS = 8;

  /** Full-jitter exponential backoff: up to 25 ms, 50 ms, ... capped at 2 s. */
  static void backOff(int attempt) {
    long cap = Math.min(2_000, 25L << Math.min(attempt - 1, 10));
    try {
      Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(cap + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while backing off", e);
    }
  }

  /**
   * Deletes every item of the partition {@code pk} (tables keyed {@code pk}/{@code sk}): one
   * strongly consistent Query for the keys, then batch deletes.
   */
  void deletePartition(String what, String pk) {
    QueryRequest keys =
        QueryRequest.builder()
            .tableName(name)
            .keyConditionExpression("pk = :pk")
            .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(pk)))
            .projectionExpression("pk, sk")
            .consistentRead(true)
            .build();
    batchWrite(
        what, queryAll("list keys to " + what, keys).stream().map(TableClient::deleteOf).toList());
  }

  static WriteRequest deleteOf(Map<String, AttributeValue> key) {
    return WriteRequest.builder().deleteRequest(DeleteRequest.builder().key(key).build()).build();
  }

  static WriteRequest putOf(Map<String, AttributeValue> item) {
    return WriteRequest.builder().putRequest(p -> p.item(item)).build();
  }
}
