package dev.stratus.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;

/**
 * The scheduled sweeper (an EventBridge rule, every minute): see {@link WebSocketEdge#sweep} and
 * {@code docs/sweeper.md}. The event's content is not used: the sweep runs at the current time, so
 * a late or repeated event does no harm. Answers with what it did, as JSON.
 */
public final class SweeperHandler implements RequestStreamHandler {
  private final WebSocketEdge edge;
  private final InstantSource clock;

  /** The Lambda runtime's constructor: the container's edge, built from its environment. */
  public SweeperHandler() {
    this(Handlers.containerEdge(), InstantSource.system());
  }

  public SweeperHandler(WebSocketEdge edge, InstantSource clock) {
    this.edge = edge;
    this.clock = clock;
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context)
      throws IOException {
    input.readAllBytes();
    WebSocketEdge.SweepReport r = edge.sweep(clock.instant(), Handlers.budget(context));
    output.write(
        ("{\"deadTasks\":"
                + r.deadTasks()
                + ",\"connectionsOfDeadTasks\":"
                + r.connectionsOfDeadTasks()
                + ",\"sequencesDrained\":"
                + r.sequencesDrained()
                + ",\"sequenceGaps\":"
                + r.sequenceGaps()
                + "}")
            .getBytes(StandardCharsets.UTF_8));
  }
}
