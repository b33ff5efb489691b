package dev.stratus.functions;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2WebSocketResponse;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;

/** What the three route handlers share: the container's edge and the response JSON. */
final class Handlers {
  private Handlers() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Built once per container, on the first invocation's class initialisation. */
  private static final class Container {
    static final WebSocketEdge EDGE = WebSocketEdge.fromEnvironment(System.getenv());
  }

  static WebSocketEdge containerEdge() {
    return Container.EDGE;
  }

  /** Writes the response in the proxy integration's JSON shape. */
  static void write(APIGatewayV2WebSocketResponse r, OutputStream out) throws IOException {
    ObjectNode node = JSON.createObjectNode();
    node.put("statusCode", r.getStatusCode());
    if (r.getHeaders() != null && !r.getHeaders().isEmpty()) {
      ObjectNode headers = node.putObject("headers");
      r.getHeaders().forEach(headers::put);
    }
    if (r.getBody() != null) {
      node.put("body", r.getBody());
    }
    JSON.writeValue(out, node);
  }
}
