package dev.stratus.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Loads the codec conformance cases: {@code /conformance/<PACKET_TYPE>.json} for every {@link
 * PacketType} plus {@code /conformance/FIXED_HEADER.json}, from the classpath (this module's test
 * resources, or the shared-codec test-jar; the caller needs {@code jackson-databind} on its test
 * classpath).
 *
 * <p>File format: {@code {"packetType": "PUBLISH", "description": ..., "cases": [...]}}; a case has
 * {@code id}, {@code spec} (list), {@code version} ({@code "3.1"}, {@code "3.1.1"} or {@code
 * "5.0"}), {@code hex} (spaces allowed), {@code comment}, then either {@code packet} (the expected
 * packet, see {@link ConformancePacketJson}) or {@code error} (a {@link ReasonCode} name), and
 * optionally {@code canonical} (default true), {@code framing} ({@code complete}, {@code
 * incomplete}, {@code rejected}; default complete), {@code maximumPacketSize} and {@code
 * beforeConnect} (default true for CONNECT, else false).
 *
 * <p>Typical use, e.g. a server test:
 *
 * <pre>{@code
 * for (ConformanceCase c : ConformanceCases.all()) {
 *   if (c.needsConnectFirst()) send(ConformanceCases.minimalConnect(c.version()));
 *   send(c.bytes());
 *   // valid: the server accepts c.expected(); invalid: DISCONNECT with c.error() (5.0) or close
 * }
 * }</pre>
 */
public final class ConformanceCases {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> CASE_FIELDS =
      Set.of(
          "id",
          "spec",
          "version",
          "hex",
          "comment",
          "packet",
          "error",
          "canonical",
          "framing",
          "maximumPacketSize",
          "beforeConnect");

  private static volatile List<ConformanceCase> all;

  private ConformanceCases() {}

  /** Every case of every file, in file order (packet types in wire order, framing last). */
  public static List<ConformanceCase> all() {
    List<ConformanceCase> cases = all;
    if (cases == null) {
      List<ConformanceCase> loaded = new ArrayList<>();
      for (PacketType type : PacketType.values()) {
        loaded.addAll(load(type.name()));
      }
      loaded.addAll(load("FIXED_HEADER"));
      Set<String> ids = new HashSet<>();
      for (ConformanceCase c : loaded) {
        if (!ids.add(c.id())) {
          throw new IllegalStateException("duplicate conformance case id " + c.id());
        }
      }
      cases = List.copyOf(loaded);
      all = cases;
    }
    return cases;
  }

  /** The cases of one file, e.g. {@code of(PacketType.PUBLISH)}. */
  public static List<ConformanceCase> of(PacketType type) {
    return all().stream().filter(c -> c.packetType() == type).toList();
  }

  /** The case with this id. */
  public static ConformanceCase byId(String id) {
    return all().stream()
        .filter(c -> c.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no conformance case " + id));
  }

  /**
   * The bytes of a minimal valid CONNECT for {@code version} (client id {@code c1}, clean start,
   * keep alive 60 s): what a server test sends before a case that {@link
   * ConformanceCase#needsConnectFirst()}.
   */
  public static Bytes minimalConnect(MqttVersion version) {
    String id =
        switch (version) {
          case V3_1 -> "connect-v31-minimal";
          case V3_1_1 -> "connect-v311-minimal";
          case V5 -> "connect-v5-minimal";
        };
    return byId(id).bytes();
  }

  /** Parses one file, {@code /conformance/<name>.json}. */
  public static List<ConformanceCase> load(String name) {
    String resource = "/conformance/" + name + ".json";
    try (InputStream in = ConformanceCases.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("conformance file not on the classpath: " + resource);
      }
      return parse(in, resource);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /**
   * Parses a conformance file from {@code in}; {@code source} names it in error messages. Strict:
   * an unknown field, packet field or property name is an {@link IllegalStateException}, so a typo
   * cannot silently weaken a case.
   */
  public static List<ConformanceCase> parse(InputStream in, String source) throws IOException {
    JsonNode root = JSON.readTree(in);
    JsonNode typeNode = root.path("packetType");
    PacketType fileType = typeNode.isNull() ? null : PacketType.valueOf(typeNode.asText());
    List<ConformanceCase> cases = new ArrayList<>();
    for (JsonNode node : root.required("cases")) {
      try {
        cases.add(parseCase(node, fileType));
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            source + ": case " + node.path("id").asText("?") + ": " + e.getMessage(), e);
      }
    }
    return cases;
  }

  private static ConformanceCase parseCase(JsonNode node, PacketType fileType) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      String field = it.next().getKey();
      if (!CASE_FIELDS.contains(field)) {
        throw new IllegalArgumentException("unknown field '" + field + "'");
      }
    }
    MqttVersion version = ConformancePacketJson.version(node.required("version").asText());
    List<String> spec = new ArrayList<>();
    node.required("spec").forEach(s -> spec.add(s.asText()));
    Bytes bytes = Bytes.fromHex(node.required("hex").asText().replace(" ", ""));
    Packet expected =
        node.has("packet")
            ? ConformancePacketJson.packet(fileType, node.get("packet"), version)
            : null;
    ReasonCode error = node.has("error") ? ReasonCode.valueOf(node.get("error").asText()) : null;
    ConformanceCase.Framing framing =
        ConformanceCase.Framing.valueOf(
            node.path("framing").asText("complete").toUpperCase(Locale.ROOT));
    return new ConformanceCase(
        node.required("id").asText(),
        fileType,
        spec,
        version,
        bytes,
        node.path("comment").asText(""),
        expected,
        error,
        node.path("canonical").asBoolean(true),
        framing,
        node.path("maximumPacketSize").asInt(ConformanceCase.DEFAULT_MAXIMUM_PACKET_SIZE),
        node.path("beforeConnect").asBoolean(fileType == PacketType.CONNECT));
  }
}
