package dev.stratus.codec;

/**
 * A validated topic filter, as SUBSCRIBE and UNSUBSCRIBE carry it, possibly a shared subscription
 * {@code $share/{group}/{filter}} (MQTT 5.0 §4.8.2; accepted in every version).
 *
 * <p>Rules: at least one character [MQTT-4.7.3-1]; {@code #} only alone as the last level
 * [MQTT-4.7.1-1]; {@code +} only alone in its level [MQTT-4.7.1-2]; no U+0000 [MQTT-4.7.3-2] and no
 * unpaired surrogate [MQTT-1.5.4-1]; at most 65,535 bytes of UTF-8 [MQTT-4.7.3-3]. A share name is
 * at least one character and contains no {@code /}, {@code +} or {@code #} [MQTT-4.8.2-1],
 * [MQTT-4.8.2-2], and must be followed by a non-empty filter.
 */
public final class TopicFilter {
  private static final String SHARE_PREFIX = "$share/";

  private final String value;
  private final String shareGroup;
  private final String filter;
  private final boolean wildcard;

  private TopicFilter(String value, String shareGroup, String filter) {
    this.value = value;
    this.shareGroup = shareGroup;
    this.filter = filter;
    this.wildcard = filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
  }

  /** For programmer input: throws {@link IllegalArgumentException} with the broken rule. */
  public static TopicFilter of(String value) {
    try {
      return decode(value);
    } catch (MqttDecodeException e) {
      throw new IllegalArgumentException(e.getMessage() + ": '" + value + "'");
    }
  }

  /** For wire input: throws the decode exception with reason code Topic Filter invalid. */
  public static TopicFilter decode(String value) throws MqttDecodeException {
    String shareGroup = null;
    String filter = value;
    if (value.startsWith(SHARE_PREFIX)) {
      int slash = value.indexOf('/', SHARE_PREFIX.length());
      if (slash < 0) {
        throw invalid("[MQTT-4.8.2-1] a shared subscription needs $share/{ShareName}/{filter}");
      }
      shareGroup = value.substring(SHARE_PREFIX.length(), slash);
      filter = value.substring(slash + 1);
      if (shareGroup.isEmpty()) {
        throw invalid("[MQTT-4.8.2-1] a share name must be at least one character long");
      }
      if (shareGroup.indexOf('+') >= 0 || shareGroup.indexOf('#') >= 0) {
        throw invalid("[MQTT-4.8.2-2] a share name must not contain '+' or '#'");
      }
      if (filter.isEmpty()) {
        throw invalid(
            "[MQTT-4.8.2-1] a shared subscription needs a topic filter after the share name");
      }
    }
    String problem = problem(filter);
    if (problem != null) {
      throw invalid(problem);
    }
    if (Utf8.encodedLength(value) > 65_535) {
      throw invalid("[MQTT-4.7.3-3] a topic filter must not be longer than 65,535 bytes");
    }
    return new TopicFilter(value, shareGroup, filter);
  }

  private static MqttDecodeException invalid(String message) {
    return new MqttDecodeException(ReasonCode.TOPIC_FILTER_INVALID, message);
  }

  /** Null when the (unshared) filter is valid, else the rule it breaks. */
  private static String problem(String filter) {
    if (filter.isEmpty()) {
      return "[MQTT-4.7.3-1] a topic filter must be at least one character long";
    }
    int levelStart = 0;
    for (int i = 0; i < filter.length(); i++) {
      char c = filter.charAt(i);
      if (c == 0) {
        return "[MQTT-4.7.3-2] a topic filter must not contain U+0000";
      }
      if (Character.isSurrogate(c) && Utf8.isUnpairedSurrogate(filter, i)) {
        return "[MQTT-1.5.4-1] a topic filter must not contain an unpaired surrogate";
      }
      if (c == '/') {
        levelStart = i + 1;
      } else if (c == '+') {
        boolean aloneInLevel =
            i == levelStart && (i + 1 == filter.length() || filter.charAt(i + 1) == '/');
        if (!aloneInLevel) {
          return "[MQTT-4.7.1-2] '+' must occupy an entire level of the filter";
        }
      } else if (c == '#') {
        if (i != levelStart || i + 1 != filter.length()) {
          return "[MQTT-4.7.1-1] '#' must be the last character and occupy an entire level";
        }
      }
    }
    return null;
  }

  /** The filter as the client sent it, {@code $share/...} prefix included. */
  public String value() {
    return value;
  }

  /** The filter used for matching: without the {@code $share/{group}/} prefix. */
  public String filter() {
    return filter;
  }

  /** The share name of a shared subscription, or null. */
  public String shareGroup() {
    return shareGroup;
  }

  public boolean isShared() {
    return shareGroup != null;
  }

  /** True if the matching filter contains {@code +} or {@code #}. */
  public boolean hasWildcard() {
    return wildcard;
  }

  /** True if this filter matches the topic name; see {@link TopicMatcher#matches}. */
  public boolean matches(TopicName topic) {
    return TopicMatcher.matches(filter, topic.value());
  }

  @Override
  public boolean equals(Object o) {
    return this == o || (o instanceof TopicFilter other && value.equals(other.value));
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }
}
