package dev.stratus.core.auth.jwt;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The signing keys of a JWKS URL, fetched on first use and cached. A token naming a key id that is
 * not cached triggers one refetch (the issuer rotated its keys), but no more often than {@code
 * minRefreshInterval}, so that tokens with made-up key ids cannot make the broker hammer the
 * issuer. Only RSA keys (for RS256) and P-256 EC keys (for ES256) with {@code use} absent or {@code
 * sig} are kept; other keys are ignored.
 */
public final class JwksKeys {
  /** A verification key and the JWS algorithm it is for. */
  public record Key(String alg, PublicKey key) {}

  private final URI url;
  private final InstantSource clock;
  private final Duration minRefreshInterval;
  private final HttpClient http;
  private volatile Map<String, Key> keys = Map.of();
  private Instant lastFetch = Instant.MIN;

  public JwksKeys(URI url, InstantSource clock, Duration minRefreshInterval) {
    this.url = url;
    this.clock = clock;
    this.minRefreshInterval = minRefreshInterval;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** The key with this id, fetching the JWKS if it is unknown and a fetch is allowed; or null. */
  public Key get(String kid) throws JwtException {
    Key k = keys.get(kid);
    if (k != null) {
      return k;
    }
    synchronized (this) {
      k = keys.get(kid);
      if (k != null) {
        return k;
      }
      Instant now = clock.instant();
      if (lastFetch != Instant.MIN && now.isBefore(lastFetch.plus(minRefreshInterval))) {
        return null;
      }
      lastFetch = now;
      keys = fetch();
      return keys.get(kid);
    }
  }

  private Map<String, Key> fetch() throws JwtException {
    String body;
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new JwtException("JWKS " + url + " answered HTTP " + r.statusCode());
      }
      body = r.body();
    } catch (IOException e) {
      throw new JwtException("JWKS " + url + " unreachable: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JwtException("interrupted fetching JWKS");
    }
    try {
      return parse(body);
    } catch (RuntimeException e) {
      throw new JwtException("JWKS " + url + " is invalid: " + e.getMessage());
    }
  }

  /** The usable keys of a JWKS document, by key id. */
  static Map<String, Key> parse(String jwks) {
    Object keys = Json.parseObject(jwks).get("keys");
    if (!(keys instanceof List<?> list)) {
      throw new IllegalArgumentException("no \"keys\" array");
    }
    Map<String, Key> out = new HashMap<>();
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> jwk)
          || !(jwk.get("kid") instanceof String kid)
          || !(jwk.get("kty") instanceof String kty)) {
        continue;
      }
      Object use = jwk.get("use");
      if (use != null && !"sig".equals(use)) {
        continue;
      }
      try {
        if (kty.equals("RSA") && (jwk.get("alg") == null || "RS256".equals(jwk.get("alg")))) {
          out.put(
              kid,
              new Key(
                  "RS256",
                  KeyFactory.getInstance("RSA")
                      .generatePublic(
                          new RSAPublicKeySpec(unsigned(jwk.get("n")), unsigned(jwk.get("e"))))));
        } else if (kty.equals("EC")
            && "P-256".equals(jwk.get("crv"))
            && (jwk.get("alg") == null || "ES256".equals(jwk.get("alg")))) {
          AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
          p.init(new ECGenParameterSpec("secp256r1"));
          ECParameterSpec spec = p.getParameterSpec(ECParameterSpec.class);
          out.put(
              kid,
              new Key(
                  "ES256",
                  KeyFactory.getInstance("EC")
                      .generatePublic(
                          new ECPublicKeySpec(
                              new ECPoint(unsigned(jwk.get("x")), unsigned(jwk.get("y"))), spec))));
        }
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        // a malformed or off-curve key is skipped; tokens naming it fail as unknown
      }
    }
    return Map.copyOf(out);
  }

  private static BigInteger unsigned(Object base64url) {
    if (!(base64url instanceof String s)) {
      throw new IllegalArgumentException("missing key parameter");
    }
    return new BigInteger(1, Base64.getUrlDecoder().decode(s));
  }
}
