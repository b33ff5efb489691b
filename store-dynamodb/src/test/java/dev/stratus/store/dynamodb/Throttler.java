package dev.stratus.store.dynamodb;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;

/**
 * Makes chosen request attempts fail as a throttled table answers them, with a {@code
 * ProvisionedThroughputExceededException} (HTTP 400), raised just before the attempt would be sent:
 * like a real throttled write, it is never applied. The hook runs once per attempt inside the SDK's
 * retry loop, so the client's retry strategy decides what happens next, as on AWS.
 */
final class Throttler implements ExecutionInterceptor {
  private final Predicate<SdkRequest> which;
  private final AtomicInteger remaining = new AtomicInteger();
  private final AtomicInteger throttled = new AtomicInteger();

  Throttler(Predicate<SdkRequest> which) {
    this.which = which;
  }

  /** Throttles the next {@code n} matching attempts ({@code Integer.MAX_VALUE}: all of them). */
  void throttleNext(int n) {
    remaining.set(n);
  }

  int throttled() {
    return throttled.get();
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attrs) {
    if (which.test(context.request()) && remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throttled.incrementAndGet();
      throw ProvisionedThroughputExceededException.builder()
          .statusCode(400)
          .message("throughput exceeded (injected by a test)")
          .awsErrorDetails(
              AwsErrorDetails.builder()
                  .errorCode("ProvisionedThroughputExceededException")
                  .serviceName("DynamoDb")
                  .build())
          .build();
    }
  }
}
