package dev.stratus.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The {@code $disconnect} route: see {@link WebSocketEdge#disconnect}. */
public final class DisconnectHandler implements RequestStreamHandler {
  private final WebSocketEdge edge;

  /** The Lambda runtime's constructor: the container's edge, built from its environment. */
  public DisconnectHandler() {
    this(Handlers.containerEdge());
  }

  public DisconnectHandler(WebSocketEdge edge) {
    this.edge = edge;
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context)
      throws IOException {
    Handlers.write(edge.disconnect(WebSocketEvent.read(input)), output);
  }
}
