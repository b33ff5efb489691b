package dev.stratus.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The {@code $default} route: see {@link WebSocketEdge#message}. */
public final class DefaultHandler implements RequestStreamHandler {
  private final WebSocketEdge edge;

  /** The Lambda runtime's constructor: the container's edge, built from its environment. */
  public DefaultHandler() {
    this(Handlers.containerEdge());
  }

  public DefaultHandler(WebSocketEdge edge) {
    this.edge = edge;
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context)
      throws IOException {
    Handlers.write(edge.message(WebSocketEvent.read(input), Handlers.budget(context)), output);
  }
}
