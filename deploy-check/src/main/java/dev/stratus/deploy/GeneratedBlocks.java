package dev.stratus.deploy;

import dev.stratus.store.dynamodb.StratusTables;
import dev.stratus.store.dynamodb.StratusTables.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of {@code template.yaml} written from {@link StratusTables}, the one definition of the
 * tables, so that a table added there reaches the template by regeneration, not by hand:
 *
 * <ul>
 *   <li>{@code tables}: {@link StratusTables#cloudFormationYaml()} and a throttling alarm per
 *       table;
 *   <li>{@code table-arns}: every table's ARN and its indexes' ARNs, for each IAM or endpoint
 *       policy that grants DynamoDB actions.
 * </ul>
 *
 * Each block sits between {@code # BEGIN GENERATED name} and {@code # END GENERATED name} lines and
 * takes the BEGIN line's indentation. {@code main} rewrites a template in place.
 */
public final class GeneratedBlocks {
  private GeneratedBlocks() {}

  private static final Pattern BLOCK =
      Pattern.compile(
          "(?m)^([ ]*)# BEGIN GENERATED ([a-z-]+)\\n(?:.*\\n)*?\\1# END GENERATED \\2$");

  /** The content of one named block at an indentation, each line ending in a newline. */
  public static String render(String name, String indent, List<Table> tables) {
    StringBuilder b = new StringBuilder();
    switch (name) {
      case "tables" -> {
        // cloudFormationYaml() is indented for a Resources mapping (two spaces)
        for (String line : StratusTables.cloudFormationYaml().split("\n")) {
          b.append(indent).append(line.substring(2)).append('\n');
        }
        for (Table t : tables) {
          b.append(throttleAlarm(t).indent(indent.length()));
        }
      }
      case "table-arns" -> {
        for (Table t : tables) {
          b.append(indent).append("- !GetAtt ").append(t.logicalId()).append(".Arn\n");
          if (!t.indexes().isEmpty()) {
            b.append(indent)
                .append("- !Sub \"${")
                .append(t.logicalId())
                .append(".Arn}/index/*\"\n");
          }
        }
      }
      default -> throw new IllegalArgumentException("unknown generated block " + name);
    }
    return b.toString();
  }

  private static String throttleAlarm(Table t) {
    return """
        %sThrottlesAlarm:
          Type: AWS::CloudWatch::Alarm
          Properties:
            AlarmDescription: DynamoDB throttled requests to the %s table
            Metrics:
              - {Id: r, ReturnData: false, MetricStat: {Metric: {Namespace: AWS/DynamoDB, MetricName: ReadThrottleEvents, Dimensions: [{Name: TableName, Value: !Ref %s}]}, Period: 300, Stat: Sum}}
              - {Id: w, ReturnData: false, MetricStat: {Metric: {Namespace: AWS/DynamoDB, MetricName: WriteThrottleEvents, Dimensions: [{Name: TableName, Value: !Ref %s}]}, Period: 300, Stat: Sum}}
              - {Id: total, Expression: r + w, Label: ThrottleEvents, ReturnData: true}
            EvaluationPeriods: 1
            Threshold: 1
            ComparisonOperator: GreaterThanOrEqualToThreshold
            TreatMissingData: notBreaching
            AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
        """
        .formatted(t.logicalId(), t.suffix(), t.logicalId(), t.logicalId());
  }

  /** The template with every generated block rendered afresh from these tables. */
  public static String regenerate(String template, List<Table> tables) {
    Matcher m = BLOCK.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String indent = m.group(1);
      String name = m.group(2);
      m.appendReplacement(
          out,
          Matcher.quoteReplacement(
              indent
                  + "# BEGIN GENERATED "
                  + name
                  + "\n"
                  + render(name, indent, tables)
                  + indent
                  + "# END GENERATED "
                  + name));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The names of the blocks a template has, in order (a missing END leaves its block out). */
  public static List<String> blockNames(String template) {
    List<String> names = new ArrayList<>();
    Matcher m = BLOCK.matcher(template);
    while (m.find()) {
      names.add(m.group(2));
    }
    return names;
  }

  /** Rewrites the template given as the argument (default: template.yaml) from StratusTables. */
  public static void main(String[] args) throws IOException {
    Path template = Path.of(args.length > 0 ? args[0] : "template.yaml");
    String before = Files.readString(template);
    String after = regenerate(before, StratusTables.ALL);
    if (!after.equals(before)) {
      Files.writeString(template, after);
    }
    System.out.println(
        template
            + (after.equals(before) ? ": up to date" : ": regenerated")
            + " "
            + blockNames(after));
  }
}
