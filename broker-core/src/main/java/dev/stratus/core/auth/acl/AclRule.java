package dev.stratus.core.auth.acl;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * One ACL rule: who it applies to, whether it allows or denies, which rights, and a topic pattern.
 * The pattern is an MQTT topic filter in which the whole levels {@code %u} and {@code %c} stand for
 * the client's user name and client id.
 *
 * @param scope whom the rule applies to
 * @param subject the user or role name; empty for {@link Scope#ALL} and {@link Scope#ANONYMOUS}
 */
public record AclRule(
    Scope scope, String subject, boolean allow, Set<Right> rights, String pattern) {

  /** Whom a rule applies to. */
  public enum Scope {
    /** One user name. */
    USER,
    /** Every user holding a role. */
    ROLE,
    /** Every client, authenticated or not. */
    ALL,
    /** Clients without a user name (only admitted when anonymous access is enabled). */
    ANONYMOUS
  }

  public AclRule {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(pattern, "pattern");
    if ((scope == Scope.USER || scope == Scope.ROLE) == subject.isEmpty()) {
      throw new IllegalArgumentException("user and role rules name a subject, others none");
    }
    if (rights.isEmpty()) {
      throw new IllegalArgumentException("a rule names at least one right");
    }
    rights = Set.copyOf(EnumSet.copyOf(rights));
    String problem = TopicPatterns.validate(pattern);
    if (problem != null) {
      throw new IllegalArgumentException("bad topic pattern '" + pattern + "': " + problem);
    }
  }

  /** The rule as one line of the ACL file format (see {@link AclFile}), without its section. */
  public String ruleLine() {
    StringBuilder b = new StringBuilder(allow ? "allow " : "deny ");
    boolean first = true;
    for (Right r : Right.values()) {
      if (rights.contains(r)) {
        b.append(first ? "" : ",").append(r.word());
        first = false;
      }
    }
    return b.append(' ').append(pattern).toString();
  }

  /** The section header this rule belongs under in an ACL file. */
  public String sectionLine() {
    return switch (scope) {
      case USER -> "user " + subject;
      case ROLE -> "role " + subject;
      case ALL -> "all";
      case ANONYMOUS -> "anonymous";
    };
  }
}
