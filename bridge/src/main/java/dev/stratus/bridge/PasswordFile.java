package dev.stratus.bridge;

import dev.stratus.codec.Bytes;
import dev.stratus.core.auth.PasswordHash;
import dev.stratus.core.auth.User;
import dev.stratus.core.auth.UserStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code --password-file}: {@code username:HASH} lines, {@code #} starting a comment. HASH is
 * either a {@link PasswordHash} ({@code pbkdf2-sha512$...}, from {@code stratus bridge
 * --hash-password}), or, read for compatibility with files written for earlier versions, the hex
 * SHA-256 of the password ({@code printf %s secret | sha256sum}). An unsalted fast hash is what a
 * stolen file gives away fastest, so the bridge warns about each such line at start
 * (docs/bridge.md, "Migrating a password file").
 *
 * <p>The PBKDF2 users form a read-only {@link UserStore} that {@code Security} checks like any
 * other; the SHA-256 lines are checked by {@link BridgeAuthenticator} in front of it.
 */
public final class PasswordFile {
  private final Map<String, User> users;
  private final Map<String, byte[]> sha256;

  private PasswordFile(Map<String, User> users, Map<String, byte[]> sha256) {
    this.users = users;
    this.sha256 = sha256;
  }

  /**
   * @throws IOException when the file cannot be read, or with {@code file:line: what} for a line
   *     that is not {@code username:HASH}
   */
  public static PasswordFile load(Path file) throws IOException {
    Map<String, User> users = new TreeMap<>();
    Map<String, byte[]> legacy = new HashMap<>();
    int lineNumber = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      // the last colon: neither hash form contains one, a user name may
      int colon = trimmed.lastIndexOf(':');
      String name = colon <= 0 ? "" : trimmed.substring(0, colon);
      String hash = colon < 0 ? "" : trimmed.substring(colon + 1);
      if (name.isEmpty() || hash.isEmpty()) {
        throw new IOException(
            file + ":" + lineNumber + ": expected username:HASH (pbkdf2-sha512$... or sha256 hex)");
      }
      if (users.containsKey(name) || legacy.containsKey(name)) {
        throw new IOException(file + ":" + lineNumber + ": user '" + name + "' appears twice");
      }
      if (hash.startsWith(PasswordHash.ALGORITHM + "$")) {
        if (!PasswordHash.isHash(hash)) {
          throw new IOException(
              file + ":" + lineNumber + ": malformed " + PasswordHash.ALGORITHM + " hash");
        }
        users.put(name, new User(name, hash, Set.of()));
      } else {
        if (hash.length() != 64) {
          throw new IOException(
              file
                  + ":"
                  + lineNumber
                  + ": expected a "
                  + PasswordHash.ALGORITHM
                  + " hash or 64 hex digits of SHA-256");
        }
        try {
          legacy.put(name, HexFormat.of().parseHex(hash));
        } catch (IllegalArgumentException e) {
          throw new IOException(file + ":" + lineNumber + ": the hash is not hexadecimal", e);
        }
      }
    }
    return new PasswordFile(users, legacy);
  }

  /** The users whose line has the unsalted SHA-256 form, sorted: to be migrated. */
  public List<String> sha256Users() {
    return sha256.keySet().stream().sorted().toList();
  }

  /** Whether the user's line has the SHA-256 form. */
  boolean hasSha256(String username) {
    return username != null && sha256.containsKey(username);
  }

  /** Whether the password matches the user's SHA-256 line, compared in constant time. */
  boolean sha256Matches(String username, Bytes password) {
    byte[] expected = sha256.get(username);
    // Constant-time comparison: the time taken must not tell how much of the hash matched.
    return expected != null
        && password != null
        && MessageDigest.isEqual(expected, sha256(password.toArray()));
  }

  /**
   * The PBKDF2 users of this file, then those of {@code next} (null for none): a name in the file
   * hides the same name in {@code next}. Read-only: users are managed in the file or in {@code
   * next}'s own store.
   */
  public UserStore users(UserStore next) {
    return new UserStore() {
      @Override
      public User get(String name) {
        User u = users.get(name);
        if (u != null || sha256.containsKey(name)) {
          return u; // a SHA-256 line hides the table's user of that name too
        }
        return next == null ? null : next.get(name);
      }

      @Override
      public void put(User user) {
        throw new UnsupportedOperationException("the password file is read-only");
      }

      @Override
      public boolean remove(String name) {
        throw new UnsupportedOperationException("the password file is read-only");
      }

      @Override
      public List<User> list() {
        List<User> all = new ArrayList<>(users.values());
        if (next != null) {
          for (User u : next.list()) {
            if (!users.containsKey(u.name()) && !sha256.containsKey(u.name())) {
              all.add(u);
            }
          }
        }
        all.sort(Comparator.comparing(User::name));
        return all;
      }
    };
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
