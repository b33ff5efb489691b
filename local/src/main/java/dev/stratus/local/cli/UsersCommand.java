package dev.stratus.local.cli;

import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.User;
import dev.stratus.core.auth.UserStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ./stratus users ...}: adds, removes, lists broker users and changes their passwords in the
 * users table ({@link StoreTarget} says which). Exit 0 on success, 1 when the command cannot be
 * done (unknown user, user exists, store unreachable), 2 for a bad command line.
 */
public final class UsersCommand {
  public static final String USAGE =
      """
      usage: stratus users add USER (--password PASS | --password-stdin) [--role R]...
             stratus users passwd USER (--password PASS | --password-stdin)
             stratus users roles USER [--role R]...      replace the user's roles
             stratus users remove USER
             stratus users list                          names and roles (never hashes)
      where the users are (default: the local stack's data directory):
        --data-dir DIR            ./stratus local's data directory (default ./.stratus-data): its
                                  running DynamoDB Local, else the files opened here
        --dynamodb-endpoint URL   a DynamoDB (Local) endpoint
        --aws                     the deployed tables (default AWS credential chain)
        --region R                the AWS region (default AWS_REGION, us-east-1 for endpoints)
        --table-prefix P          table names P + users, P + acl (default stratus-)
      --password-stdin reads the password from the first line of stdin, so that it does not land
      in the shell history. A user name is what clients send in CONNECT; roles are named by ACL
      rules ('role NAME' sections, docs/security.md).""";

  private final InputStream in;
  private final PrintStream out;
  private final PrintStream err;

  UsersCommand(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(new UsersCommand(System.in, System.out, System.err).run(args));
  }

  /** Runs the command; the exit status. */
  public int run(String... args) {
    StoreTarget.Options common;
    Command c;
    try {
      common = StoreTarget.parse(Arrays.asList(args));
      c = command(common.rest());
    } catch (StoreTarget.UsageException e) {
      err.println("stratus users: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    if (c == null) {
      out.println(USAGE);
      return 0;
    }
    byte[] password = null;
    try {
      password = c.passwordStdin() ? readPassword() : c.password();
      if (c.needsPassword() && (password == null || password.length == 0)) {
        err.println("stratus users: the password is empty");
        return 1;
      }
      try (StoreTarget target = StoreTarget.open(common)) {
        return apply(c, password, target.users());
      }
    } catch (IOException | RuntimeException e) {
      err.println("stratus users: " + e.getMessage());
      return 1;
    } finally {
      if (password != null) {
        Arrays.fill(password, (byte) 0);
      }
    }
  }

  private int apply(Command c, byte[] password, UserStore users) {
    switch (c.verb()) {
      case "list" -> {
        for (User u : users.list()) {
          // the hash is never shown: only whether the user can log in with a password
          out.println(
              u.name()
                  + "\troles: "
                  + (u.roles().isEmpty() ? "-" : String.join(",", new TreeSet<>(u.roles())))
                  + "\tpassword: "
                  + (u.passwordHash() == null ? "no" : "yes"));
        }
        return 0;
      }
      case "add" -> {
        if (users.get(c.user()) != null) {
          err.println(
              "stratus users: user '" + c.user() + "' exists (passwd changes its password)");
          return 1;
        }
        users.put(new User(c.user(), PasswordHash.hash(password), c.roles()));
        out.println("added user " + c.user());
        return 0;
      }
      case "passwd" -> {
        User u = users.get(c.user());
        if (u == null) {
          err.println("stratus users: unknown user '" + c.user() + "'");
          return 1;
        }
        users.put(new User(u.name(), PasswordHash.hash(password), u.roles()));
        out.println("changed the password of " + c.user());
        return 0;
      }
      case "roles" -> {
        User u = users.get(c.user());
        if (u == null) {
          err.println("stratus users: unknown user '" + c.user() + "'");
          return 1;
        }
        users.put(new User(u.name(), u.passwordHash(), c.roles()));
        out.println("set the roles of " + c.user());
        return 0;
      }
      case "remove" -> {
        if (!users.remove(c.user())) {
          err.println("stratus users: unknown user '" + c.user() + "'");
          return 1;
        }
        out.println("removed user " + c.user());
        return 0;
      }
      default -> throw new IllegalStateException(c.verb());
    }
  }

  private byte[] readPassword() throws IOException {
    String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
    return line == null ? null : line.getBytes(StandardCharsets.UTF_8);
  }

  record Command(
      String verb, String user, byte[] password, boolean passwordStdin, Set<String> roles) {
    boolean needsPassword() {
      return verb.equals("add") || verb.equals("passwd");
    }
  }

  /** The command, or null for help. */
  static Command command(List<String> args) throws StoreTarget.UsageException {
    if (args.isEmpty()) {
      throw new StoreTarget.UsageException("add, passwd, roles, remove or list?");
    }
    String verb = args.get(0);
    if (verb.equals("-h") || verb.equals("--help") || verb.equals("help")) {
      return null;
    }
    String user = null;
    byte[] password = null;
    boolean stdin = false;
    boolean rolesGiven = false;
    Set<String> roles = new LinkedHashSet<>();
    List<String> positional = new ArrayList<>();
    for (int i = 1; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--password" ->
            password = StoreTarget.value(args, ++i, a).getBytes(StandardCharsets.UTF_8);
        case "--password-stdin" -> stdin = true;
        case "--role" -> {
          String r = StoreTarget.value(args, ++i, a);
          if (r.isEmpty() || r.chars().anyMatch(Character::isWhitespace)) {
            throw new StoreTarget.UsageException("--role: a name without spaces, not '" + r + "'");
          }
          roles.add(r);
          rolesGiven = true;
        }
        case "-h", "--help" -> {
          return null;
        }
        default -> {
          if (a.startsWith("--")) {
            throw new StoreTarget.UsageException("unknown option: " + a);
          }
          positional.add(a);
        }
      }
    }
    switch (verb) {
      case "list" -> {
        if (!positional.isEmpty()) {
          throw new StoreTarget.UsageException("list takes no user name");
        }
      }
      case "add", "passwd", "remove", "roles" -> {
        if (positional.size() != 1) {
          throw new StoreTarget.UsageException(verb + " takes one user name");
        }
        user = positional.get(0);
      }
      default ->
          throw new StoreTarget.UsageException(
              "unknown command '" + verb + "' (add, passwd, roles, remove, list)");
    }
    boolean needsPassword = verb.equals("add") || verb.equals("passwd");
    if (needsPassword && (password == null) == !stdin) {
      throw new StoreTarget.UsageException(
          verb + " needs one of --password PASS and --password-stdin");
    }
    if (!needsPassword && (password != null || stdin)) {
      throw new StoreTarget.UsageException(verb + " takes no password");
    }
    if (rolesGiven && !(verb.equals("add") || verb.equals("roles"))) {
      throw new StoreTarget.UsageException(verb + " takes no --role (see 'users roles')");
    }
    return new Command(verb, user, password, stdin, roles);
  }
}
