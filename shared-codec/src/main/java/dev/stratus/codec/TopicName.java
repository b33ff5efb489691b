package dev.stratus.codec;

/**
 * A validated topic name, as a PUBLISH, a will or a response topic carries it.
 *
 * <p>Rules: at least one character [MQTT-4.7.3-1] (except the empty name a v5 PUBLISH may use with
 * a topic alias [MQTT-3.3.2-8], see {@link #EMPTY}); no wildcard characters [MQTT-3.3.2-2],
 * [MQTT-4.7.0-1]; no U+0000 [MQTT-4.7.3-2]; at most 65,535 bytes of UTF-8 [MQTT-4.7.3-3]. Levels
 * may be empty ({@code a//b}, {@code /a}).
 */
public final class TopicName implements Comparable<TopicName> {
  /** The zero-length name of a v5 PUBLISH whose topic is given by a topic alias. */
  public static final TopicName EMPTY = new TopicName("");

  private final String value;

  private TopicName(String value) {
    this.value = value;
  }

  /** For programmer input: throws {@link IllegalArgumentException} with the broken rule. */
  public static TopicName of(String value) {
    String problem = problem(value);
    if (problem != null) {
      throw new IllegalArgumentException(problem + ": '" + value + "'");
    }
    return new TopicName(value);
  }

  /** For wire input: throws the decode exception with reason code Topic Name invalid. */
  public static TopicName decode(String value) throws MqttDecodeException {
    String problem = problem(value);
    if (problem != null) {
      throw new MqttDecodeException(ReasonCode.TOPIC_NAME_INVALID, problem);
    }
    return new TopicName(value);
  }

  /**
   * For the decoder's fast path, which has already checked that {@code value} is non-empty ASCII
   * without wildcards or U+0000, and at most 65,535 bytes long (its length is a two byte integer).
   */
  static TopicName validated(String value) {
    return new TopicName(value);
  }

  /** Null when the value is a valid non-empty topic name, else the rule it breaks. */
  public static String problem(String value) {
    if (value.isEmpty()) {
      return "[MQTT-4.7.3-1] a topic name must be at least one character long";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '+' || c == '#') {
        return "[MQTT-3.3.2-2] a topic name must not contain wildcard characters";
      }
      if (c == 0) {
        return "[MQTT-4.7.3-2] a topic name must not contain U+0000";
      }
    }
    if (Utf8.encodedLength(value) > 65_535) {
      return "[MQTT-4.7.3-3] a topic name must not be longer than 65,535 bytes";
    }
    return null;
  }

  public String value() {
    return value;
  }

  public boolean isEmpty() {
    return value.isEmpty();
  }

  /** Names starting with {@code $} are not matched by a leading wildcard [MQTT-4.7.2-1]. */
  public boolean isSystem() {
    return !value.isEmpty() && value.charAt(0) == '$';
  }

  @Override
  public boolean equals(Object o) {
    return this == o || (o instanceof TopicName other && value.equals(other.value));
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public int compareTo(TopicName o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
