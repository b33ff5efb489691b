package dev.stratus.store.dynamodb;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.TopicName;
import dev.stratus.codec.UserProperty;
import dev.stratus.core.Message;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Hand-written mapping between domain values and DynamoDB attribute values (STYLE.md §12): short
 * attribute names, since every byte of every item is paid for in request units.
 *
 * <p>Instants are stored as a number of seconds with nine decimals ({@code 1767225600.5}), exact to
 * the nanosecond and comparable in key conditions; {@link Instant#MAX} fits (DynamoDB numbers hold
 * 38 digits).
 *
 * <p>A {@link Message} is a map attribute: {@code t} topic, {@code p} payload (binary), {@code q}
 * QoS, {@code r} retain, {@code o} origin client id, {@code x} expiry instant, and the forwarded
 * MQTT 5 properties [MQTT-3.3.2-17]..[MQTT-3.3.2-20] {@code pf} payload format, {@code ct} content
 * type, {@code rt} response topic, {@code cd} correlation data, {@code up} user properties (a list
 * of two-element lists, in order, duplicates kept). Absent values are absent attributes. A message
 * carries no other property (see {@link Message}).
 */
final class Attrs {
  private Attrs() {}

  static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }

  static AttributeValue bool(boolean v) {
    return AttributeValue.fromBool(v);
  }

  static AttributeValue bin(Bytes b) {
    return AttributeValue.fromB(SdkBytes.fromByteArray(b.unsafeArray()));
  }

  static AttributeValue instant(Instant t) {
    return AttributeValue.fromN(
        BigDecimal.valueOf(t.getEpochSecond())
            .add(BigDecimal.valueOf(t.getNano(), 9))
            .stripTrailingZeros()
            .toPlainString());
  }

  static Instant instant(AttributeValue v) {
    if (v == null) {
      return null;
    }
    BigDecimal d = new BigDecimal(v.n());
    long seconds = d.setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
    int nanos = d.subtract(BigDecimal.valueOf(seconds)).movePointRight(9).intValueExact();
    return Instant.ofEpochSecond(seconds, nanos);
  }

  static String str(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    return v == null ? null : v.s();
  }

  static long num(Map<String, AttributeValue> item, String name, long absent) {
    AttributeValue v = item.get(name);
    return v == null || v.n() == null ? absent : Long.parseLong(v.n());
  }

  static boolean flag(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    return v != null && Boolean.TRUE.equals(v.bool());
  }

  static AttributeValue ints(List<Integer> values) {
    List<AttributeValue> l = new ArrayList<>(values.size());
    for (int i : values) {
      l.add(n(i));
    }
    return AttributeValue.fromL(l);
  }

  static List<Integer> ints(AttributeValue v) {
    if (v == null || !v.hasL()) {
      return List.of();
    }
    return v.l().stream().map(x -> Integer.parseInt(x.n())).toList();
  }

  static AttributeValue message(Message m) {
    Map<String, AttributeValue> a = new HashMap<>();
    a.put("t", s(m.topic().value()));
    a.put("p", bin(m.payload()));
    a.put("q", n(m.qos().value()));
    a.put("r", bool(m.retain()));
    if (m.originClientId() != null) {
      a.put("o", s(m.originClientId()));
    }
    if (m.expiresAt() != null) {
      a.put("x", instant(m.expiresAt()));
    }
    Properties p = m.properties();
    if (p.payloadFormatIndicator() != null) {
      a.put("pf", n(p.payloadFormatIndicator()));
    }
    if (p.contentType() != null) {
      a.put("ct", s(p.contentType()));
    }
    if (p.responseTopic() != null) {
      a.put("rt", s(p.responseTopic().value()));
    }
    if (p.correlationData() != null) {
      a.put("cd", bin(p.correlationData()));
    }
    if (!p.userProperties().isEmpty()) {
      List<AttributeValue> up = new ArrayList<>(p.userProperties().size());
      for (UserProperty u : p.userProperties()) {
        up.add(AttributeValue.fromL(List.of(s(u.name()), s(u.value()))));
      }
      a.put("up", AttributeValue.fromL(up));
    }
    return AttributeValue.fromM(a);
  }

  static Message message(AttributeValue v) {
    if (v == null || !v.hasM()) {
      return null;
    }
    Map<String, AttributeValue> a = v.m();
    Properties properties = Properties.NONE;
    if (a.containsKey("pf")
        || a.containsKey("ct")
        || a.containsKey("rt")
        || a.containsKey("cd")
        || a.containsKey("up")) {
      Properties.Builder b = Properties.builder();
      if (a.containsKey("pf")) {
        b.payloadFormatIndicator((int) num(a, "pf", 0));
      }
      b.contentType(str(a, "ct"));
      if (a.containsKey("rt")) {
        b.responseTopic(TopicName.of(str(a, "rt")));
      }
      if (a.containsKey("cd")) {
        b.correlationData(Bytes.wrap(a.get("cd").b().asByteArray()));
      }
      if (a.containsKey("up")) {
        b.userProperties(
            a.get("up").l().stream()
                .map(pair -> new UserProperty(pair.l().get(0).s(), pair.l().get(1).s()))
                .toList());
      }
      properties = b.build();
    }
    return new Message(
        TopicName.of(str(a, "t")),
        Bytes.wrap(a.get("p").b().asByteArray()),
        QoS.of((int) num(a, "q", 0)),
        flag(a, "r"),
        properties,
        str(a, "o"),
        instant(a.get("x")));
  }
}
