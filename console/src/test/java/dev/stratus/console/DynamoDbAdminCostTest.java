package dev.stratus.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import dev.stratus.core.store.Stores;
import dev.stratus.store.dynamodb.DynamoDbStores;
import dev.stratus.store.dynamodb.LocalDynamo;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * What one console refresh costs on DynamoDB whatever the table size (docs/console.md): with 1,000
 * connections and 1,000 retained messages stored, a page is one Scan or Query that reads no more
 * items than the page size.
 */
@Timeout(300)
class DynamoDbAdminCostTest {
  /** Every request's operation and the number of items DynamoDB read for it. */
  static final class Requests implements ExecutionInterceptor {
    final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attrs) {
      Object r = context.response();
      String name = r.getClass().getSimpleName().replace("Response", "");
      if (r instanceof ScanResponse s) {
        name += " " + s.scannedCount();
      } else if (r instanceof QueryResponse q) {
        name += " " + q.scannedCount();
      }
      seen.add(name);
    }
  }

  @Test
  void aPageReadsAtMostItsLimitWhateverTheTableSize() throws Exception {
    DynamoDbClient loader = LocalDynamo.client();
    String prefix = LocalDynamo.newPrefix(loader);
    Stores load = DynamoDbStores.create(loader, prefix);
    Instant t0 = Instant.parse("2026-11-22T04:00:00Z");
    for (int i = 0; i < 1000; i++) {
      load.connections()
          .put(Records.connected("c" + i, "client" + i, "bridge-x/tcp", null, "10.0.0.1:1", t0));
      load.retained()
          .put(
              new Message(
                  TopicName.of("big/" + (i % 10) + "/" + i),
                  Bytes.utf8("x"),
                  QoS.AT_MOST_ONCE,
                  true,
                  Properties.NONE,
                  "p",
                  null));
    }
    Requests requests = new Requests();
    DynamoDbClient counted = LocalDynamo.client(requests);
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    try (ConsoleServer console =
        ConsoleServer.builder(DynamoDbStores.create(counted, prefix))
            .auth(AdminAuth.none(true))
            .start()) {
      record Case(String path, String request, int items) {}
      for (Case c :
          List.of(
              new Case("/api/connections", "Scan 100", 100),
              new Case("/api/retained/tree", "Scan 200", 200),
              new Case("/api/retained/tree?prefix=big&limit=50", "Query 50", 50),
              new Case("/api/retained/tree?prefix=big/3", "Query 100", 100))) {
        requests.seen.clear();
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(console.url().resolve(c.path())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of(c.request()), requests.seen, c.path());
        JsonNode body = json.readTree(r.body());
        if (c.path().startsWith("/api/connections")) {
          assertEquals(c.items(), body.get("items").size());
          assertTrue(body.hasNonNull("next"), "more pages follow");
        } else {
          int messages = 0;
          for (JsonNode child : body.get("children")) {
            messages += child.get("messages").asInt();
          }
          assertEquals(c.items(), messages, c.path());
        }
      }
    }
  }
}
