package dev.stratus.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.store.dynamodb.StratusTables;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** template.yaml passes every check: schema, specification, artifact, environment, tables, IAM. */
class TemplateTest {

  @Test
  void validatesAgainstTheSamSchema() throws Exception {
    List<String> problems =
        TemplateChecks.samSchema(CfnYaml.load(Fixtures.templateText()), Fixtures.SCHEMA);
    assertEquals(List.of(), problems, "template.yaml against " + Fixtures.SCHEMA);
  }

  @Test
  void passesEveryArtifactAndPolicyCheck() throws Exception {
    Map<String, List<String>> problems =
        new java.util.TreeMap<>(Fixtures.problems(Fixtures.templateText()));
    problems.values().removeIf(List::isEmpty);
    assertEquals(Map.of(), problems);
  }

  /**
   * The generated blocks are what StratusTables renders today. To regenerate after a table changed:
   * mvn -q -pl deploy-check -am verify -Dtest=TemplateTest -Dstratus.regenerate=true
   * -Dsurefire.failIfNoSpecifiedTests=false
   */
  @Test
  void generatedBlocksAreUpToDate() throws Exception {
    String text = Fixtures.templateText();
    String regenerated = GeneratedBlocks.regenerate(text, StratusTables.ALL);
    if (Boolean.getBoolean("stratus.regenerate") && !regenerated.equals(text)) {
      Files.writeString(Fixtures.TEMPLATE, regenerated);
      text = regenerated;
    }
    assertTrue(
        GeneratedBlocks.blockNames(text).containsAll(List.of("tables", "table-arns")),
        GeneratedBlocks.blockNames(text).toString());
    assertEquals(
        regenerated,
        text,
        "template.yaml's generated blocks differ from StratusTables; regenerate with -Dstratus.regenerate=true"
            + " (see this test's comment)");
  }

  @Test
  void theArtifactsAreTheOnesTheTemplateNames() throws Exception {
    // The checks would pass vacuously on an empty artifact: make sure they see real code.
    assertTrue(Fixtures.functionsScan().environmentNames().contains("STRATUS_TABLE_PREFIX"));
    assertFalse(TemplateChecks.tables(Fixtures.functions()).isEmpty());
    assertTrue(Files.isRegularFile(Fixtures.ENTRYPOINT));
  }
}
