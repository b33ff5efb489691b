package dev.stratus.core.auth.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.core.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** RFC 7519 / RFC 8725 checks against a local JWKS server with keys generated here. */
class JwtVerifierTest {
  private static TestIssuer issuer;
  private final ManualClock clock = new ManualClock();
  private final long now = clock.instant().getEpochSecond();

  @BeforeAll
  static void start() throws Exception {
    issuer = new TestIssuer();
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  private JwtVerifier verifier() {
    return new JwtVerifier(
        JwtSettings.of(issuer.jwksUrl(), TestIssuer.ISSUER, List.of("stratus-app")), clock);
  }

  private JwtException refused(JwtVerifier v, String token) {
    return assertThrows(JwtException.class, () -> v.verify(token));
  }

  @Test
  @DisplayName("RS256 and ES256 tokens verify; user and roles come from Cognito's claims")
  void valid() throws Exception {
    JwtVerifier v = verifier();
    JwtVerifier.Principal p = v.verify(issuer.rs256("rsa-1", TestIssuer.claims("alice", now)));
    assertEquals("alice", p.username());
    assertEquals(Set.of("devices"), p.roles());
    assertEquals(
        "alice", v.verify(issuer.es256("ec-1", TestIssuer.claims("alice", now))).username());
  }

  @Test
  void expiredAndNotYetValid() throws Exception {
    JwtVerifier v = verifier();
    Map<String, Object> c = TestIssuer.claims("alice", now);
    c.put("exp", now - 61); // beyond the 60 s leeway
    assertTrue(refused(v, issuer.rs256("rsa-1", c)).getMessage().contains("expired"));
    c.put("exp", now - 30); // within the leeway
    v.verify(issuer.rs256("rsa-1", c));
    c.put("exp", now + 3600);
    c.put("nbf", now + 120);
    assertTrue(refused(v, issuer.rs256("rsa-1", c)).getMessage().contains("not valid before"));
    c.remove("exp");
    c.remove("nbf");
    assertTrue(refused(v, issuer.rs256("rsa-1", c)).getMessage().contains("no exp"));
  }

  @Test
  void forgedSignature() throws Exception {
    JwtVerifier v = verifier();
    String good = issuer.rs256("rsa-1", TestIssuer.claims("alice", now));
    // the payload of another user under alice's signature
    String[] parts = good.split("\\.");
    String forgedPayload =
        TestIssuer.b64(
            TestIssuer.json(TestIssuer.claims("root", now)).getBytes(StandardCharsets.UTF_8));
    assertTrue(
        refused(v, parts[0] + "." + forgedPayload + "." + parts[2])
            .getMessage()
            .contains("bad signature"));
    // signed by a key that is not the issuer's
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    String other =
        TestIssuer.sign(
            "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}",
            TestIssuer.claims("alice", now),
            g.generateKeyPair().getPrivate(),
            "SHA256withRSA");
    refused(v, other);
    // an ES256 header on the RSA key, and the reverse: the key decides the algorithm
    refused(
        v,
        TestIssuer.sign(
            "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}",
            TestIssuer.claims("alice", now),
            issuer.ec.getPrivate(),
            "SHA256withECDSAinP1363Format"));
  }

  @Test
  void algNoneAndHmac() throws Exception {
    JwtVerifier v = verifier();
    String payload =
        TestIssuer.b64(
            TestIssuer.json(TestIssuer.claims("root", now)).getBytes(StandardCharsets.UTF_8));
    String none =
        TestIssuer.b64("{\"alg\":\"none\",\"kid\":\"rsa-1\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + payload
            + ".";
    assertTrue(refused(v, none).getMessage().contains("algorithm not accepted"));
    String hs =
        TestIssuer.b64("{\"alg\":\"HS256\",\"kid\":\"hmac\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + payload
            + ".c2ln";
    assertTrue(refused(v, hs).getMessage().contains("algorithm not accepted"));
  }

  @Test
  void wrongAudienceAndIssuer() throws Exception {
    JwtVerifier v = verifier();
    Map<String, Object> c = TestIssuer.claims("alice", now);
    c.put("aud", "another-app");
    assertTrue(refused(v, issuer.rs256("rsa-1", c)).getMessage().contains("audience"));
    c.put("aud", List.of("another-app", "stratus-app"));
    v.verify(issuer.rs256("rsa-1", c));
    // a Cognito access token: no aud, the app client in client_id
    c.remove("aud");
    c.put("client_id", "stratus-app");
    v.verify(issuer.rs256("rsa-1", c));
    c.put("client_id", "another-app");
    refused(v, issuer.rs256("rsa-1", c));
    c = TestIssuer.claims("alice", now);
    c.put("iss", "https://evil.test/pool");
    assertTrue(refused(v, issuer.rs256("rsa-1", c)).getMessage().contains("issuer"));
  }

  @Test
  @DisplayName("an unknown kid refetches the JWKS once per interval: rotation works, floods do not")
  void unknownKid() throws Exception {
    try (TestIssuer own = new TestIssuer()) {
      JwtVerifier v =
          new JwtVerifier(
              JwtSettings.of(own.jwksUrl(), TestIssuer.ISSUER, List.of("stratus-app")), clock);
      v.verify(own.rs256("rsa-1", TestIssuer.claims("alice", now)));
      v.verify(own.rs256("rsa-1", TestIssuer.claims("bob", now)));
      assertEquals(1, own.fetches.get(), "keys are cached");
      own.publishAs("rsa-2", "ec-2");
      for (int i = 0; i < 5; i++) {
        assertTrue(
            refused(v, own.rs256("rsa-2", TestIssuer.claims("alice", now)))
                .getMessage()
                .contains("unknown key id"));
      }
      assertEquals(1, own.fetches.get(), "no refetch within the minimum interval");
      clock.advance(Duration.ofMinutes(1));
      v.verify(own.rs256("rsa-2", TestIssuer.claims("alice", now)));
      assertEquals(2, own.fetches.get(), "rotated keys fetched once");
      refused(v, own.rs256("made-up", TestIssuer.claims("alice", now)));
      assertEquals(2, own.fetches.get());
    }
  }

  @Test
  void malformedTokens() {
    JwtVerifier v = verifier();
    for (String t : List.of("", "abc", "eyJ.a", "eyJhbGciOiJSUzI1NiJ9.e30.sig.extra", "eyJ!.a.b")) {
      refused(v, t);
    }
    assertFalse(JwtVerifier.looksLikeJwt("secret-password"));
    // a header with duplicate members is refused (RFC 7519 §4)
    String dup =
        TestIssuer.b64(
                "{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"rsa-1\"}"
                    .getBytes(StandardCharsets.UTF_8))
            + ".e30.c2ln";
    assertTrue(refused(v, dup).getMessage().contains("duplicate"));
  }

  @Test
  void cognitoSettings() {
    JwtSettings s = JwtSettings.cognito("eu-west-1", "eu-west-1_AbC", List.of("client"));
    assertEquals("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC", s.issuer());
    assertEquals(
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/jwks.json",
        s.jwksUrl().toString());
    assertEquals("cognito:groups", s.rolesClaim());
    assertThrows(
        IllegalArgumentException.class,
        () -> JwtSettings.cognito("eu-west-1", "eu-west-1_AbC", List.of()));
  }
}
