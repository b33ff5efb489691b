package dev.stratus.deploy;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Broken copies of template.yaml, each with one deliberate mistake, fail the check meant to catch
 * it, with a message naming the mistake: the checks are shown to work, not just to pass.
 */
class BrokenTemplateTest {

  /** template.yaml with {@code from} replaced by {@code to} (which must occur). */
  private static String broken(String from, String to) {
    String text = Fixtures.templateText();
    assertTrue(text.contains(from), "template.yaml no longer contains: " + from);
    String b = text.replace(from, to);
    assertNotEquals(text, b);
    return b;
  }

  private static void assertCaught(String check, String text, String expected) throws Exception {
    Map<String, List<String>> problems = Fixtures.problems(text);
    assertTrue(
        problems.get(check).stream().anyMatch(p -> p.contains(expected)),
        check + " should report '" + expected + "', reported " + problems);
  }

  @Test
  void aMisspelledPropertyOfAPlainResourceFailsTheSpecificationCheck() throws Exception {
    assertCaught(
        "spec",
        broken("HealthCheckIntervalSeconds: 10", "HealthCheckIntervalSecond: 10"),
        "MqttTargetGroup.Properties: unknown property HealthCheckIntervalSecond");
    // nested property types are checked too
    assertCaught(
        "spec",
        broken("PointInTimeRecoveryEnabled: true", "PointInTimeRecoveryEnable: true"),
        "unknown property PointInTimeRecoveryEnable");
  }

  @Test
  void aMisspelledPropertyOfASamResourceFailsTheSchema() throws Exception {
    String text =
        broken(
            "      Handler: dev.stratus.functions.ConnectHandler::handleRequest",
            "      Handlr: dev.stratus.functions.ConnectHandler::handleRequest");
    List<String> problems = TemplateChecks.samSchema(CfnYaml.load(text), Fixtures.SCHEMA);
    assertTrue(
        problems.stream().anyMatch(p -> p.contains("ConnectFunction") && p.contains("Handlr")),
        "the schema should reject the property Handlr, reported " + problems);
  }

  @Test
  void aMissingHandlerClassOrMethodFailsTheHandlerCheck() throws Exception {
    assertCaught(
        "handlers",
        broken("ConnectHandler::handleRequest", "ConnectHandlr::handleRequest"),
        "ConnectFunction: Handler class dev.stratus.functions.ConnectHandlr is not in");
    assertCaught(
        "handlers",
        broken("DefaultHandler::handleRequest", "DefaultHandler::handle"),
        "DefaultFunction: dev.stratus.functions.DefaultHandler has no public method handle(");
  }

  @Test
  void aVariableTheCodeReadsButTheTemplateDoesNotSetFailsTheEnvironmentCheck() throws Exception {
    assertCaught(
        "function-env",
        broken("        STRATUS_TABLE_PREFIX: !Ref TablePrefix\n", ""),
        "the code reads STRATUS_TABLE_PREFIX but the template does not set it");
    assertCaught(
        "container-env",
        broken("            - {Name: STRATUS_INTERNAL_PORT, Value: !Ref BridgeInternalPort}\n", ""),
        "BridgeTaskDefinition/bridge: the code reads STRATUS_INTERNAL_PORT");
    // a misspelt name is caught from the other side too
    assertCaught(
        "function-env",
        broken(
            "STRATUS_ALLOW_ANONYMOUS: !Ref AllowAnonymous",
            "STRATUS_ALLOW_ANONYMUS: !Ref AllowAnonymous"),
        "the template sets STRATUS_ALLOW_ANONYMUS but no code reads it");
  }

  @Test
  void aWildcardResourceFailsTheIamCheck() throws Exception {
    String text =
        broken(
            "              Resource: !Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/${StageName}/*/@connections/*\n  DefaultFunction:",
            "              Resource: \"*\"\n  DefaultFunction:");
    assertCaught("iam", text, "ConnectFunction ThisApiConnections: wildcard resource *");
    assertCaught(
        "iam",
        broken("- !GetAtt SessionsTable.Arn", "- !Sub arn:${AWS::Partition}:dynamodb:*:*:table/*"),
        "is not one of this stack's tables");
    assertCaught(
        "iam",
        broken(
            "${AWS::AccountId}:${WebSocketApi}/${StageName}/*/@connections/*",
            "${AWS::AccountId}:*/*"),
        "is not one of this stack's tables or its API's @connections");
  }

  @Test
  void aTableMissingFromTheTemplateOrAGrantFailsTheTableCheck() throws Exception {
    assertCaught(
        "tables",
        broken("  RetainedTable:\n", "  RetainedTables:\n"),
        "the code uses table retained but RetainedTable is not declared");
    assertCaught(
        "tables",
        broken("- !Sub \"${SessionsTable.Arn}/index/*\"", "- !GetAtt SessionsTable.Arn"),
        "does not cover SessionsTable's indexes");
  }

  @Test
  void aMissingGrantForACallTheCodeMakesFailsTheGrantCheck() throws Exception {
    String text = Fixtures.templateText();
    assertTrue(text.contains("- dynamodb:BatchWriteItem\n"));
    assertCaught(
        "function-grants",
        text.replaceAll("(?m)^ *- dynamodb:BatchWriteItem\n", ""),
        "the code calls dynamodb:BatchWriteItem but it is not granted");
  }
}
