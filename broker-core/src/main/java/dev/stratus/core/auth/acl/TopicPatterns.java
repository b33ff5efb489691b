package dev.stratus.core.auth.acl;

/**
 * Topic pattern logic for ACLs, on levels split at {@code /}. Three relations:
 *
 * <ul>
 *   <li>{@link #matches}(pattern, topic): the pattern, as a filter, matches a topic name (MQTT
 *       matching, including: a leading wildcard does not match a {@code $} topic [MQTT-4.7.2-1]);
 *   <li>{@link #covers}(pattern, filter): every topic the filter can match is matched by the
 *       pattern. Subscribe rights use it, so that a client allowed {@code a/alice/#} may subscribe
 *       {@code a/alice/+/x} but not {@code +/#}, {@code #} or {@code a/+/#};
 *   <li>{@link #overlaps}(pattern, filter): some topic is matched by both. A subscribe deny uses
 *       it, so that {@code deny subscribe secret/#} also refuses {@code #} and {@code +/x}.
 * </ul>
 */
public final class TopicPatterns {
  private TopicPatterns() {}

  /** Null when the pattern is a valid filter (with {@code %u}/{@code %c} levels), else why not. */
  public static String validate(String pattern) {
    if (pattern.isEmpty()) {
      return "empty";
    }
    String[] levels = pattern.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String l = levels[i];
      if (l.equals("#")) {
        if (i != levels.length - 1) {
          return "# must be the last level";
        }
      } else if (!l.equals("+") && (l.contains("#") || l.contains("+"))) {
        return "a wildcard must fill a whole level";
      } else if (l.contains("%") && !l.equals("%u") && !l.equals("%c")) {
        return "%u and %c must fill a whole level";
      } else if (l.indexOf('\0') >= 0 || l.chars().anyMatch(Character::isWhitespace)) {
        return "spaces and NUL are not allowed";
      }
    }
    return null;
  }

  private static String[] split(String s) {
    return s.split("/", -1);
  }

  public static boolean matches(String pattern, String topic) {
    String[] p = split(pattern);
    String[] t = split(topic);
    if (t[0].startsWith("$") && (p[0].equals("+") || p[0].equals("#"))) {
      return false; // [MQTT-4.7.2-1]
    }
    for (int i = 0; i < p.length; i++) {
      if (p[i].equals("#")) {
        return true; // also matches the parent level [MQTT-4.7.1-2]
      }
      if (i >= t.length) {
        return false;
      }
      if (!p[i].equals("+") && !p[i].equals(t[i])) {
        return false;
      }
    }
    return p.length == t.length;
  }

  public static boolean covers(String pattern, String filter) {
    String[] p = split(pattern);
    String[] f = split(filter);
    if (f[0].startsWith("$") && (p[0].equals("+") || p[0].equals("#"))) {
      return false; // a $ topic is only covered by a pattern naming it
    }
    for (int i = 0; i < p.length; i++) {
      if (p[i].equals("#")) {
        return true;
      }
      if (i >= f.length) {
        return false; // filter "a" is not covered by "a/+"
      }
      if (f[i].equals("#")) {
        return false; // the filter reaches deeper than the pattern allows
      }
      if (p[i].equals("+")) {
        continue;
      }
      if (!p[i].equals(f[i])) {
        return false; // includes filter "+" against a literal pattern level
      }
    }
    return p.length == f.length;
  }

  public static boolean overlaps(String pattern, String filter) {
    String[] p = split(pattern);
    String[] f = split(filter);
    boolean pDollar = !p[0].equals("+") && !p[0].equals("#") && p[0].startsWith("$");
    boolean fDollar = !f[0].equals("+") && !f[0].equals("#") && f[0].startsWith("$");
    if ((pDollar && (f[0].equals("+") || f[0].equals("#")))
        || (fDollar && (p[0].equals("+") || p[0].equals("#")))) {
      return false; // wildcards at the root never reach $ topics
    }
    int n = Math.max(p.length, f.length);
    for (int i = 0; i < n; i++) {
      boolean pEnd = i >= p.length;
      boolean fEnd = i >= f.length;
      if ((!pEnd && p[i].equals("#")) || (!fEnd && f[i].equals("#"))) {
        return true;
      }
      if (pEnd || fEnd) {
        return false;
      }
      if (!p[i].equals("+") && !f[i].equals("+") && !p[i].equals(f[i])) {
        return false;
      }
    }
    return true;
  }
}
