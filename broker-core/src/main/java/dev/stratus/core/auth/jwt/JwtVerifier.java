package dev.stratus.core.auth.jwt;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies JWS compact-serialized JWTs (RFC 7519) signed with RS256 or ES256 by a key of a JWKS
 * URL. The rules, each a refusal when broken:
 *
 * <ul>
 *   <li>three base64url parts; header and payload are JSON objects (strict: see {@link Json});
 *   <li>{@code alg} is RS256 or ES256 and equals the algorithm of the key named by {@code kid}: the
 *       header never chooses a weaker algorithm ({@code none}, {@code HS256} with the public key as
 *       secret: RFC 8725 §2.1, §3.1);
 *   <li>the signature verifies (ES256 signatures are the raw 64-byte R‖S, RFC 7518 §3.4);
 *   <li>{@code exp} is present and not passed, {@code nbf} if present has come, both with the
 *       configured leeway;
 *   <li>{@code iss} equals the configured issuer; {@code aud} (or Cognito's {@code client_id})
 *       names an accepted audience;
 *   <li>a user claim is a non-empty string.
 * </ul>
 */
public final class JwtVerifier {

  /** A verified token's principal. */
  public record Principal(String username, Set<String> roles, Instant expiresAt) {}

  private final JwtSettings settings;
  private final JwksKeys keys;
  private final InstantSource clock;

  public JwtVerifier(JwtSettings settings, InstantSource clock) {
    this(settings, new JwksKeys(settings.jwksUrl(), clock, settings.minRefreshInterval()), clock);
  }

  public JwtVerifier(JwtSettings settings, JwksKeys keys, InstantSource clock) {
    this.settings = settings;
    this.keys = keys;
    this.clock = clock;
  }

  /** Whether a password looks like a JWS compact token (three base64url parts, a JSON header). */
  public static boolean looksLikeJwt(String s) {
    if (s == null || !s.startsWith("eyJ") || s.length() > 16_384) {
      return false;
    }
    int dots = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '.') {
        dots++;
      } else if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_') {
        return false;
      }
    }
    return dots == 2;
  }

  public Principal verify(String token) throws JwtException {
    if (!looksLikeJwt(token)) {
      throw new JwtException("not a JWS compact token");
    }
    int d1 = token.indexOf('.');
    int d2 = token.indexOf('.', d1 + 1);
    Map<String, Object> header = jsonPart(token.substring(0, d1), "header");
    Map<String, Object> claims = jsonPart(token.substring(d1 + 1, d2), "payload");
    byte[] signature = base64url(token.substring(d2 + 1), "signature");

    if (!(header.get("alg") instanceof String alg)
        || !(alg.equals("RS256") || alg.equals("ES256"))) {
      throw new JwtException("algorithm not accepted: " + header.get("alg"));
    }
    if (header.containsKey("crit")) {
      throw new JwtException("critical header parameters are not supported"); // RFC 7515 §4.1.11
    }
    if (!(header.get("kid") instanceof String kid)) {
      throw new JwtException("no key id");
    }
    JwksKeys.Key key = keys.get(kid);
    if (key == null) {
      throw new JwtException("unknown key id " + kid);
    }
    if (!key.alg().equals(alg)) {
      throw new JwtException("key " + kid + " is for " + key.alg() + ", token says " + alg);
    }
    try {
      Signature v =
          Signature.getInstance(
              alg.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSAinP1363Format");
      v.initVerify(key.key());
      v.update(token.substring(0, d2).getBytes(StandardCharsets.US_ASCII));
      if (!v.verify(signature)) {
        throw new JwtException("bad signature");
      }
    } catch (GeneralSecurityException e) {
      throw new JwtException("bad signature: " + e.getMessage());
    }

    Instant now = clock.instant();
    Instant exp = numericDate(claims, "exp");
    if (exp == null) {
      throw new JwtException("no exp claim");
    }
    if (!now.isBefore(exp.plus(settings.leeway()))) {
      throw new JwtException("expired at " + exp);
    }
    Instant nbf = numericDate(claims, "nbf");
    if (nbf != null && now.plus(settings.leeway()).isBefore(nbf)) {
      throw new JwtException("not valid before " + nbf);
    }
    if (!settings.issuer().equals(claims.get("iss"))) {
      throw new JwtException("wrong issuer " + claims.get("iss"));
    }
    if (!audienceAccepted(claims)) {
      throw new JwtException("wrong audience " + claims.get("aud"));
    }
    String user = null;
    for (String c : settings.userClaims()) {
      if (claims.get(c) instanceof String s && !s.isEmpty()) {
        user = s;
        break;
      }
    }
    if (user == null) {
      throw new JwtException("no user claim among " + settings.userClaims());
    }
    return new Principal(user, roles(claims.get(settings.rolesClaim())), exp);
  }

  private boolean audienceAccepted(Map<String, Object> claims) {
    Object aud = claims.get("aud");
    List<Object> named = new ArrayList<>();
    if (aud instanceof String s) {
      named.add(s);
    } else if (aud instanceof List<?> l) {
      named.addAll(l);
    } else if (aud == null && claims.get("client_id") instanceof String clientId) {
      // Cognito access tokens carry the app client in client_id, not aud
      named.add(clientId);
    }
    for (Object a : named) {
      if (a instanceof String s && settings.audiences().contains(s)) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> roles(Object claim) {
    if (claim instanceof String s) {
      return Set.of(s);
    }
    if (claim instanceof List<?> l) {
      List<String> out = new ArrayList<>();
      for (Object o : l) {
        if (o instanceof String s && !out.contains(s)) {
          out.add(s);
        }
      }
      return Set.copyOf(out);
    }
    return Set.of();
  }

  private static Instant numericDate(Map<String, Object> claims, String name) throws JwtException {
    Object v = claims.get(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof BigDecimal n)
        || n.signum() < 0
        || n.compareTo(BigDecimal.valueOf(253_402_300_799L)) > 0) {
      throw new JwtException(name + " is not a NumericDate");
    }
    return Instant.ofEpochSecond(n.longValue());
  }

  private static Map<String, Object> jsonPart(String part, String what) throws JwtException {
    try {
      return Json.parseObject(new String(base64url(part, what), StandardCharsets.UTF_8));
    } catch (Json.JsonException e) {
      throw new JwtException(what + " is not a JSON object: " + e.getMessage());
    }
  }

  private static byte[] base64url(String part, String what) throws JwtException {
    try {
      return Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw new JwtException(what + " is not base64url");
    }
  }
}
