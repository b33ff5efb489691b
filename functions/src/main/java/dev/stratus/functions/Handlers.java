package dev.stratus.functions;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2WebSocketResponse;
import dev.stratus.store.dynamodb.DynamoDbClients;
import dev.stratus.store.dynamodb.StratusTables;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** What the three route handlers share: the container's edge and the response JSON. */
final class Handlers {
  private Handlers() {}

  /**
   * Built once per container, on the first handler's class initialisation (with SnapStart: at
   * deployment, before the snapshot): the SDK clients, the edge, and the priming hook, held here so
   * that CRaC's weak reference to it stays alive.
   */
  private static final class Container {
    static final WebSocketEdge EDGE;
    static final Priming PRIMING;

    static {
      Map<String, String> env = System.getenv();
      DynamoDbClient dynamo = DynamoDbClients.fromEnvironment(env);
      EDGE = WebSocketEdge.fromEnvironment(env, dynamo);
      PRIMING =
          new Priming(dynamo, StratusTables.CONNECTIONS.name(DynamoDbClients.tablePrefix(env)))
              .register();
    }
  }

  static WebSocketEdge containerEdge() {
    return Container.EDGE;
  }

  /**
   * How long an invocation may spend on a connection's parked messages: its remaining time less
   * {@link Sequencer#MARGIN}, or {@link Sequencer#HOLD} without a Lambda context.
   */
  static java.time.Duration budget(com.amazonaws.services.lambda.runtime.Context context) {
    if (context == null) {
      return Sequencer.HOLD;
    }
    java.time.Duration d =
        java.time.Duration.ofMillis(context.getRemainingTimeInMillis()).minus(Sequencer.MARGIN);
    return d.isNegative() ? java.time.Duration.ZERO : d;
  }

  /** Writes the response in the proxy integration's JSON shape. */
  static void write(APIGatewayV2WebSocketResponse r, OutputStream out) throws IOException {
    StringBuilder json = new StringBuilder("{\"statusCode\":").append(r.getStatusCode());
    if (r.getHeaders() != null && !r.getHeaders().isEmpty()) {
      json.append(",\"headers\":{");
      boolean first = true;
      for (var h : r.getHeaders().entrySet()) {
        json.append(first ? "" : ",");
        string(json, h.getKey()).append(':');
        string(json, h.getValue());
        first = false;
      }
      json.append('}');
    }
    if (r.getBody() != null) {
      string(json.append(",\"body\":"), r.getBody());
    }
    out.write(json.append('}').toString().getBytes(StandardCharsets.UTF_8));
  }

  /** A JSON string literal (RFC 8259 §7: quote, backslash and control characters escaped). */
  static StringBuilder string(StringBuilder json, String s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    return json.append('"');
  }
}
