package dev.stratus.core.auth.acl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable set of ACL rules, indexed by whom they apply to, and the decision procedure:
 *
 * <ol>
 *   <li>The rules that apply to a client are those of {@code all}, of {@code anonymous} when it has
 *       no user name, of its {@code user}, and of each of its {@code role}s. In a pattern, the
 *       level {@code %u} becomes the user name and {@code %c} the client id; a rule whose
 *       substitution is impossible (no user name) or unsafe (the value is empty, holds {@code /},
 *       {@code +} or {@code #}, or starts with {@code $}, any of which would widen the pattern)
 *       does not apply.
 *   <li>If any applicable {@code deny} rule for the right hits, the answer is no. For publish and
 *       receive a rule hits when its pattern matches the topic; for subscribe when its pattern
 *       overlaps the filter (some topic matched by both).
 *   <li>Otherwise, if any applicable {@code allow} rule for the right hits, the answer is yes. For
 *       subscribe, an allow rule hits only when its pattern covers the whole filter.
 *   <li>Otherwise no: what no rule allows is denied.
 * </ol>
 *
 * A shared subscription {@code $share/g/f} is judged by its filter {@code f}.
 */
public final class Acl {
  private final List<AclRule> all;
  private final List<AclRule> anonymous;
  private final Map<String, List<AclRule>> users;
  private final Map<String, List<AclRule>> roles;
  private final int size;

  public Acl(List<AclRule> rules) {
    List<AclRule> a = new ArrayList<>();
    List<AclRule> anon = new ArrayList<>();
    Map<String, List<AclRule>> u = new HashMap<>();
    Map<String, List<AclRule>> r = new HashMap<>();
    for (AclRule rule : rules) {
      switch (rule.scope()) {
        case ALL -> a.add(rule);
        case ANONYMOUS -> anon.add(rule);
        case USER -> u.computeIfAbsent(rule.subject(), k -> new ArrayList<>()).add(rule);
        case ROLE -> r.computeIfAbsent(rule.subject(), k -> new ArrayList<>()).add(rule);
      }
    }
    this.all = List.copyOf(a);
    this.anonymous = List.copyOf(anon);
    this.users = copy(u);
    this.roles = copy(r);
    this.size = rules.size();
  }

  private static Map<String, List<AclRule>> copy(Map<String, List<AclRule>> m) {
    Map<String, List<AclRule>> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }

  public static final Acl EMPTY = new Acl(List.of());

  public int size() {
    return size;
  }

  /**
   * Whether the client may exercise the right on the topic (publish, receive) or filter (subscribe:
   * the filter without any {@code $share/g/} prefix).
   */
  public boolean allows(
      Right right, String clientId, String username, Set<String> userRoles, String topic) {
    Boolean verdict = null;
    verdict = merge(verdict, check(all, right, clientId, username, topic));
    if (username == null) {
      verdict = merge(verdict, check(anonymous, right, clientId, null, topic));
    } else {
      verdict = merge(verdict, check(users.get(username), right, clientId, username, topic));
    }
    if (verdict != Boolean.FALSE) {
      for (String role : userRoles) {
        verdict = merge(verdict, check(roles.get(role), right, clientId, username, topic));
        if (verdict == Boolean.FALSE) {
          break;
        }
      }
    }
    return verdict == Boolean.TRUE;
  }

  private static Boolean merge(Boolean a, Boolean b) {
    if (a == Boolean.FALSE || b == Boolean.FALSE) {
      return Boolean.FALSE;
    }
    return a == Boolean.TRUE || b == Boolean.TRUE ? Boolean.TRUE : null;
  }

  /** FALSE when a deny hits, TRUE when an allow hits and no deny, null when nothing hits. */
  private static Boolean check(
      List<AclRule> rules, Right right, String clientId, String username, String topic) {
    if (rules == null) {
      return null;
    }
    boolean allowed = false;
    for (AclRule rule : rules) {
      if (!rule.rights().contains(right)) {
        continue;
      }
      String pattern = substitute(rule.pattern(), clientId, username);
      if (pattern == null) {
        continue;
      }
      boolean hit;
      if (right == Right.SUBSCRIBE) {
        hit =
            rule.allow()
                ? TopicPatterns.covers(pattern, topic)
                : TopicPatterns.overlaps(pattern, topic);
      } else {
        hit = TopicPatterns.matches(pattern, topic);
      }
      if (hit) {
        if (!rule.allow()) {
          return Boolean.FALSE;
        }
        allowed = true;
      }
    }
    return allowed ? Boolean.TRUE : null;
  }

  /** The pattern with %u and %c levels replaced, or null when the rule cannot apply. */
  static String substitute(String pattern, String clientId, String username) {
    if (pattern.indexOf('%') < 0) {
      return pattern;
    }
    StringBuilder b = new StringBuilder(pattern.length() + 16);
    for (String level : pattern.split("/", -1)) {
      boolean variable = level.equals("%u") || level.equals("%c");
      String v = level.equals("%u") ? username : level.equals("%c") ? clientId : level;
      if (variable && !safe(v)) {
        return null;
      }
      b.append(v).append('/');
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  /** A value that stays one plain level: not a wildcard, no separator, not a {@code $} root. */
  private static boolean safe(String v) {
    return v != null
        && !v.isEmpty()
        && v.indexOf('/') < 0
        && v.indexOf('+') < 0
        && v.indexOf('#') < 0
        && v.charAt(0) != '$';
  }
}
