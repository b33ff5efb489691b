package dev.stratus.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void verifiesAndIsSalted() {
    String h1 = PasswordHash.hash(b("correct horse"), 1_000);
    String h2 = PasswordHash.hash(b("correct horse"), 1_000);
    assertNotEquals(h1, h2, "a random salt per hash");
    assertTrue(PasswordHash.verify(b("correct horse"), h1));
    assertTrue(PasswordHash.verify(b("correct horse"), h2));
    assertFalse(PasswordHash.verify(b("correct horsf"), h1));
    assertFalse(PasswordHash.verify(b(""), h1));
    String[] parts = h1.split("\\$");
    assertEquals("pbkdf2-sha512", parts[0]);
    assertEquals("1000", parts[1]);
  }

  @Test
  void defaultIsSlow() {
    assertTrue(PasswordHash.hash(b("x")).startsWith("pbkdf2-sha512$210000$"));
  }

  @Test
  void binaryPasswordsAreDistinct() {
    // MQTT passwords are binary data: bytes that are not UTF-8 still hash distinctly
    String h = PasswordHash.hash(new byte[] {(byte) 0xff, 0}, 1_000);
    assertTrue(PasswordHash.verify(new byte[] {(byte) 0xff, 0}, h));
    assertFalse(PasswordHash.verify(new byte[] {(byte) 0xfe, 0}, h));
  }

  @Test
  void refusesMalformedOrImplausibleHashes() {
    assertFalse(PasswordHash.isHash("secret"));
    assertFalse(PasswordHash.isHash("pbkdf2-sha512$100$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"));
    assertFalse(PasswordHash.isHash("pbkdf2-sha512$99999999$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"));
    assertFalse(PasswordHash.isHash("md5$1000$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"));
    assertThrows(IllegalArgumentException.class, () -> PasswordHash.verify(b("x"), "x$y"));
    assertThrows(IllegalArgumentException.class, () -> PasswordHash.hash(b("x"), 10));
    assertThrows(
        IllegalArgumentException.class, () -> new User("u", "plain-text", java.util.Set.of()));
  }
}
