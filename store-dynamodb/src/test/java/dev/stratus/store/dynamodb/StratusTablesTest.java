package dev.stratus.store.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.store.dynamodb.StratusTables.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

/** The table definitions are the one source of truth: DynamoDB, the rendering and template.yaml. */
class StratusTablesTest {

  /** Reads CloudFormation YAML, keeping short-form intrinsics ({@code !Sub x}) as "!Sub x". */
  private static Map<String, Object> cloudFormation(String yaml) {
    SafeConstructor c =
        new SafeConstructor(new LoaderOptions()) {
          {
            for (String fn :
                List.of(
                    "Sub",
                    "Ref",
                    "GetAtt",
                    "Join",
                    "If",
                    "Select",
                    "Split",
                    "Not",
                    "Equals",
                    "And",
                    "Or",
                    "Condition",
                    "Cidr",
                    "GetAZs",
                    "Base64",
                    "FindInMap",
                    "ImportValue")) {
              yamlConstructors.put(
                  new Tag("!" + fn),
                  new AbstractConstruct() {
                    @Override
                    public Object construct(Node node) {
                      return node instanceof ScalarNode s
                          ? "!" + fn + " " + s.getValue()
                          : "!" + fn + " " + node.getNodeId();
                    }
                  });
            }
          }
        };
    return new Yaml(c).load(yaml);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object o) {
    return (List<Map<String, Object>>) o;
  }

  @Test
  void theRenderingDeclaresEveryTableAsDefined() {
    Map<String, Object> resources =
        map(cloudFormation("Resources:\n" + StratusTables.cloudFormationYaml()).get("Resources"));
    assertEquals(StratusTables.ALL.size(), resources.size());
    for (Table t : StratusTables.ALL) {
      Map<String, Object> r = map(resources.get(t.logicalId()));
      assertNotNull(r, t.logicalId());
      assertEquals("AWS::DynamoDB::Table", r.get("Type"));
      Map<String, Object> p = map(r.get("Properties"));
      assertEquals("!Sub ${TablePrefix}" + t.suffix(), p.get("TableName"));
      assertEquals("PAY_PER_REQUEST", p.get("BillingMode"));
      List<Map<String, Object>> key = list(p.get("KeySchema"));
      assertEquals(Map.of("AttributeName", t.partitionKey().name(), "KeyType", "HASH"), key.get(0));
      if (t.sortKey() != null) {
        assertEquals(Map.of("AttributeName", t.sortKey().name(), "KeyType", "RANGE"), key.get(1));
      }
      assertEquals(t.sortKey() == null ? 1 : 2, key.size());
      assertEquals(
          t.keyAttributes().stream()
              .map(a -> Map.of("AttributeName", a.name(), "AttributeType", a.type().toString()))
              .toList(),
          p.get("AttributeDefinitions"));
      assertEquals(
          t.indexes().stream().map(StratusTables.Index::name).toList(),
          p.containsKey("GlobalSecondaryIndexes")
              ? list(p.get("GlobalSecondaryIndexes")).stream().map(i -> i.get("IndexName")).toList()
              : List.of());
      assertEquals(
          t.ttlAttribute(),
          p.containsKey("TimeToLiveSpecification")
              ? map(p.get("TimeToLiveSpecification")).get("AttributeName")
              : null);
    }
  }

  /**
   * template.yaml declares every table exactly as rendered (deploy-check generates that part of the
   * template from this rendering) and no DynamoDB table Stratus does not define.
   */
  @Test
  void templateYamlDeclaresTablesOnlyAsRendered() throws IOException {
    Path template = Path.of("..", "template.yaml");
    assertTrue(Files.exists(template), "template.yaml is at the repository root");
    Map<String, Object> resources =
        map(cloudFormation(Files.readString(template)).get("Resources"));
    Map<String, Object> rendered =
        map(cloudFormation("Resources:\n" + StratusTables.cloudFormationYaml()).get("Resources"));
    Set<String> declared = new HashSet<>();
    resources.forEach(
        (id, r) -> {
          if ("AWS::DynamoDB::Table".equals(map(r).get("Type"))) {
            declared.add(id);
            assertTrue(rendered.containsKey(id), "template.yaml declares an unknown table " + id);
            assertEquals(
                map(rendered.get(id)).get("Properties"),
                map(r).get("Properties"),
                id + " differs from StratusTables.cloudFormationYaml()");
          }
        });
    assertEquals(rendered.keySet(), declared);
  }

  @Test
  void createAllCreatesTablesDynamoDbDescribesAsDefined() {
    DynamoDbClient client = LocalDynamo.client();
    String prefix = LocalDynamo.newPrefix(client);
    StratusTables.createAll(client, prefix); // a second call leaves existing tables alone
    for (Table t : StratusTables.ALL) {
      TableDescription d = client.describeTable(b -> b.tableName(t.name(prefix))).table();
      assertEquals(t.partitionKey().name(), d.keySchema().get(0).attributeName());
      assertEquals(t.indexes().size(), d.globalSecondaryIndexes().size());
      if (t.ttlAttribute() != null) {
        assertEquals(
            t.ttlAttribute(),
            client
                .describeTimeToLive(b -> b.tableName(t.name(prefix)))
                .timeToLiveDescription()
                .attributeName());
      }
    }
  }
}
