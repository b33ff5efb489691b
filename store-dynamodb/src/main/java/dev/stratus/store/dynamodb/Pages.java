package dev.stratus.store.dynamodb;

import dev.stratus.core.store.Page;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * One page of a Scan or Query for the admin listings: exactly one request with {@code Limit}, so a
 * page never reads more than {@code limit} items however large the table is. The cursor is the
 * request's {@code LastEvaluatedKey} (string key attributes only), as URL-safe base64 of {@code
 * name NUL value NUL ...}; key values never contain NUL (MQTT strings cannot [MQTT-1.5.4-2]).
 */
final class Pages {
  private Pages() {}

  static <T> Page<T> scan(
      TableClient table,
      String what,
      ScanRequest request,
      String cursor,
      int limit,
      Function<Map<String, AttributeValue>, T> mapper) {
    Page.checkLimit(limit);
    ScanRequest.Builder b = request.toBuilder().limit(limit);
    if (cursor != null) {
      b.exclusiveStartKey(decode(cursor));
    }
    ScanRequest r = b.build();
    ScanResponse response = table.call(what, () -> table.client.scan(r));
    List<T> items = response.items().stream().map(mapper).toList();
    return new Page<>(items, next(response.hasLastEvaluatedKey(), response.lastEvaluatedKey()));
  }

  static <T> Page<T> query(
      TableClient table,
      String what,
      QueryRequest request,
      String cursor,
      int limit,
      Function<Map<String, AttributeValue>, T> mapper) {
    Page.checkLimit(limit);
    QueryRequest.Builder b = request.toBuilder().limit(limit);
    if (cursor != null) {
      b.exclusiveStartKey(decode(cursor));
    }
    QueryRequest r = b.build();
    QueryResponse response = table.call(what, () -> table.client.query(r));
    List<T> items = response.items().stream().map(mapper).filter(t -> t != null).toList();
    return new Page<>(items, next(response.hasLastEvaluatedKey(), response.lastEvaluatedKey()));
  }

  private static String next(boolean has, Map<String, AttributeValue> key) {
    return has && !key.isEmpty() ? encode(key) : null;
  }

  static String encode(Map<String, AttributeValue> key) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, AttributeValue> e : new TreeMap<>(key).entrySet()) {
      if (e.getValue().s() == null) {
        throw new IllegalStateException("non-string key attribute " + e.getKey());
      }
      sb.append(e.getKey()).append('\0').append(e.getValue().s()).append('\0');
    }
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  static Map<String, AttributeValue> decode(String cursor) {
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed cursor", e);
    }
    String[] parts = text.split("\0", -1);
    // name, value pairs, then the empty string after the final NUL
    if (parts.length < 3 || parts.length % 2 != 1 || !parts[parts.length - 1].isEmpty()) {
      throw new IllegalArgumentException("malformed cursor");
    }
    Map<String, AttributeValue> key = new TreeMap<>();
    for (int i = 0; i + 1 < parts.length; i += 2) {
      key.put(parts[i], AttributeValue.fromS(parts[i + 1]));
    }
    return key;
  }
}
