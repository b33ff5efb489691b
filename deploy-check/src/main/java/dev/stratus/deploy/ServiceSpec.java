package dev.stratus.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The CloudFormation resource specification as the npm package {@code @aws-cdk/aws-service-spec}
 * ships it ({@code db.json.gz}): for each {@code AWS::*} type its properties, and for each property
 * type its fields, so that a template's property names can be checked at every depth.
 */
public final class ServiceSpec {
  private final Map<String, JsonNode> resources = new HashMap<>();
  private final Map<String, JsonNode> typeDefinitions = new HashMap<>();

  private ServiceSpec() {}

  public static ServiceSpec load(Path dbJsonGz) throws IOException {
    if (!Files.isRegularFile(dbJsonGz)) {
      throw new IOException(
          dbJsonGz
              + " is missing: the build installs it with npm (npm install"
              + " @aws-cdk/aws-service-spec into deploy-check/target/npm)");
    }
    JsonNode schema;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(dbJsonGz))) {
      schema = new ObjectMapper().readTree(in).path("schema");
    }
    ServiceSpec spec = new ServiceSpec();
    for (JsonNode r : schema.path("resource").path("entities")) {
      spec.resources.put(r.path("cloudFormationType").asText(), r);
    }
    for (JsonNode t : schema.path("typeDefinition").path("entities")) {
      spec.typeDefinitions.put(t.path("$id").asText(), t);
    }
    if (spec.resources.isEmpty()) {
      throw new IOException(dbJsonGz + " has no resource types: not the expected format");
    }
    return spec;
  }

  /** Problems with one plain AWS::* resource's properties; empty if it matches the spec. */
  public List<String> check(String logicalId, String type, Object properties) {
    List<String> problems = new ArrayList<>();
    JsonNode resource = resources.get(type);
    if (resource == null) {
      problems.add(logicalId + ": unknown resource type " + type);
      return problems;
    }
    checkObject(logicalId + ".Properties", resource.path("properties"), properties, problems);
    return problems;
  }

  private void checkObject(String where, JsonNode fields, Object value, List<String> problems) {
    if (value == null) {
      value = Map.of();
    }
    if (!(value instanceof Map<?, ?> map)) {
      return; // a scalar where an object belongs: CloudFormation's own type check, not ours
    }
    if (isIntrinsic(map)) {
      return;
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = String.valueOf(e.getKey());
      JsonNode field = fields.get(name);
      if (field == null) {
        problems.add(where + ": unknown property " + name);
      } else {
        checkValue(where + "." + name, field.path("type"), e.getValue(), problems);
      }
    }
    for (Map.Entry<String, JsonNode> f : fields.properties()) {
      if (f.getValue().path("required").asBoolean(false) && !map.containsKey(f.getKey())) {
        problems.add(where + ": missing required property " + f.getKey());
      }
    }
  }

  private void checkValue(String where, JsonNode type, Object value, List<String> problems) {
    if (value instanceof Map<?, ?> m && isIntrinsic(m)) {
      return;
    }
    switch (type.path("type").asText()) {
      case "ref" -> {
        JsonNode def = typeDefinitions.get(type.path("reference").path("$ref").asText());
        if (def != null) {
          checkObject(where, def.path("properties"), value, problems);
        }
      }
      case "array" -> {
        if (value instanceof List<?> list) {
          for (int i = 0; i < list.size(); i++) {
            checkValue(where + "[" + i + "]", type.path("element"), list.get(i), problems);
          }
        }
      }
      case "map" -> {
        if (value instanceof Map<?, ?> map) {
          for (Map.Entry<?, ?> e : map.entrySet()) {
            checkValue(where + "." + e.getKey(), type.path("element"), e.getValue(), problems);
          }
        }
      }
      case "union" -> {
        // Valid if any alternative accepts it (a json alternative accepts anything).
        List<String> best = null;
        for (JsonNode alternative : type.path("types")) {
          List<String> p = new ArrayList<>();
          checkValue(where, alternative, value, p);
          if (best == null || p.size() < best.size()) {
            best = p;
          }
        }
        if (best != null) {
          problems.addAll(best);
        }
      }
      default -> {} // string, number, boolean, json, tag: no property names to check
    }
  }

  /** {Ref: x}, {Fn::If: ...}, {Condition: x}: a value CloudFormation computes. */
  static boolean isIntrinsic(Map<?, ?> m) {
    if (m.size() != 1) {
      return false;
    }
    String key = String.valueOf(m.keySet().iterator().next());
    return key.equals("Ref") || key.equals("Condition") || key.startsWith("Fn::");
  }
}
