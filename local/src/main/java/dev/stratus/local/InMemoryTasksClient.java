package dev.stratus.local;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;

/**
 * The bridge-task registry of {@code ./stratus local --store memory}: {@code BridgeTasks} keeps it
 * in a DynamoDB table, and with the in-memory store there is no DynamoDB. This client answers the
 * three item calls the registry makes (put, get, delete by key) from a map, per table; every other
 * DynamoDB call is unsupported (the interface's default), so a wrong use fails loudly.
 */
final class InMemoryTasksClient implements DynamoDbClient {
  private final Map<String, Map<Map<String, AttributeValue>, Map<String, AttributeValue>>> tables =
      new ConcurrentHashMap<>();

  private Map<Map<String, AttributeValue>, Map<String, AttributeValue>> table(String name) {
    return tables.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
  }

  @Override
  public PutItemResponse putItem(PutItemRequest request) {
    Map<String, AttributeValue> item = Map.copyOf(request.item());
    AttributeValue pk = item.get("pk");
    if (pk == null) {
      throw new IllegalArgumentException("the tasks table's key is pk");
    }
    table(request.tableName()).put(Map.of("pk", pk), item);
    return PutItemResponse.builder().build();
  }

  @Override
  public GetItemResponse getItem(GetItemRequest request) {
    Map<String, AttributeValue> item = table(request.tableName()).get(Map.copyOf(request.key()));
    return GetItemResponse.builder().item(item).build();
  }

  @Override
  public DeleteItemResponse deleteItem(DeleteItemRequest request) {
    table(request.tableName()).remove(Map.copyOf(request.key()));
    return DeleteItemResponse.builder().build();
  }

  @Override
  public String serviceName() {
    return "dynamodb";
  }

  @Override
  public void close() {
    tables.clear();
  }
}
