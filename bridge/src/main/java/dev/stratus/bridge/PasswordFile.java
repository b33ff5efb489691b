package dev.stratus.bridge;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ReasonCode;
import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.auth.AuthResult;
import dev.stratus.core.auth.Authenticator;
import dev.stratus.core.auth.Authorizer;
import dev.stratus.core.auth.ConnectRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * Username/password authentication from a file of {@code username:sha256hex} lines (the SHA-256 of
 * the password in hex, e.g. {@code printf %s secret | sha256sum}); {@code #} starts a comment.
 * Clients without a known username and matching password are refused with Bad User Name or Password
 * (0x86; 3.1.1 return code 4). Every authenticated client may publish and subscribe anywhere:
 * {@link #AUTHENTICATED_MAY_ALL}.
 */
public final class PasswordFile implements Authenticator {
  private final Map<String, byte[]> hashes;

  /** Authenticated clients may use every topic; finer rules belong to a real authorizer. */
  public static final Authorizer AUTHENTICATED_MAY_ALL =
      new Authorizer() {
        @Override
        public boolean mayPublish(
            String clientId, String username, Set<String> roles, TopicName topic) {
          return true;
        }

        @Override
        public boolean maySubscribe(
            String clientId, String username, Set<String> roles, TopicFilter filter) {
          return true;
        }
      };

  private PasswordFile(Map<String, byte[]> hashes) {
    this.hashes = hashes;
  }

  public static PasswordFile load(Path file) throws IOException {
    Map<String, byte[]> hashes = new HashMap<>();
    int lineNumber = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      int colon = trimmed.lastIndexOf(':');
      String hex = colon < 0 ? "" : trimmed.substring(colon + 1);
      if (colon <= 0 || hex.length() != 64) {
        throw new IOException(file + ":" + lineNumber + ": expected username:sha256hex");
      }
      try {
        hashes.put(trimmed.substring(0, colon), HexFormat.of().parseHex(hex));
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ":" + lineNumber + ": the hash is not hexadecimal", e);
      }
    }
    return new PasswordFile(hashes);
  }

  @Override
  public AuthResult authenticate(ConnectRequest request) {
    byte[] expected = request.username() == null ? null : hashes.get(request.username());
    Bytes password = request.password();
    if (expected == null || password == null) {
      return new AuthResult.Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    }
    // Constant-time comparison: the time taken must not tell how much of the hash matched.
    return MessageDigest.isEqual(expected, sha256(password.toArray()))
        ? AuthResult.ACCEPTED
        : new AuthResult.Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
