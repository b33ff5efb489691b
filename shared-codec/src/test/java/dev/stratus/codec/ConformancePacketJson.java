package dev.stratus.codec;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps the {@code packet} object of a conformance case to a {@link Packet}. Field names are the
 * record components' names; absent fields take the neutral value (false, 0, {@link
 * Properties#NONE}, {@link ReasonCode#SUCCESS} or {@link ReasonCode#NORMAL_DISCONNECTION}), except
 * the required ones. Unknown fields are an error, so a typo cannot silently weaken a case.
 *
 * <ul>
 *   <li>Binary data (payload, password, correlation and authentication data): a JSON string is its
 *       UTF-8 bytes; {@code {"hex": "00ff"}} is raw bytes.
 *   <li>QoS: 0, 1 or 2. Reason codes and retain handling: enum constant names.
 *   <li>{@code properties}: the {@link Properties} component names ({@code sessionExpiryInterval},
 *       ...); {@code userProperties} is a list of {@code [name, value]} pairs.
 *   <li>CONNECT: {@code version, clientId, cleanStart, keepAlive, username, password, will {topic,
 *       payload, qos, retain, properties}, properties}.
 *   <li>SUBSCRIBE: {@code subscriptions: [{filter, qos, noLocal, retainAsPublished,
 *       retainHandling}]}; UNSUBSCRIBE: {@code filters: ["a/b"]}; SUBACK/UNSUBACK: {@code
 *       reasonCodes}.
 * </ul>
 */
public final class ConformancePacketJson {
  private ConformancePacketJson() {}

  /** {@code "3.1"}, {@code "3.1.1"} or {@code "5.0"}. */
  public static MqttVersion version(String text) {
    return switch (text) {
      case "3.1" -> MqttVersion.V3_1;
      case "3.1.1" -> MqttVersion.V3_1_1;
      case "5.0" -> MqttVersion.V5;
      default -> throw new IllegalArgumentException("unknown version '" + text + "'");
    };
  }

  /** The expected packet of type {@code type} described by {@code node}. */
  public static Packet packet(PacketType type, JsonNode node, MqttVersion version) {
    if (type == null) {
      throw new IllegalArgumentException("FIXED_HEADER cases cannot expect a packet");
    }
    return switch (type) {
      case CONNECT -> {
        allow(
            node,
            "version",
            "clientId",
            "cleanStart",
            "keepAlive",
            "username",
            "password",
            "will",
            "properties");
        yield new Connect(
            node.has("version") ? version(node.get("version").asText()) : version,
            node.required("clientId").asText(),
            node.path("cleanStart").asBoolean(false),
            node.path("keepAlive").asInt(0),
            text(node, "username"),
            bytesOrNull(node, "password"),
            will(node.get("will")),
            properties(node.get("properties")));
      }
      case CONNACK -> {
        allow(node, "sessionPresent", "reasonCode", "properties");
        yield new ConnAck(
            node.path("sessionPresent").asBoolean(false),
            reason(node, ReasonCode.SUCCESS),
            properties(node.get("properties")));
      }
      case PUBLISH -> {
        allow(node, "topic", "qos", "retain", "dup", "packetId", "payload", "properties");
        String topic = node.required("topic").asText();
        yield new Publish(
            topic.isEmpty() ? TopicName.EMPTY : TopicName.of(topic),
            QoS.of(node.path("qos").asInt(0)),
            node.path("retain").asBoolean(false),
            node.path("dup").asBoolean(false),
            node.path("packetId").asInt(0),
            bytes(node, "payload"),
            properties(node.get("properties")));
      }
      case PUBACK -> {
        allow(node, "packetId", "reasonCode", "properties");
        yield new PubAck(packetId(node), reason(node, ReasonCode.SUCCESS), props(node));
      }
      case PUBREC -> {
        allow(node, "packetId", "reasonCode", "properties");
        yield new PubRec(packetId(node), reason(node, ReasonCode.SUCCESS), props(node));
      }
      case PUBREL -> {
        allow(node, "packetId", "reasonCode", "properties");
        yield new PubRel(packetId(node), reason(node, ReasonCode.SUCCESS), props(node));
      }
      case PUBCOMP -> {
        allow(node, "packetId", "reasonCode", "properties");
        yield new PubComp(packetId(node), reason(node, ReasonCode.SUCCESS), props(node));
      }
      case SUBSCRIBE -> {
        allow(node, "packetId", "subscriptions", "properties");
        List<TopicSubscription> subscriptions = new ArrayList<>();
        for (JsonNode s : node.required("subscriptions")) {
          allow(s, "filter", "qos", "noLocal", "retainAsPublished", "retainHandling");
          subscriptions.add(
              new TopicSubscription(
                  TopicFilter.of(s.required("filter").asText()),
                  QoS.of(s.required("qos").asInt()),
                  s.path("noLocal").asBoolean(false),
                  s.path("retainAsPublished").asBoolean(false),
                  RetainHandling.valueOf(s.path("retainHandling").asText("SEND"))));
        }
        yield new Subscribe(packetId(node), subscriptions, props(node));
      }
      case SUBACK -> {
        allow(node, "packetId", "reasonCodes", "properties");
        yield new SubAck(packetId(node), reasons(node), props(node));
      }
      case UNSUBSCRIBE -> {
        allow(node, "packetId", "filters", "properties");
        List<TopicFilter> filters = new ArrayList<>();
        node.required("filters").forEach(f -> filters.add(TopicFilter.of(f.asText())));
        yield new Unsubscribe(packetId(node), filters, props(node));
      }
      case UNSUBACK -> {
        allow(node, "packetId", "reasonCodes", "properties");
        yield new UnsubAck(packetId(node), reasons(node), props(node));
      }
      case PINGREQ -> {
        allow(node);
        yield PingReq.INSTANCE;
      }
      case PINGRESP -> {
        allow(node);
        yield PingResp.INSTANCE;
      }
      case DISCONNECT -> {
        allow(node, "reasonCode", "properties");
        yield new Disconnect(reason(node, ReasonCode.NORMAL_DISCONNECTION), props(node));
      }
      case AUTH -> {
        allow(node, "reasonCode", "properties");
        yield new Auth(reason(node, ReasonCode.SUCCESS), props(node));
      }
    };
  }

  /** A {@link Properties} from its JSON object (null or absent: {@link Properties#NONE}). */
  public static Properties properties(JsonNode node) {
    if (node == null || node.isNull() || node.isEmpty()) {
      return Properties.NONE;
    }
    RecordComponent[] components = Properties.class.getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      types[i] = c.getType();
      JsonNode v = node.get(c.getName());
      if (v == null || v.isNull()) {
        continue;
      }
      seen.add(c.getName());
      values[i] = propertyValue(c, v);
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!seen.contains(name)) {
        throw new IllegalArgumentException("unknown property '" + name + "'");
      }
    }
    try {
      Constructor<Properties> canonical = Properties.class.getDeclaredConstructor(types);
      Properties built = canonical.newInstance(values);
      return built.isEmpty() ? Properties.NONE : built;
    } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException(e);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(e.getCause());
    }
  }

  private static Object propertyValue(RecordComponent c, JsonNode v) {
    Class<?> type = c.getType();
    if (type == Integer.class) {
      return v.asInt();
    } else if (type == Long.class) {
      return v.asLong();
    } else if (type == String.class) {
      return v.asText();
    } else if (type == TopicName.class) {
      return TopicName.of(v.asText());
    } else if (type == Bytes.class) {
      return bytes(v);
    } else if (c.getName().equals("subscriptionIdentifiers")) {
      List<Integer> ids = new ArrayList<>();
      v.forEach(id -> ids.add(id.asInt()));
      return ids;
    } else if (c.getName().equals("userProperties")) {
      List<UserProperty> pairs = new ArrayList<>();
      v.forEach(p -> pairs.add(new UserProperty(p.get(0).asText(), p.get(1).asText())));
      return pairs;
    }
    throw new IllegalStateException("no JSON mapping for property " + c.getName());
  }

  private static Will will(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    allow(node, "topic", "payload", "qos", "retain", "properties");
    return new Will(
        TopicName.of(node.required("topic").asText()),
        bytes(node, "payload"),
        QoS.of(node.path("qos").asInt(0)),
        node.path("retain").asBoolean(false),
        properties(node.get("properties")));
  }

  private static void allow(JsonNode node, String... fields) {
    List<String> allowed = List.of(fields);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      String field = it.next().getKey();
      if (!allowed.contains(field)) {
        throw new IllegalArgumentException("unknown packet field '" + field + "'");
      }
    }
  }

  private static int packetId(JsonNode node) {
    return node.required("packetId").asInt();
  }

  private static Properties props(JsonNode node) {
    return properties(node.get("properties"));
  }

  private static ReasonCode reason(JsonNode node, ReasonCode absent) {
    JsonNode v = node.get("reasonCode");
    return v == null ? absent : ReasonCode.valueOf(v.asText());
  }

  private static List<ReasonCode> reasons(JsonNode node) {
    List<ReasonCode> codes = new ArrayList<>();
    node.required("reasonCodes").forEach(r -> codes.add(ReasonCode.valueOf(r.asText())));
    return codes;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Bytes bytes(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? Bytes.EMPTY : bytes(v);
  }

  private static Bytes bytesOrNull(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : bytes(v);
  }

  private static Bytes bytes(JsonNode v) {
    return v.isObject() ? Bytes.fromHex(v.required("hex").asText()) : Bytes.utf8(v.asText());
  }
}
