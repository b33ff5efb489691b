package dev.stratus.store.dynamodb;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * Sums the read and write capacity units DynamoDB reports ({@code ReturnConsumedCapacity INDEXES},
 * added to every data request: DynamoDB Local includes global secondary index writes in the total
 * only when asked for INDEXES, as AWS bills them), and counts requests. Reads DynamoDB Local
 * reports as 0 units (a Query that finds nothing) are counted apart: AWS may bill them. A
 * conditional write whose condition fails is an error response without a capacity figure, yet
 * DynamoDB bills it as a write: it is counted as 1 write unit (every item Stratus writes
 * conditionally is under 1 KB).
 */
final class CapacityMeter implements ExecutionInterceptor {
  final DoubleAdder read = new DoubleAdder();
  final DoubleAdder write = new DoubleAdder();
  final AtomicLong requests = new AtomicLong();
  final AtomicLong failedConditions = new AtomicLong();
  final AtomicLong emptyReads = new AtomicLong();

  @Override
  public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attrs) {
    ReturnConsumedCapacity total = ReturnConsumedCapacity.INDEXES;
    return switch (context.request()) {
      case GetItemRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      case PutItemRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      case UpdateItemRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      case DeleteItemRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      case QueryRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      case ScanRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      case BatchGetItemRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      case BatchWriteItemRequest r -> r.toBuilder().returnConsumedCapacity(total).build();
      default -> context.request();
    };
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attrs) {
    requests.incrementAndGet();
  }

  @Override
  public void afterExecution(Context.AfterExecution context, ExecutionAttributes attrs) {
    SdkResponse r = context.response();
    switch (r) {
      case GetItemResponse g -> add(read, g.consumedCapacity());
      case QueryResponse q -> add(read, q.consumedCapacity());
      case ScanResponse s -> add(read, s.consumedCapacity());
      case BatchGetItemResponse b -> b.consumedCapacity().forEach(c -> add(read, c));
      case PutItemResponse p -> add(write, p.consumedCapacity());
      case UpdateItemResponse u -> add(write, u.consumedCapacity());
      case DeleteItemResponse d -> add(write, d.consumedCapacity());
      case BatchWriteItemResponse b -> b.consumedCapacity().forEach(c -> add(write, c));
      default -> {}
    }
  }

  @Override
  public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attrs) {
    if (context.exception() instanceof ConditionalCheckFailedException) {
      failedConditions.incrementAndGet();
      write.add(1);
    }
  }

  private void add(DoubleAdder to, ConsumedCapacity c) {
    if (c != null && c.capacityUnits() != null) {
      to.add(c.capacityUnits());
      if (to == read && c.capacityUnits() == 0) {
        emptyReads.incrementAndGet();
      }
    }
  }

  /** What the meter reads now. */
  Reading reading() {
    return new Reading(read.sum(), write.sum(), requests.get(), emptyReads.get());
  }

  record Reading(double read, double write, long requests, long emptyReads) {
    Reading minus(Reading before) {
      return new Reading(
          read - before.read,
          write - before.write,
          requests - before.requests,
          emptyReads - before.emptyReads);
    }
  }
}
