package dev.stratus.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The {@code $connect} route: see {@link WebSocketEdge#connect}. */
public final class ConnectHandler implements RequestStreamHandler {
  private final WebSocketEdge edge;

  /** The Lambda runtime's constructor: the container's edge, built from its environment. */
  public ConnectHandler() {
    this(Handlers.containerEdge());
  }

  public ConnectHandler(WebSocketEdge edge) {
    this.edge = edge;
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context)
      throws IOException {
    Handlers.write(edge.connect(WebSocketEvent.read(input)), output);
  }
}
