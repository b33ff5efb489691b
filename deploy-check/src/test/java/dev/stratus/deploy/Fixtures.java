package dev.stratus.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the checks run against, loaded once per test JVM: the repository's template, the SAM schema,
 * the CloudFormation specification and the built artifacts (the shaded jars that get deployed).
 */
final class Fixtures {
  private Fixtures() {}

  static final Path REPO = Path.of(System.getProperty("stratus.repo", "..")).normalize();
  static final Path TEMPLATE = REPO.resolve("template.yaml");

  /**
   * The SAM schema: {@code ../shared/schemas/sam.schema.json} relative to the repository root (CI);
   * a git worktree nested deeper finds it in the nearest ancestor that has it; {@code
   * -Dstratus.schema} overrides.
   */
  static final Path SCHEMA = schema();

  private static Path schema() {
    String override = System.getProperty("stratus.schema");
    if (override != null) {
      return Path.of(override);
    }
    Path first = REPO.toAbsolutePath().normalize().resolve("../shared/schemas/sam.schema.json");
    for (Path dir = REPO.toAbsolutePath().normalize().getParent();
        dir != null;
        dir = dir.getParent()) {
      Path candidate = dir.resolve("shared/schemas/sam.schema.json");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return first.normalize(); // missing: samSchema() fails with a message naming this path
  }

  static final String FUNCTIONS_CODE_URI = "functions/target/stratus-functions.jar";
  static final Path FUNCTIONS_JAR = REPO.resolve(FUNCTIONS_CODE_URI);
  static final Path BRIDGE_JAR = REPO.resolve("bridge/target/stratus-bridge.jar");
  static final Path ENTRYPOINT = REPO.resolve("infra/bridge-entrypoint.sh");
  static final Path SPEC =
      Path.of(
          System.getProperty(
              "stratus.spec", "target/npm/node_modules/@aws-cdk/aws-service-spec/db.json.gz"));

  private static ServiceSpec spec;
  private static ClassLoader functions;
  private static ClassScan functionsScan;
  private static ClassScan bridgeScan;

  static String templateText() {
    try {
      return Files.readString(TEMPLATE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static synchronized ServiceSpec spec() throws IOException {
    if (spec == null) {
      spec = ServiceSpec.load(SPEC);
    }
    return spec;
  }

  private static Path built(Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build it first (mvn -pl deploy-check -am verify builds it)");
    }
    return jar;
  }

  /** The functions jar in a class loader of its own (nothing from this module's classpath). */
  static synchronized ClassLoader functions() {
    if (functions == null) {
      try {
        functions =
            new URLClassLoader(
                new URL[] {built(FUNCTIONS_JAR).toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
      } catch (MalformedURLException e) {
        throw new IllegalStateException(e);
      }
    }
    return functions;
  }

  static synchronized ClassScan functionsScan() throws IOException {
    if (functionsScan == null) {
      functionsScan = ClassScan.of(built(FUNCTIONS_JAR), "dev/stratus/");
    }
    return functionsScan;
  }

  static synchronized ClassScan bridgeScan() throws IOException {
    if (bridgeScan == null) {
      bridgeScan = ClassScan.of(built(BRIDGE_JAR), "dev/stratus/");
    }
    return bridgeScan;
  }

  /** What the bridge container reads: the bridge jar and its entrypoint script. */
  static Set<String> bridgeEnvironment() throws IOException {
    Set<String> read = new TreeSet<>(bridgeScan().environmentNames());
    read.addAll(TemplateChecks.scriptEnvironmentNames(Files.readString(ENTRYPOINT)));
    return read;
  }

  /** Every check except the schema (slow, run on its own) on one template text, by name. */
  static Map<String, List<String>> problems(String text) throws Exception {
    Map<String, Object> t = CfnYaml.load(text);
    Map<String, List<String>> p = new LinkedHashMap<>();
    p.put("spec", TemplateChecks.cloudFormationSpec(t, spec()));
    p.put("handlers", TemplateChecks.handlers(t, FUNCTIONS_CODE_URI, functions()));
    p.put(
        "function-env", TemplateChecks.functionEnvironment(t, functionsScan().environmentNames()));
    p.put("container-env", TemplateChecks.containerEnvironment(t, bridgeEnvironment()));
    p.put("tables", TemplateChecks.tables(t, TemplateChecks.tables(functions())));
    p.put("iam", TemplateChecks.iamLeastPrivilege(t));
    List<String> fnIds =
        List.copyOf(TemplateChecks.resourcesOfType(t, "AWS::Serverless::Function").keySet());
    p.put("function-grants", TemplateChecks.grantsCoverCalls(t, functionsScan(), fnIds));
    p.put(
        "bridge-grants",
        TemplateChecks.grantsCoverCalls(
            t,
            bridgeScan(),
            List.copyOf(
                TemplateChecks.resourcesOfType(t, "AWS::IAM::Role").keySet().stream()
                    .filter(id -> id.equals("BridgeTaskRole"))
                    .toList())));
    return p;
  }
}
