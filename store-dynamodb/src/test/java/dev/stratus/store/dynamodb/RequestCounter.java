package dev.stratus.store.dynamodb;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Counts the HTTP requests a client sends, by operation (retries included: each attempt is a
 * request DynamoDB sees and bills).
 */
final class RequestCounter implements ExecutionInterceptor {
  private final Map<String, AtomicLong> byOperation = new ConcurrentHashMap<>();
  private final AtomicLong total = new AtomicLong();

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attrs) {
    total.incrementAndGet();
    String op = context.request().getClass().getSimpleName().replace("Request", "");
    byOperation.computeIfAbsent(op, k -> new AtomicLong()).incrementAndGet();
  }

  long total() {
    return total.get();
  }

  Map<String, Long> byOperation() {
    Map<String, Long> out = new java.util.TreeMap<>();
    byOperation.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  void reset() {
    total.set(0);
    byOperation.clear();
  }
}
