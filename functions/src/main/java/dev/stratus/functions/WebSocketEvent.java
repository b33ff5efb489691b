package dev.stratus.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The fields of an API Gateway WebSocket event the handlers use, read from the raw event JSON:
 * {@code APIGatewayV2WebSocketEvent} drops {@code disconnectStatusCode} and {@code
 * disconnectReason}, which {@code $disconnect} needs.
 *
 * @param routeKey {@code $connect}, {@code $default} or {@code $disconnect}
 * @param connectionId API Gateway's id of the connection
 * @param domainName the API's domain, for the callback URL
 * @param stage the stage, for the callback URL
 * @param sourceIp the client's address
 * @param headers request headers of {@code $connect}, names in lower case
 * @param queryParameters query string parameters of {@code $connect}
 * @param body the text message of {@code $default}, or null
 * @param disconnectStatusCode the WebSocket close code of {@code $disconnect}, or -1
 * @param disconnectReason the close reason of {@code $disconnect}, or null
 */
public record WebSocketEvent(
    String routeKey,
    String connectionId,
    String domainName,
    String stage,
    String sourceIp,
    Map<String, String> headers,
    Map<String, String> queryParameters,
    String body,
    int disconnectStatusCode,
    String disconnectReason) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads one event. */
  public static WebSocketEvent read(InputStream in) throws IOException {
    return of(JSON.readTree(in));
  }

  static WebSocketEvent of(JsonNode event) {
    JsonNode ctx = event.path("requestContext");
    String connectionId = text(ctx, "connectionId");
    if (connectionId == null) {
      throw new IllegalArgumentException("not an API Gateway WebSocket event: no connectionId");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    event
        .path("headers")
        .fields()
        .forEachRemaining(
            e -> headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().asText()));
    Map<String, String> query = new LinkedHashMap<>();
    event
        .path("queryStringParameters")
        .fields()
        .forEachRemaining(e -> query.put(e.getKey(), e.getValue().asText()));
    return new WebSocketEvent(
        text(ctx, "routeKey"),
        connectionId,
        text(ctx, "domainName"),
        text(ctx, "stage"),
        text(ctx.path("identity"), "sourceIp"),
        Map.copyOf(headers),
        Map.copyOf(query),
        text(event, "body"),
        ctx.path("disconnectStatusCode").asInt(-1),
        text(ctx, "disconnectReason"));
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
