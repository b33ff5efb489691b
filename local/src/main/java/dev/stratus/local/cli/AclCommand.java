package dev.stratus.local.cli;

import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.acl.AclRule;
import dev.stratus.core.auth.acl.AclStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ./stratus acl ...}: adds, removes and lists the ACL rules of the acl table, in the ACL
 * file format of docs/security.md. A rule is given as its section and its rule line on the command
 * line ({@code acl add user alice allow publish devices/alice/#}) or as a whole file ({@code
 * --file}). Exit 0 on success, 1 when the command cannot be done (a bad rule: the parser's message;
 * removing a rule that is not there), 2 for a bad command line.
 */
public final class AclCommand {
  public static final String USAGE =
      """
      usage: stratus acl add SECTION allow|deny RIGHTS PATTERN
             stratus acl add --file FILE          every rule of an ACL file
             stratus acl remove SECTION allow|deny RIGHTS PATTERN
             stratus acl remove --file FILE
             stratus acl list                     the rules, as an ACL file
      SECTION is 'user NAME', 'role NAME', 'all' or 'anonymous'; RIGHTS publish, subscribe,
      receive or all, comma-separated; PATTERN a topic filter where a level %u is the user name and
      %c the client id (docs/security.md, "ACL file"). Quote patterns with # in a shell.
      where the rules are (default: the local stack's data directory):
        --data-dir DIR            ./stratus local's data directory (default ./.stratus-data)
        --dynamodb-endpoint URL   a DynamoDB (Local) endpoint
        --aws                     the deployed tables (default AWS credential chain)
        --region R                the AWS region
        --table-prefix P          table names P + acl (default stratus-)
      A running stack rereads the acl table every 30 seconds.""";

  private final PrintStream out;
  private final PrintStream err;

  AclCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(new AclCommand(System.out, System.err).run(args));
  }

  /** Runs the command; the exit status. */
  public int run(String... args) {
    StoreTarget.Options common;
    List<String> rest;
    try {
      common = StoreTarget.parse(Arrays.asList(args));
      rest = common.rest();
      if (rest.isEmpty()) {
        throw new StoreTarget.UsageException("add, remove or list?");
      }
      if (List.of("-h", "--help", "help").contains(rest.get(0)) || rest.contains("--help")) {
        out.println(USAGE);
        return 0;
      }
      if (!List.of("add", "remove", "list").contains(rest.get(0))) {
        throw new StoreTarget.UsageException(
            "unknown command '" + rest.get(0) + "' (add, remove, list)");
      }
      if (rest.get(0).equals("list") && rest.size() != 1) {
        throw new StoreTarget.UsageException("list takes no arguments");
      }
      if (!rest.get(0).equals("list") && rest.size() < 2) {
        throw new StoreTarget.UsageException(rest.get(0) + " needs a rule or --file FILE");
      }
      if (rest.size() >= 2 && rest.get(1).equals("--file") && rest.size() != 3) {
        throw new StoreTarget.UsageException("--file takes one file and nothing else");
      }
    } catch (StoreTarget.UsageException e) {
      err.println("stratus acl: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    String verb = rest.get(0);
    List<AclRule> rules = List.of();
    try {
      if (!verb.equals("list")) {
        rules = rules(rest.subList(1, rest.size()));
      }
    } catch (IOException e) {
      err.println("stratus acl: cannot read " + e.getMessage());
      return 1;
    } catch (AclFile.AclSyntaxException e) {
      err.println("stratus acl: " + e.getMessage());
      return 1;
    }
    try (StoreTarget target = StoreTarget.open(common)) {
      AclStore acl = target.acl();
      switch (verb) {
        case "list" -> {
          out.print(AclFile.format(acl.list()));
          return 0;
        }
        case "add" -> {
          for (AclRule r : rules) {
            boolean added = acl.add(r);
            out.println(
                (added ? "added " : "already there: ") + r.sectionLine() + ": " + r.ruleLine());
          }
          return 0;
        }
        default -> {
          int missing = 0;
          for (AclRule r : rules) {
            if (acl.remove(r)) {
              out.println("removed " + r.sectionLine() + ": " + r.ruleLine());
            } else {
              missing++;
              err.println("stratus acl: no such rule: " + r.sectionLine() + ": " + r.ruleLine());
            }
          }
          return missing == 0 ? 0 : 1;
        }
      }
    } catch (IOException | RuntimeException e) {
      err.println("stratus acl: " + e.getMessage());
      return 1;
    }
  }

  /** The rules of {@code --file FILE}, or of one section + rule given as words. */
  static List<AclRule> rules(List<String> words) throws IOException, AclFile.AclSyntaxException {
    if (words.get(0).equals("--file")) {
      return AclFile.load(Path.of(words.get(1)));
    }
    // 'user NAME' / 'role NAME' take two words, 'all' / 'anonymous' one; the rest is the rule
    int sectionWords = words.get(0).equals("user") || words.get(0).equals("role") ? 2 : 1;
    List<String> lines = new ArrayList<>();
    lines.add(String.join(" ", words.subList(0, Math.min(sectionWords, words.size()))));
    if (words.size() > sectionWords) {
      lines.add(String.join(" ", words.subList(sectionWords, words.size())));
    }
    List<AclRule> rules = AclFile.parse("rule", lines);
    if (rules.isEmpty()) {
      // a section alone: the parser accepts it in a file, a command needs its rule
      return AclFile.parse("rule", List.of(lines.get(0), "allow"));
    }
    return rules;
  }
}
