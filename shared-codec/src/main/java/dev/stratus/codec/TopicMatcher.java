package dev.stratus.codec;

/**
 * Topic matching, as a pure function of a valid filter and a valid topic name (MQTT 5.0 §4.7).
 *
 * <p>The rules, in the order they are applied:
 *
 * <ol>
 *   <li>Levels are separated by {@code /}; empty levels are levels ({@code a//b} has three).
 *   <li>A filter whose first character is a wildcard does not match a topic starting with {@code $}
 *       [MQTT-4.7.2-1]; {@code $SYS/#} does.
 *   <li>{@code +} matches exactly one level, empty included ({@code a/+} matches {@code a/}).
 *   <li>{@code #} matches its parent level and any number of child levels: {@code a/#} matches
 *       {@code a}, {@code a/} and {@code a/b/c} [MQTT-4.7.1-2]; {@code #} alone matches every topic
 *       not starting with {@code $}.
 *   <li>Everything else is compared character by character, case-sensitively.
 * </ol>
 *
 * <p>The walk is allocation-free and linear in the length of the two strings.
 */
public final class TopicMatcher {
  private TopicMatcher() {}

  /** True if {@code filter} (without any {@code $share} prefix) matches {@code topic}. */
  public static boolean matches(String filter, String topic) {
    if (!topic.isEmpty()
        && topic.charAt(0) == '$'
        && !filter.isEmpty()
        && (filter.charAt(0) == '+' || filter.charAt(0) == '#')) {
      return false;
    }
    int f = 0;
    int t = 0;
    int fLen = filter.length();
    int tLen = topic.length();
    while (f < fLen) {
      char fc = filter.charAt(f);
      if (fc == '#') {
        return true; // valid filters have '#' only as the whole last level
      }
      if (fc == '+') {
        // skip one topic level, which may be empty
        while (t < tLen && topic.charAt(t) != '/') {
          t++;
        }
        f++;
      } else {
        // literal level: compare up to the next separator
        while (f < fLen && filter.charAt(f) != '/') {
          if (t >= tLen || topic.charAt(t) != filter.charAt(f)) {
            return false;
          }
          f++;
          t++;
        }
        if (t < tLen && topic.charAt(t) != '/') {
          return false; // topic level is longer than the filter level
        }
      }
      // both are now at a separator or at their end
      if (f == fLen) {
        return t == tLen;
      }
      // filter has a '/' at f
      if (t == tLen) {
        // topic ended: only "/#" may follow to match the parent level [MQTT-4.7.1-2]
        return f + 2 == fLen && filter.charAt(f + 1) == '#';
      }
      f++;
      t++;
    }
    return t == tLen;
  }
}
