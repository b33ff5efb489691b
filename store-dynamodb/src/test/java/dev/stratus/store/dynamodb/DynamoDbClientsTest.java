package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The endpoint variables a user sets to point Stratus at DynamoDB Local, LocalStack or AWS. */
class DynamoDbClientsTest {
  // nothing listens on the discard port of loopback: a client sent there fails
  private static final String NOWHERE = "http://127.0.0.1:9";

  private static List<String> tables(DynamoDbClient client) {
    try (client) {
      return client.listTables().tableNames();
    }
  }

  @Test
  void theServiceSpecificVariableWinsOverTheGeneralOne() {
    String local = LocalDynamo.endpoint().toString();
    String prefix = LocalDynamo.newPrefix(LocalDynamo.client(), StratusTables.QUEUES);
    var names =
        tables(
            DynamoDbClients.fromEnvironment(
                Map.of("AWS_ENDPOINT_URL_DYNAMODB", local, "AWS_ENDPOINT_URL", NOWHERE)));
    assertTrue(names.contains(StratusTables.QUEUES.name(prefix)), names.toString());
  }

  @Test
  void theGeneralVariableIsUsedAlone() {
    String prefix = LocalDynamo.newPrefix(LocalDynamo.client(), StratusTables.QUEUES);
    var names =
        tables(
            DynamoDbClients.fromEnvironment(
                Map.of("AWS_ENDPOINT_URL", LocalDynamo.endpoint().toString())));
    assertTrue(names.contains(StratusTables.QUEUES.name(prefix)), names.toString());
  }

  @Test
  void regionAndPrefixDefaults() {
    try (DynamoDbClient c = DynamoDbClients.fromEnvironment(Map.of("AWS_ENDPOINT_URL", NOWHERE))) {
      assertEquals(Region.US_EAST_1, c.serviceClientConfiguration().region());
    }
    try (DynamoDbClient c =
        DynamoDbClients.fromEnvironment(
            Map.of("AWS_ENDPOINT_URL", NOWHERE, "AWS_REGION", "eu-west-1"))) {
      assertEquals(Region.EU_WEST_1, c.serviceClientConfiguration().region());
    }
    assertEquals("stratus-", DynamoDbClients.tablePrefix(Map.of()));
    assertEquals("dev-", DynamoDbClients.tablePrefix(Map.of("STRATUS_TABLE_PREFIX", "dev-")));
  }

  /**
   * The SDK reads the same settings on its own (environment variable {@code
   * AWS_ENDPOINT_URL_DYNAMODB} or system property {@code aws.endpointUrlDynamoDb}); a test can set
   * only the property. So a client built without an endpoint still honours them.
   */
  @Test
  void theSdkItselfHonoursTheServiceSpecificEndpointSetting() {
    String before = System.getProperty("aws.endpointUrlDynamoDb");
    String prefix = LocalDynamo.newPrefix(LocalDynamo.client(), StratusTables.QUEUES);
    System.setProperty("aws.endpointUrlDynamoDb", LocalDynamo.endpoint().toString());
    try {
      var names =
          tables(
              DynamoDbClient.builder()
                  .region(Region.US_EAST_1)
                  .credentialsProvider(
                      StaticCredentialsProvider.create(AwsBasicCredentials.create("l", "l")))
                  .httpClientBuilder(
                      software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                  .build());
      assertTrue(names.contains(StratusTables.QUEUES.name(prefix)), names.toString());
    } finally {
      if (before == null) {
        System.clearProperty("aws.endpointUrlDynamoDb");
      } else {
        System.setProperty("aws.endpointUrlDynamoDb", before);
      }
    }
  }
}
