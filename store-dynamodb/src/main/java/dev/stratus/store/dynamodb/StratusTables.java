package dev.stratus.store.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveSpecification;
import software.amazon.awssdk.services.dynamodb.model.UpdateTimeToLiveRequest;

/**
 * The one definition of every DynamoDB table Stratus uses: name suffix, key schema, global
 * secondary indexes and TTL attribute. The tests create their tables from it, {@code ./stratus
 * dynamodb} and the local stack will, and {@code template.yaml} is checked against {@link
 * #cloudFormationYaml()}. Item layouts are documented on each store class and in {@code
 * docs/dynamodb.md}.
 *
 * <p>Every table is on-demand ({@code PAY_PER_REQUEST}): the broker's load follows its clients, and
 * an idle broker costs nothing but storage. Table names are a prefix plus the suffix, so that
 * several brokers (or test runs) share one account.
 */
public final class StratusTables {

  /** A key attribute and its scalar type ({@code S} or {@code N}). */
  public record Attribute(String name, ScalarAttributeType type) {}

  /** A global secondary index projecting every attribute. */
  public record Index(String name, Attribute partitionKey, Attribute sortKey) {}

  /**
   * One table.
   *
   * @param logicalId the CloudFormation logical id of the table resource
   * @param sortKey null for a table with a partition key only
   * @param ttlAttribute the attribute DynamoDB TTL deletes items by, or null
   */
  public record Table(
      String suffix,
      String logicalId,
      Attribute partitionKey,
      Attribute sortKey,
      List<Index> indexes,
      String ttlAttribute) {
    public Table {
      Objects.requireNonNull(suffix, "suffix");
      Objects.requireNonNull(partitionKey, "partitionKey");
      indexes = List.copyOf(indexes);
    }

    public String name(String prefix) {
      return prefix + suffix;
    }

    /** Every attribute used in a key of the table or of an index, each once, in order. */
    public List<Attribute> keyAttributes() {
      Map<String, Attribute> all = new LinkedHashMap<>();
      all.put(partitionKey.name(), partitionKey);
      if (sortKey != null) {
        all.put(sortKey.name(), sortKey);
      }
      for (Index i : indexes) {
        all.putIfAbsent(i.partitionKey().name(), i.partitionKey());
        all.putIfAbsent(i.sortKey().name(), i.sortKey());
      }
      return List.copyOf(all.values());
    }
  }

  private static Attribute s(String name) {
    return new Attribute(name, ScalarAttributeType.S);
  }

  private static Attribute n(String name) {
    return new Attribute(name, ScalarAttributeType.N);
  }

  /** The table prefix when none is configured. */
  public static final String DEFAULT_PREFIX = "stratus-";

  public static final Table SESSIONS =
      new Table(
          "sessions",
          "SessionsTable",
          s("pk"),
          null,
          List.of(
              new Index("expiry", s("expShard"), n("expiresAt")),
              new Index("wills", s("willShard"), n("willAt"))),
          "ttl");

  public static final Table SUBSCRIPTIONS =
      new Table("subscriptions", "SubscriptionsTable", s("pk"), s("sk"), List.of(), null);

  public static final Table RETAINED =
      new Table("retained", "RetainedTable", s("pk"), s("sk"), List.of(), "ttl");

  public static final Table IN_FLIGHT =
      new Table("inflight", "InFlightTable", s("pk"), s("sk"), List.of(), null);

  public static final Table QUEUES =
      new Table("queues", "QueuesTable", s("pk"), n("sk"), List.of(), null);

  public static final Table CONNECTIONS =
      new Table(
          "connections",
          "ConnectionsTable",
          s("pk"),
          null,
          List.of(new Index("deadlines", s("dlShard"), n("deadline"))),
          null);

  /**
   * Bridge tasks and their internal endpoints ({@link BridgeTasks}); a registration expires by TTL
   * unless its task keeps renewing it.
   */
  public static final Table TASKS =
      new Table("tasks", "TasksTable", s("pk"), null, List.of(), "ttl");

  /**
   * The sequencers of the API Gateway edge (functions' {@code Sequencer}, docs/ordering.md): per
   * connection ({@code pk}) one state item ({@code sk} 0: the next expected sequence number and a
   * lease lock) and the messages that arrived before their predecessors ({@code sk} their sequence
   * number). Parked messages carry {@code parkShard}/{@code parkedAt} for the sparse "parked" index
   * the sweeper reads to find gaps; everything expires by TTL after the longest connection.
   */
  public static final Table SEQUENCES =
      new Table(
          "sequences",
          "SequencesTable",
          s("pk"),
          n("sk"),
          List.of(new Index("parked", s("parkShard"), n("parkedAt"))),
          "ttl");

  /** Broker users and their password hashes ({@link DynamoDbUserStore}). */
  public static final Table USERS =
      new Table("users", "UsersTable", s("pk"), null, List.of(), null);

  /** ACL rules managed by {@code ./stratus acl} ({@link DynamoDbAclStore}). */
  public static final Table ACL = new Table("acl", "AclTable", s("pk"), s("sk"), List.of(), null);

  /** Every table, in a stable order. */
  public static final List<Table> ALL =
      List.of(
          SESSIONS,
          SUBSCRIPTIONS,
          RETAINED,
          IN_FLIGHT,
          QUEUES,
          CONNECTIONS,
          TASKS,
          SEQUENCES,
          USERS,
          ACL);

  private StratusTables() {}

  /** The CreateTable request for one table. */
  public static CreateTableRequest createRequest(Table t, String prefix) {
    List<KeySchemaElement> key = new ArrayList<>();
    key.add(
        KeySchemaElement.builder()
            .attributeName(t.partitionKey().name())
            .keyType(KeyType.HASH)
            .build());
    if (t.sortKey() != null) {
      key.add(
          KeySchemaElement.builder()
              .attributeName(t.sortKey().name())
              .keyType(KeyType.RANGE)
              .build());
    }
    CreateTableRequest.Builder b =
        CreateTableRequest.builder()
            .tableName(t.name(prefix))
            .billingMode(BillingMode.PAY_PER_REQUEST)
            .keySchema(key)
            .attributeDefinitions(
                t.keyAttributes().stream()
                    .map(
                        a ->
                            AttributeDefinition.builder()
                                .attributeName(a.name())
                                .attributeType(a.type())
                                .build())
                    .toList());
    if (!t.indexes().isEmpty()) {
      b.globalSecondaryIndexes(
          t.indexes().stream()
              .map(
                  i ->
                      GlobalSecondaryIndex.builder()
                          .indexName(i.name())
                          .keySchema(
                              KeySchemaElement.builder()
                                  .attributeName(i.partitionKey().name())
                                  .keyType(KeyType.HASH)
                                  .build(),
                              KeySchemaElement.builder()
                                  .attributeName(i.sortKey().name())
                                  .keyType(KeyType.RANGE)
                                  .build())
                          .projection(
                              Projection.builder().projectionType(ProjectionType.ALL).build())
                          .build())
              .toList());
    }
    return b.build();
  }

  /**
   * Creates every table that does not exist yet and enables TTL where defined. Tables are created
   * on-demand, so the call returns as soon as DynamoDB accepted them; on AWS a table is usable once
   * ACTIVE (DynamoDB Local makes it usable at once).
   */
  public static void createAll(DynamoDbClient client, String prefix) {
    for (Table t : ALL) {
      try {
        client.createTable(createRequest(t, prefix));
      } catch (ResourceInUseException exists) {
        continue; // created by an earlier run: leave it and its TTL setting alone
      }
      if (t.ttlAttribute() != null) {
        client.updateTimeToLive(
            UpdateTimeToLiveRequest.builder()
                .tableName(t.name(prefix))
                .timeToLiveSpecification(
                    TimeToLiveSpecification.builder()
                        .attributeName(t.ttlAttribute())
                        .enabled(true)
                        .build())
                .build());
      }
    }
  }

  /**
   * The tables as the {@code Resources} entries of a SAM/CloudFormation template, table names built
   * from a {@code TablePrefix} parameter, deletion protection from a {@code
   * TableDeletionProtection} parameter, with point-in-time recovery. {@code template.yaml} carries
   * exactly this between its generated-block markers (deploy-check's {@code GeneratedBlocks} writes
   * and checks it).
   */
  public static String cloudFormationYaml() {
    StringBuilder y = new StringBuilder();
    for (Table t : ALL) {
      y.append("  ").append(t.logicalId()).append(":\n");
      y.append("    Type: AWS::DynamoDB::Table\n");
      y.append("    Properties:\n");
      y.append("      TableName: !Sub ${TablePrefix}").append(t.suffix()).append('\n');
      y.append("      BillingMode: PAY_PER_REQUEST\n");
      y.append("      DeletionProtectionEnabled: !Ref TableDeletionProtection\n");
      y.append("      PointInTimeRecoverySpecification:\n");
      y.append("        PointInTimeRecoveryEnabled: true\n");
      y.append("      AttributeDefinitions:\n");
      for (Attribute a : t.keyAttributes()) {
        y.append("        - AttributeName: ").append(a.name()).append('\n');
        y.append("          AttributeType: ").append(a.type()).append('\n');
      }
      y.append("      KeySchema:\n");
      y.append("        - AttributeName: ").append(t.partitionKey().name()).append('\n');
      y.append("          KeyType: HASH\n");
      if (t.sortKey() != null) {
        y.append("        - AttributeName: ").append(t.sortKey().name()).append('\n');
        y.append("          KeyType: RANGE\n");
      }
      if (!t.indexes().isEmpty()) {
        y.append("      GlobalSecondaryIndexes:\n");
        for (Index i : t.indexes()) {
          y.append("        - IndexName: ").append(i.name()).append('\n');
          y.append("          KeySchema:\n");
          y.append("            - AttributeName: ").append(i.partitionKey().name()).append('\n');
          y.append("              KeyType: HASH\n");
          y.append("            - AttributeName: ").append(i.sortKey().name()).append('\n');
          y.append("              KeyType: RANGE\n");
          y.append("          Projection:\n");
          y.append("            ProjectionType: ALL\n");
        }
      }
      if (t.ttlAttribute() != null) {
        y.append("      TimeToLiveSpecification:\n");
        y.append("        AttributeName: ").append(t.ttlAttribute()).append('\n');
        y.append("        Enabled: true\n");
      }
    }
    return y.toString();
  }
}
