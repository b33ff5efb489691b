package dev.stratus.core.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Slow salted password hashes: PBKDF2 with HMAC-SHA-512 from the JDK, in a self-describing text
 * form that can be stored anywhere:
 *
 * <pre>pbkdf2-sha512$210000$&lt;salt, base64&gt;$&lt;hash, base64&gt;</pre>
 *
 * <p>210,000 iterations is OWASP's recommendation for PBKDF2-HMAC-SHA512 (Password Storage Cheat
 * Sheet); the count is in each hash, so raising the default later leaves old hashes verifiable.
 * Salts are 16 random bytes, hashes 64 bytes. Comparison is constant time ({@link
 * MessageDigest#isEqual}). A stored iteration count above {@link #MAX_ITERATIONS} is refused, so
 * that a tampered store cannot make one login burn a CPU for minutes.
 */
public final class PasswordHash {
  public static final String ALGORITHM = "pbkdf2-sha512";
  public static final int DEFAULT_ITERATIONS = 210_000;
  public static final int MIN_ITERATIONS = 1_000;
  public static final int MAX_ITERATIONS = 10_000_000;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  private PasswordHash() {}

  /** The hash of a password with a new random salt and the default iterations. */
  public static String hash(byte[] password) {
    return hash(password, DEFAULT_ITERATIONS);
  }

  public static String hash(byte[] password, int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "iterations must be " + MIN_ITERATIONS + ".." + MAX_ITERATIONS);
    }
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return ALGORITHM
        + "$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(derive(password, salt, iterations, HASH_BYTES));
  }

  /**
   * Whether the password matches the encoded hash.
   *
   * @throws IllegalArgumentException when {@code encoded} is not a hash of this format
   */
  public static boolean verify(byte[] password, String encoded) {
    Parsed p = parse(encoded);
    return MessageDigest.isEqual(p.hash, derive(password, p.salt, p.iterations, p.hash.length));
  }

  /** Whether a string is a hash of this format (so that stores refuse plain text). */
  public static boolean isHash(String encoded) {
    try {
      parse(encoded);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private record Parsed(int iterations, byte[] salt, byte[] hash) {}

  private static Parsed parse(String encoded) {
    String[] parts = encoded.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(ALGORITHM)) {
      throw new IllegalArgumentException("not a " + ALGORITHM + " hash");
    }
    Parsed p;
    try {
      p =
          new Parsed(
              Integer.parseInt(parts[1]),
              Base64.getDecoder().decode(parts[2]),
              Base64.getDecoder().decode(parts[3]));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed " + ALGORITHM + " hash", e);
    }
    if (p.iterations < MIN_ITERATIONS
        || p.iterations > MAX_ITERATIONS
        || p.salt.length < 8
        || p.hash.length < 16) {
      throw new IllegalArgumentException("implausible " + ALGORITHM + " hash parameters");
    }
    return p;
  }

  private static byte[] derive(byte[] password, byte[] salt, int iterations, int length) {
    // PBEKeySpec takes chars while MQTT passwords are binary data: each byte becomes one char
    // (ISO-8859-1), a one-to-one mapping, so distinct byte strings never share a hash
    char[] chars = toChars(password);
    PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, length * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has PBKDF2WithHmacSHA512", e);
    } finally {
      spec.clearPassword();
      Arrays.fill(chars, '\0');
    }
  }

  private static char[] toChars(byte[] password) {
    CharBuffer cb = StandardCharsets.ISO_8859_1.decode(ByteBuffer.wrap(password));
    char[] chars = new char[cb.remaining()];
    cb.get(chars);
    return chars;
  }
}
