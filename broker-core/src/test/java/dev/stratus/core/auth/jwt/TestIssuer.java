package dev.stratus.core.auth.jwt;

import com.sun.net.httpserver.HttpServer;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token issuer for tests: RSA and EC keys generated here, a JWKS document served by a local HTTP
 * server on 127.0.0.1 (port 0), and tokens signed with either key. Counts JWKS fetches.
 */
public final class TestIssuer implements AutoCloseable {
  public static final String ISSUER = "https://issuer.test/pool";
  public final KeyPair rsa;
  public final KeyPair ec;
  public final AtomicInteger fetches = new AtomicInteger();
  private final HttpServer server;
  private volatile String jwks;

  public TestIssuer() throws Exception {
    KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
    r.initialize(2048);
    rsa = r.generateKeyPair();
    KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
    e.initialize(new ECGenParameterSpec("secp256r1"));
    ec = e.generateKeyPair();
    jwks = jwks("rsa-1", "ec-1");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/.well-known/jwks.json",
        x -> {
          fetches.incrementAndGet();
          byte[] body = jwks.getBytes(StandardCharsets.UTF_8);
          x.getResponseHeaders().add("Content-Type", "application/json");
          x.sendResponseHeaders(200, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    server.start();
  }

  public URI jwksUrl() {
    return URI.create(
        "http://127.0.0.1:" + server.getAddress().getPort() + "/.well-known/jwks.json");
  }

  /** Publishes the keys under these ids from now on (a key rotation). */
  public void publishAs(String rsaKid, String ecKid) {
    jwks = jwks(rsaKid, ecKid);
  }

  private String jwks(String rsaKid, String ecKid) {
    RSAPublicKey rp = (RSAPublicKey) rsa.getPublic();
    ECPublicKey ep = (ECPublicKey) ec.getPublic();
    return """
        {"keys":[
          {"kty":"RSA","kid":"%s","use":"sig","alg":"RS256","n":"%s","e":"%s"},
          {"kty":"EC","kid":"%s","use":"sig","crv":"P-256","x":"%s","y":"%s"},
          {"kty":"oct","kid":"hmac","k":"c2VjcmV0"}
        ]}"""
        .formatted(
            rsaKid,
            b64(unsigned(rp.getModulus())),
            b64(unsigned(rp.getPublicExponent())),
            ecKid,
            b64(fixed(ep.getW().getAffineX())),
            b64(fixed(ep.getW().getAffineY())));
  }

  /** Claims for a valid token of {@code user}, expiring in an hour from {@code nowSeconds}. */
  public static Map<String, Object> claims(String user, long nowSeconds) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", ISSUER);
    c.put("aud", "stratus-app");
    c.put("cognito:username", user);
    c.put("cognito:groups", java.util.List.of("devices"));
    c.put("iat", nowSeconds);
    c.put("exp", nowSeconds + 3600);
    return c;
  }

  public String rs256(String kid, Map<String, Object> claims) throws GeneralSecurityException {
    return sign(
        "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}",
        claims,
        rsa.getPrivate(),
        "SHA256withRSA");
  }

  public String es256(String kid, Map<String, Object> claims) throws GeneralSecurityException {
    return sign(
        "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\"}",
        claims,
        ec.getPrivate(),
        "SHA256withECDSAinP1363Format");
  }

  public static String sign(String header, Map<String, Object> claims, PrivateKey key, String alg)
      throws GeneralSecurityException {
    String input =
        b64(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64(json(claims).getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance(alg);
    s.initSign(key);
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b64(s.sign());
  }

  /** Just enough JSON writing for claims: strings, numbers, lists of strings. */
  public static String json(Map<String, Object> claims) {
    StringBuilder b = new StringBuilder("{");
    claims.forEach(
        (k, v) -> {
          if (b.length() > 1) {
            b.append(',');
          }
          b.append('"').append(k).append("\":").append(value(v));
        });
    return b.append('}').toString();
  }

  private static String value(Object v) {
    if (v instanceof String s) {
      return "\"" + s + "\"";
    }
    if (v instanceof java.util.List<?> l) {
      StringBuilder b = new StringBuilder("[");
      for (Object o : l) {
        b.append(b.length() > 1 ? "," : "").append(value(o));
      }
      return b.append(']').toString();
    }
    return String.valueOf(v);
  }

  public static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] unsigned(BigInteger i) {
    byte[] b = i.toByteArray();
    return b[0] == 0 && b.length > 1 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static byte[] fixed(BigInteger i) {
    byte[] b = unsigned(i);
    byte[] out = new byte[32];
    System.arraycopy(b, 0, out, 32 - b.length, b.length);
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
