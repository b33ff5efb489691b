package dev.stratus.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The offline checks of a SAM template. Each returns the problems it finds, one line each, naming
 * the resource; an empty list means the check passed. {@code TemplateTest} runs them on {@code
 * template.yaml}, {@code BrokenTemplateTest} on broken copies of it.
 */
public final class TemplateChecks {
  private TemplateChecks() {}

  // ------------------------------------------------------------------------------------------
  // Template navigation

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  static List<Object> list(Object o) {
    if (o instanceof List<?> l) {
      return new ArrayList<>(l);
    }
    return o == null ? List.of() : List.of(o);
  }

  static Map<String, Object> resources(Map<String, Object> template) {
    return map(template.get("Resources"));
  }

  static Map<String, Map<String, Object>> resourcesOfType(
      Map<String, Object> template, String type) {
    Map<String, Map<String, Object>> found = new LinkedHashMap<>();
    resources(template)
        .forEach(
            (id, r) -> {
              if (type.equals(map(r).get("Type"))) {
                found.put(id, map(r));
              }
            });
    return found;
  }

  /** A function's property, falling back to Globals.Function as SAM merges them. */
  static Object functionProperty(Map<String, Object> template, Map<String, Object> fn, String p) {
    Object own = map(fn.get("Properties")).get(p);
    return own != null ? own : map(map(template.get("Globals")).get("Function")).get(p);
  }

  /** A function's environment: Globals.Function's variables overridden by its own. */
  static Map<String, Object> functionEnvironment(
      Map<String, Object> template, Map<String, Object> fn) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.putAll(
        map(
            map(map(map(template.get("Globals")).get("Function")).get("Environment"))
                .get("Variables")));
    env.putAll(map(map(map(fn.get("Properties")).get("Environment")).get("Variables")));
    return env;
  }

  // ------------------------------------------------------------------------------------------
  // 1. The SAM schema

  /** Validates the template (long-form intrinsics) against the SAM JSON schema (draft-04). */
  public static List<String> samSchema(Map<String, Object> template, Path schemaFile)
      throws IOException {
    if (!Files.isRegularFile(schemaFile)) {
      throw new IOException(
          "SAM schema not found at "
              + schemaFile.toAbsolutePath().normalize()
              + ": it lives in ../shared/schemas/sam.schema.json relative to the repository root"
              + " (see its SOURCE.md); check out the shared schemas next to the repository");
    }
    ObjectMapper json = new ObjectMapper();
    JsonSchema schema;
    try (InputStream in = Files.newInputStream(schemaFile)) {
      schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
    }
    JsonNode node = json.valueToTree(template);
    List<String> problems = new ArrayList<>();
    for (ValidationMessage m : schema.validate(node)) {
      problems.add(m.getInstanceLocation() + ": " + m.getMessage());
    }
    return problems;
  }

  // ------------------------------------------------------------------------------------------
  // 2. Plain AWS::* resources against the CloudFormation specification

  public static List<String> cloudFormationSpec(Map<String, Object> template, ServiceSpec spec) {
    List<String> problems = new ArrayList<>();
    resources(template)
        .forEach(
            (id, r) -> {
              String type = String.valueOf(map(r).get("Type"));
              if (type.startsWith("AWS::") && !type.startsWith("AWS::Serverless::")) {
                problems.addAll(spec.check(id, type, map(r).get("Properties")));
              }
            });
    return problems;
  }

  // ------------------------------------------------------------------------------------------
  // 3. Handlers in the artifact

  /**
   * Every function's CodeUri is the artifact and its Handler {@code class::method} names a public
   * class with a public no-argument constructor and a public method Lambda's Java runtime can call.
   */
  public static List<String> handlers(
      Map<String, Object> template, String codeUri, ClassLoader artifact) {
    List<String> problems = new ArrayList<>();
    Class<?> context;
    try {
      context = Class.forName("com.amazonaws.services.lambda.runtime.Context", false, artifact);
    } catch (ClassNotFoundException e) {
      problems.add(codeUri + " lacks com.amazonaws.services.lambda.runtime.Context");
      return problems;
    }
    resourcesOfType(template, "AWS::Serverless::Function")
        .forEach(
            (id, fn) -> {
              Object uri = functionProperty(template, fn, "CodeUri");
              if (!codeUri.equals(uri)) {
                problems.add(id + ": CodeUri " + uri + " is not the checked artifact " + codeUri);
              }
              Object handler = functionProperty(template, fn, "Handler");
              String h = handler instanceof String s ? s : "";
              int sep = h.indexOf("::");
              if (sep <= 0) {
                problems.add(id + ": Handler '" + handler + "' is not class::method");
                return;
              }
              String className = h.substring(0, sep);
              String methodName = h.substring(sep + 2);
              Class<?> c;
              try {
                c = Class.forName(className, false, artifact);
              } catch (ClassNotFoundException | LinkageError e) {
                problems.add(id + ": Handler class " + className + " is not in " + codeUri);
                return;
              }
              if (!Modifier.isPublic(c.getModifiers()) || Modifier.isAbstract(c.getModifiers())) {
                problems.add(id + ": " + className + " is not a public concrete class");
              }
              try {
                if (!Modifier.isPublic(c.getConstructor().getModifiers())) {
                  problems.add(id + ": " + className + "() is not public");
                }
              } catch (NoSuchMethodException e) {
                problems.add(id + ": " + className + " has no public no-argument constructor");
              }
              boolean found = false;
              for (Method m : c.getMethods()) {
                if (m.getName().equals(methodName) && !m.isBridge() && handlerShape(m, context)) {
                  found = true;
                }
              }
              if (!found) {
                problems.add(
                    id
                        + ": "
                        + className
                        + " has no public method "
                        + methodName
                        + "(InputStream, OutputStream, Context) or "
                        + methodName
                        + "(event, Context)");
              }
            });
    return problems;
  }

  /** The handler signatures the Lambda Java runtime calls. */
  private static boolean handlerShape(Method m, Class<?> context) {
    Class<?>[] p = m.getParameterTypes();
    if (Modifier.isStatic(m.getModifiers())) {
      return false;
    }
    if (p.length == 3) {
      return p[0] == InputStream.class && p[1] == OutputStream.class && p[2] == context;
    }
    if (p.length == 2) {
      return (p[0] == InputStream.class && p[1] == OutputStream.class) || p[1] == context;
    }
    return p.length == 1 && p[0] != context;
  }

  // ------------------------------------------------------------------------------------------
  // 4. Environment variables

  /**
   * Variables the runtime provides (Lambda, ECS) or the SDK reads for itself: never set by the
   * template.
   */
  static boolean providedByRuntime(String name) {
    return Set.of(
                "AWS_REGION",
                "AWS_DEFAULT_REGION",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_EXECUTION_ENV")
            .contains(name)
        || name.startsWith("AWS_LAMBDA_")
        || name.startsWith("AWS_CONTAINER_");
  }

  /**
   * Variables the code reads that a deployed stack leaves unset, each with the reason: the emulator
   * endpoints (docs/localstack.md) and the entrypoint's optional overrides. A variable added to the
   * code is not here, so the template must set it.
   */
  static final Map<String, String> OPTIONAL =
      Map.of(
          "AWS_ENDPOINT_URL", "all AWS endpoints at an emulator (LocalStack)",
          "AWS_ENDPOINT_URL_DYNAMODB", "DynamoDB at DynamoDB Local or an emulator",
          "STRATUS_CALLBACK_URL", "the Management API at the in-project gateway emulator",
          "STRATUS_BIND_HOST", "the entrypoint finds the task's private address itself",
          "STRATUS_JAVA_OPTS", "extra JVM flags for a one-off experiment");

  static boolean emulatorOnly(String name) {
    return name.equals("AWS_ENDPOINT_URL") || name.startsWith("AWS_ENDPOINT_URL_");
  }

  static boolean optional(String name) {
    return OPTIONAL.containsKey(name) || emulatorOnly(name);
  }

  /**
   * Every variable the artifact reads is set for every function (or is runtime-provided or
   * emulator-only), and every STRATUS_* variable the template sets is one the code reads.
   */
  public static List<String> functionEnvironment(Map<String, Object> template, Set<String> read) {
    List<String> problems = new ArrayList<>();
    resourcesOfType(template, "AWS::Serverless::Function")
        .forEach(
            (id, fn) ->
                problems.addAll(environment(id, functionEnvironment(template, fn).keySet(), read)));
    return problems;
  }

  /** The same for each ECS container: Environment and Secrets names against what it reads. */
  public static List<String> containerEnvironment(Map<String, Object> template, Set<String> read) {
    List<String> problems = new ArrayList<>();
    resourcesOfType(template, "AWS::ECS::TaskDefinition")
        .forEach(
            (id, td) -> {
              for (Object c : list(map(td.get("Properties")).get("ContainerDefinitions"))) {
                Set<String> set = new TreeSet<>();
                for (Object e : list(map(c).get("Environment"))) {
                  set.add(String.valueOf(map(e).get("Name")));
                }
                for (Object s : secretEntries(map(c).get("Secrets"))) {
                  set.add(String.valueOf(map(s).get("Name")));
                }
                problems.addAll(environment(id + "/" + map(c).get("Name"), set, read));
              }
            });
    return problems;
  }

  /** The entries of a Secrets list, also inside an {@code Fn::If}'s branches. */
  private static List<Object> secretEntries(Object secrets) {
    Map<String, Object> m = map(secrets);
    if (m.containsKey("Fn::If")) {
      List<Object> out = new ArrayList<>();
      List<Object> branches = list(m.get("Fn::If"));
      for (Object b : branches.subList(1, branches.size())) {
        out.addAll(secretEntries(b));
      }
      return out;
    }
    return secrets instanceof List<?> ? list(secrets) : List.of();
  }

  private static List<String> environment(String where, Set<String> set, Set<String> read) {
    List<String> problems = new ArrayList<>();
    for (String name : read) {
      if (!set.contains(name) && !providedByRuntime(name) && !optional(name)) {
        problems.add(where + ": the code reads " + name + " but the template does not set it");
      }
    }
    for (String name : set) {
      if (name.startsWith("STRATUS_") && !read.contains(name)) {
        problems.add(where + ": the template sets " + name + " but no code reads it");
      }
      if (emulatorOnly(name)) {
        problems.add(where + ": " + name + " is for emulators only (" + reason(name) + ")");
      }
    }
    return problems;
  }

  private static String reason(String name) {
    return OPTIONAL.getOrDefault(name, "an AWS service at an emulator");
  }

  /** STRATUS_* names a shell script reads ({@code ${STRATUS_X...}} or {@code $STRATUS_X}). */
  public static Set<String> scriptEnvironmentNames(String script) {
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("\\$\\{?(STRATUS_[A-Z0-9_]+)").matcher(script);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  // ------------------------------------------------------------------------------------------
  // 5. Tables

  /** One table as the artifact defines it (StratusTables.Table, read by reflection). */
  public record TableRef(String logicalId, String suffix, boolean hasIndexes) {}

  /** The tables {@code StratusTables.ALL} in this class loader (the deployed artifact) defines. */
  public static List<TableRef> tables(ClassLoader artifact) throws ReflectiveOperationException {
    Class<?> c = Class.forName("dev.stratus.store.dynamodb.StratusTables", true, artifact);
    List<TableRef> out = new ArrayList<>();
    for (Object t : (List<?>) c.getField("ALL").get(null)) {
      out.add(
          new TableRef(
              (String) t.getClass().getMethod("logicalId").invoke(t),
              (String) t.getClass().getMethod("suffix").invoke(t),
              !((List<?>) t.getClass().getMethod("indexes").invoke(t)).isEmpty()));
    }
    return out;
  }

  /**
   * Every table the code uses is declared with its name and every DynamoDB grant covers it (and its
   * indexes); no DynamoDB table is declared that the code does not define.
   */
  public static List<String> tables(Map<String, Object> template, List<TableRef> tables) {
    List<String> problems = new ArrayList<>();
    Map<String, Map<String, Object>> declared = resourcesOfType(template, "AWS::DynamoDB::Table");
    Set<String> known = new LinkedHashSet<>();
    for (TableRef t : tables) {
      known.add(t.logicalId());
      Map<String, Object> r = declared.get(t.logicalId());
      if (r == null) {
        problems.add(
            "the code uses table " + t.suffix() + " but " + t.logicalId() + " is not declared");
        continue;
      }
      Object name = map(r.get("Properties")).get("TableName");
      if (!Map.of("Fn::Sub", "${TablePrefix}" + t.suffix()).equals(name)) {
        problems.add(t.logicalId() + ": TableName is not !Sub ${TablePrefix}" + t.suffix());
      }
    }
    for (String id : declared.keySet()) {
      if (!known.contains(id)) {
        problems.add(id + ": a DynamoDB table the code does not define");
      }
    }
    for (Grant g : grants(template)) {
      if (g.actions().stream().noneMatch(a -> a.startsWith("dynamodb:"))) {
        continue;
      }
      for (TableRef t : tables) {
        if (!g.resources().contains("${" + t.logicalId() + ".Arn}")) {
          problems.add(g.where() + ": DynamoDB grant does not cover table " + t.logicalId());
        }
        if (t.hasIndexes() && !g.resources().contains("${" + t.logicalId() + ".Arn}/index/*")) {
          problems.add(
              g.where() + ": DynamoDB grant does not cover " + t.logicalId() + "'s indexes");
        }
      }
    }
    return problems;
  }

  // ------------------------------------------------------------------------------------------
  // 6. IAM

  /** One Allow statement: where it is, its actions, its resources rendered as text. */
  public record Grant(String where, Set<String> actions, List<String> resources) {}

  /** Every Allow statement of every policy in the template, wherever it sits. */
  public static List<Grant> grants(Map<String, Object> template) {
    List<Grant> grants = new ArrayList<>();
    resources(template)
        .forEach(
            (id, r) -> {
              Map<String, Object> p = map(map(r).get("Properties"));
              switch (String.valueOf(map(r).get("Type"))) {
                case "AWS::Serverless::Function" -> {
                  for (Object policy : list(p.get("Policies"))) {
                    statements(id, policy, grants);
                  }
                }
                case "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group" -> {
                  for (Object policy : list(p.get("Policies"))) {
                    for (Object branch : ifBranches(policy)) {
                      statements(id, map(branch).get("PolicyDocument"), grants);
                    }
                  }
                }
                case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::EC2::VPCEndpoint" ->
                    statements(id, p.get("PolicyDocument"), grants);
                default -> {}
              }
            });
    return grants;
  }

  private static List<Object> ifBranches(Object o) {
    Map<String, Object> m = map(o);
    if (m.containsKey("Fn::If")) {
      List<Object> b = list(m.get("Fn::If"));
      return b.subList(1, b.size());
    }
    return List.of(o);
  }

  private static void statements(String id, Object document, List<Grant> grants) {
    int i = 0;
    for (Object s : list(map(document).get("Statement"))) {
      Map<String, Object> st = map(s);
      i++;
      if (!"Allow".equals(st.get("Effect"))) {
        continue;
      }
      Set<String> actions = new TreeSet<>();
      for (Object a : list(st.get("Action"))) {
        actions.add(String.valueOf(a));
      }
      List<String> resources = new ArrayList<>();
      for (Object r : list(st.get("Resource"))) {
        resources.add(text(r));
      }
      Object sid = st.get("Sid");
      grants.add(new Grant(id + " " + (sid != null ? sid : "statement " + i), actions, resources));
    }
  }

  /** A resource as the text CloudFormation will substitute into: GetAtt and Ref as ${...}. */
  static String text(Object r) {
    Map<String, Object> m = map(r);
    if (m.containsKey("Fn::Sub")) {
      Object sub = m.get("Fn::Sub");
      return sub instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(sub);
    }
    if (m.containsKey("Fn::GetAtt")) {
      List<Object> a = list(m.get("Fn::GetAtt"));
      return "${" + a.get(0) + "." + a.get(1) + "}";
    }
    if (m.containsKey("Ref")) {
      return "${" + m.get("Ref") + "}";
    }
    return String.valueOf(r);
  }

  private static final Pattern TABLE_ARN = Pattern.compile("\\$\\{(\\w+)\\.Arn}(/index/\\*)?");
  private static final Pattern API_ARN =
      Pattern.compile(
          "arn:\\$\\{AWS::Partition}:execute-api:\\$\\{AWS::Region}:\\$\\{AWS::AccountId}:"
              + "\\$\\{(\\w+)}/[^*/]+/(\\*|GET|POST|DELETE)/@connections/\\*");

  /**
   * No statement granting DynamoDB or execute-api actions has a wildcard resource or action: a
   * DynamoDB resource is one of this template's tables (or its indexes), an execute-api resource
   * the {@code @connections} of one of this template's WebSocket APIs at a named stage.
   */
  public static List<String> iamLeastPrivilege(Map<String, Object> template) {
    List<String> problems = new ArrayList<>();
    Set<String> tables = resourcesOfType(template, "AWS::DynamoDB::Table").keySet();
    Set<String> apis = resourcesOfType(template, "AWS::ApiGatewayV2::Api").keySet();
    for (Grant g : grants(template)) {
      boolean dynamo = false;
      boolean api = false;
      for (String a : g.actions()) {
        String lower = a.toLowerCase(Locale.ROOT);
        if (lower.equals("*") || lower.equals("dynamodb:*") || lower.equals("execute-api:*")) {
          problems.add(g.where() + ": wildcard action " + a);
        }
        dynamo |= lower.startsWith("dynamodb:") || lower.equals("*");
        api |= lower.startsWith("execute-api:") || lower.equals("*");
      }
      if (!dynamo && !api) {
        continue;
      }
      for (String r : g.resources()) {
        if (r.equals("*")) {
          problems.add(g.where() + ": wildcard resource * for " + g.actions());
          continue;
        }
        Matcher t = TABLE_ARN.matcher(r);
        Matcher e = API_ARN.matcher(r);
        boolean ok =
            (dynamo && t.matches() && tables.contains(t.group(1)))
                || (api && e.matches() && apis.contains(e.group(1)));
        if (!ok) {
          problems.add(
              g.where()
                  + ": resource "
                  + r
                  + " is not one of this stack's tables or its API's @connections");
        }
      }
    }
    return problems;
  }

  /**
   * The grants cover what the artifact calls: for each DynamoDbClient method it calls, the matching
   * {@code dynamodb:} action, and {@code execute-api:ManageConnections} if it uses the Management
   * API. {@code principals} are the resource ids whose grants must cover it.
   */
  /**
   * DynamoDbClient methods that are no grant: client plumbing, and the table setup {@code
   * StratusTables.createAll} runs for DynamoDB Local and {@code ./stratus dynamodb} (on AWS the
   * template creates the tables, so the deployed roles must not be able to).
   */
  static final Set<String> NOT_DATA_PLANE =
      Set.of(
          "builder",
          "create",
          "serviceName",
          "close",
          "utilities",
          "waiter",
          "serviceClientConfiguration",
          "createTable",
          "updateTimeToLive",
          "describeTable",
          "describeTimeToLive",
          "deleteTable",
          "listTables");

  public static List<String> grantsCoverCalls(
      Map<String, Object> template, ClassScan artifact, List<String> principals) {
    Set<String> needed = new TreeSet<>();
    for (String m :
        artifact.methodsCalledOn("software/amazon/awssdk/services/dynamodb/DynamoDbClient")) {
      String op = m.endsWith("Paginator") ? m.substring(0, m.length() - "Paginator".length()) : m;
      if (NOT_DATA_PLANE.contains(op)) {
        continue;
      }
      needed.add("dynamodb:" + Character.toUpperCase(op.charAt(0)) + op.substring(1));
    }
    if (!artifact
        .methodsCalledOn(
            "software/amazon/awssdk/services/apigatewaymanagementapi/ApiGatewayManagementApiClient")
        .isEmpty()) {
      needed.add("execute-api:ManageConnections");
    }
    List<String> problems = new ArrayList<>();
    List<Grant> grants = grants(template);
    for (String principal : principals) {
      Set<String> granted = new TreeSet<>();
      for (Grant g : grants) {
        if (g.where().equals(principal) || g.where().startsWith(principal + " ")) {
          granted.addAll(g.actions());
        }
      }
      for (String action : needed) {
        if (!granted.contains(action)) {
          problems.add(principal + ": the code calls " + action + " but it is not granted");
        }
      }
    }
    return problems;
  }
}
