package dev.stratus.functions;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.protocols.jsoncore.JsonNodeParser;

/**
 * The fields of an API Gateway WebSocket event the handlers use, read from the raw event JSON:
 * {@code APIGatewayV2WebSocketEvent} drops {@code disconnectStatusCode} and {@code
 * disconnectReason}, which {@code $disconnect} needs. The JSON is read with the AWS SDK's own
 * parser (json-utils, already on the classpath for the Management API client), so the function
 * carries no Jackson databind: smaller, faster to start, and no version clash with DynamoDB Local
 * in the tests.
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

  private static final JsonNodeParser JSON = JsonNodeParser.create();

  /** Reads one event. */
  public static WebSocketEvent read(InputStream in) throws IOException {
    JsonNode event;
    try {
      event = JSON.parse(in);
    } catch (RuntimeException e) {
      throw new IOException("the event is not JSON: " + e.getMessage(), e);
    }
    return of(event);
  }

  static WebSocketEvent of(JsonNode event) {
    Map<String, JsonNode> root = object(event);
    Map<String, JsonNode> ctx = object(root.get("requestContext"));
    String connectionId = text(ctx, "connectionId");
    if (connectionId == null) {
      throw new IllegalArgumentException("not an API Gateway WebSocket event: no connectionId");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    object(root.get("headers"))
        .forEach(
            (k, v) -> {
              String value = scalar(v);
              if (value != null) {
                headers.put(k.toLowerCase(Locale.ROOT), value);
              }
            });
    Map<String, String> query = new LinkedHashMap<>();
    object(root.get("queryStringParameters"))
        .forEach(
            (k, v) -> {
              String value = scalar(v);
              if (value != null) {
                query.put(k, value);
              }
            });
    String code = text(ctx, "disconnectStatusCode");
    int status;
    try {
      status = code == null ? -1 : Integer.parseInt(code);
    } catch (NumberFormatException e) {
      status = -1;
    }
    return new WebSocketEvent(
        text(ctx, "routeKey"),
        connectionId,
        text(ctx, "domainName"),
        text(ctx, "stage"),
        text(object(ctx.get("identity")), "sourceIp"),
        Map.copyOf(headers),
        Map.copyOf(query),
        text(root, "body"),
        status,
        text(ctx, "disconnectReason"));
  }

  /** An object's fields; empty for a missing node, null or anything not an object. */
  private static Map<String, JsonNode> object(JsonNode node) {
    return node != null && node.isObject() ? node.asObject() : Map.of();
  }

  private static String text(Map<String, JsonNode> node, String field) {
    return scalar(node.get(field));
  }

  /** A string, number or boolean as text; null for null, missing, objects and arrays. */
  private static String scalar(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isString()) {
      return v.asString();
    }
    if (v.isNumber()) {
      return v.asNumber();
    }
    if (v.isBoolean()) {
      return Boolean.toString(v.asBoolean());
    }
    return null;
  }
}
