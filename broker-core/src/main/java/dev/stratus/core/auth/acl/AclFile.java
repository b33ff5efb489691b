package dev.stratus.core.auth.acl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The ACL file format (see docs/security.md), line by line:
 *
 * <pre>
 * # a comment; blank lines are ignored
 * user alice                              rules for the user named alice
 * role sensors                            rules for every user holding the role "sensors"
 * all                                     rules for every client
 * anonymous                               rules for clients without a user name
 * allow publish,receive devices/%u/#      a rule of the section above it
 * deny subscribe devices/%u/secret
 * allow all $SYS/#                        "all" = publish,subscribe,receive
 * </pre>
 *
 * Rights are {@code publish}, {@code subscribe}, {@code receive} or {@code all}, comma-separated
 * without spaces. The pattern is one MQTT topic filter where a whole level {@code %u} is the user
 * name and {@code %c} the client id. Leading spaces are allowed (to indent rules). Every error
 * names its line: {@code acl.conf:7: unknown right 'read' (publish, subscribe, receive, all)}.
 */
public final class AclFile {
  private AclFile() {}

  /** A syntax error, with the source name and line number in its message. */
  public static final class AclSyntaxException extends Exception {
    private final int line;

    AclSyntaxException(String source, int line, String message) {
      super(source + ":" + line + ": " + message);
      this.line = line;
    }

    public int line() {
      return line;
    }
  }

  public static List<AclRule> load(Path file) throws IOException, AclSyntaxException {
    return parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  public static List<AclRule> parse(String source, List<String> lines) throws AclSyntaxException {
    List<AclRule> rules = new ArrayList<>();
    AclRule.Scope scope = null;
    String subject = "";
    int n = 0;
    for (String raw : lines) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] w = line.split("\\s+");
      switch (w[0]) {
        case "user", "role" -> {
          if (w.length != 2) {
            throw new AclSyntaxException(source, n, "expected '" + w[0] + " NAME'");
          }
          scope = w[0].equals("user") ? AclRule.Scope.USER : AclRule.Scope.ROLE;
          subject = w[1];
        }
        case "all", "anonymous" -> {
          if (w.length != 1) {
            throw new AclSyntaxException(source, n, "'" + w[0] + "' takes no name");
          }
          scope = w[0].equals("all") ? AclRule.Scope.ALL : AclRule.Scope.ANONYMOUS;
          subject = "";
        }
        case "allow", "deny" -> {
          if (scope == null) {
            throw new AclSyntaxException(
                source, n, "a rule before any 'user', 'role', 'all' or 'anonymous' line");
          }
          if (w.length != 3) {
            throw new AclSyntaxException(source, n, "expected '" + w[0] + " RIGHTS PATTERN'");
          }
          Set<Right> rights = rights(source, n, w[1]);
          try {
            rules.add(new AclRule(scope, subject, w[0].equals("allow"), rights, w[2]));
          } catch (IllegalArgumentException e) {
            throw new AclSyntaxException(source, n, e.getMessage());
          }
        }
        default ->
            throw new AclSyntaxException(
                source,
                n,
                "unknown keyword '" + w[0] + "' (user, role, all, anonymous, allow, deny)");
      }
    }
    return List.copyOf(rules);
  }

  private static Set<Right> rights(String source, int n, String list) throws AclSyntaxException {
    Set<Right> rights = EnumSet.noneOf(Right.class);
    for (String r : list.split(",", -1)) {
      switch (r) {
        case "publish" -> rights.add(Right.PUBLISH);
        case "subscribe" -> rights.add(Right.SUBSCRIBE);
        case "receive" -> rights.add(Right.RECEIVE);
        case "all" -> rights.addAll(EnumSet.allOf(Right.class));
        default ->
            throw new AclSyntaxException(
                source, n, "unknown right '" + r + "' (publish, subscribe, receive, all)");
      }
    }
    return rights;
  }

  /** The rules in the file format, grouped by section, parseable by {@link #parse}. */
  public static String format(List<AclRule> rules) {
    List<AclRule> sorted = new ArrayList<>(rules);
    sorted.sort(MemoryAclStore.ORDER);
    StringBuilder b = new StringBuilder();
    String section = null;
    for (AclRule r : sorted) {
      if (!r.sectionLine().equals(section)) {
        section = r.sectionLine();
        b.append(b.isEmpty() ? "" : "\n").append(section).append('\n');
      }
      b.append("  ").append(r.ruleLine()).append('\n');
    }
    return b.toString();
  }
}
