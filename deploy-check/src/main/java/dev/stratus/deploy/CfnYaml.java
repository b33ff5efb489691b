package dev.stratus.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads a CloudFormation/SAM YAML template into plain maps, lists and scalars, with the short-form
 * intrinsic tags ({@code !Ref X}, {@code !GetAtt A.B}, {@code !Sub ...}, {@code !If [...]}, ...)
 * turned into their long form ({@code {Ref: X}}, {@code {Fn::GetAtt: [A, B]}}, ...), which is what
 * the SAM schema and CloudFormation itself see.
 */
public final class CfnYaml {
  private CfnYaml() {}

  private static final List<String> FUNCTIONS =
      List.of(
          "Base64",
          "Cidr",
          "FindInMap",
          "GetAtt",
          "GetAZs",
          "ImportValue",
          "Join",
          "Select",
          "Split",
          "Sub",
          "Transform",
          "And",
          "Equals",
          "If",
          "Not",
          "Or",
          "Contains",
          "EachMemberEquals",
          "EachMemberIn",
          "RefAll",
          "ValueOf",
          "ValueOfAll",
          "ToJsonString",
          "Length");

  private static final class Constructor extends SafeConstructor {
    Constructor() {
      super(loaderOptions());
      yamlConstructors.put(new Tag("!Ref"), new Intrinsic("Ref"));
      yamlConstructors.put(new Tag("!Condition"), new Intrinsic("Condition"));
      for (String fn : FUNCTIONS) {
        yamlConstructors.put(new Tag("!" + fn), new Intrinsic("Fn::" + fn));
      }
    }

    private final class Intrinsic extends AbstractConstruct {
      private final String key;

      Intrinsic(String key) {
        this.key = key;
      }

      @Override
      public Object construct(Node node) {
        Object value;
        if (node instanceof ScalarNode s) {
          // !GetAtt Resource.Attribute is the short form of [Resource, Attribute]; the attribute
          // may itself contain dots (Endpoint.Address), the resource id cannot.
          value =
              key.equals("Fn::GetAtt") && s.getValue().contains(".")
                  ? List.of(
                      s.getValue().substring(0, s.getValue().indexOf('.')),
                      s.getValue().substring(s.getValue().indexOf('.') + 1))
                  : s.getValue();
        } else if (node instanceof SequenceNode q) {
          value = constructSequence(q);
        } else {
          value = constructMapping((MappingNode) node);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, value);
        return m;
      }
    }
  }

  private static LoaderOptions loaderOptions() {
    LoaderOptions o = new LoaderOptions();
    o.setAllowDuplicateKeys(false); // CloudFormation rejects them; a duplicate hides a resource
    o.setMaxAliasesForCollections(0);
    return o;
  }

  /** The template as nested {@code Map<String, Object>}, {@code List<Object>} and scalars. */
  public static Map<String, Object> load(String yaml) {
    Object o = new Yaml(new Constructor()).load(yaml);
    if (!(o instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("a template is a YAML mapping");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) o;
    return m;
  }
}
