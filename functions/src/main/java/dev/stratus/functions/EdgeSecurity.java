package dev.stratus.functions;

import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.UserStore;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.acl.AclRule;
import dev.stratus.core.auth.acl.AclStore;
import dev.stratus.core.auth.jwt.JwtSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The API Gateway edge's authentication, ACLs and limits from the function's environment (the
 * template's parameters; docs/security.md, "Configure each edge"):
 *
 * <table>
 *   <caption>variables</caption>
 *   <tr><td>{@code STRATUS_ALLOW_ANONYMOUS}</td><td>{@code true} admits clients without
 *       credentials; unset or {@code false}: they are refused (0x87)</td></tr>
 *   <tr><td>{@code STRATUS_ACL}</td><td>ACL file text (newline-separated), or empty</td></tr>
 *   <tr><td>{@code STRATUS_ACL_TABLE}</td><td>{@code true}: rules from the acl table too, reread
 *       every 30 s per container</td></tr>
 *   <tr><td>{@code STRATUS_JWT_JWKS_URL}, {@code STRATUS_JWT_ISSUER}, {@code
 *       STRATUS_JWT_AUDIENCE}</td><td>JWT bearer tokens from an issuer (audiences comma-separated)
 *       </td></tr>
 *   <tr><td>{@code STRATUS_JWT_COGNITO}</td><td>{@code region/poolId}: a Cognito user pool, with
 *       {@code STRATUS_JWT_AUDIENCE} its app client ids</td></tr>
 *   <tr><td>{@code STRATUS_MAX_PUBLISH_RATE}</td><td>{@code N} or {@code N/BURST} publishes per
 *       second per connection; empty or 0 = off</td></tr>
 *   <tr><td>{@code STRATUS_MAX_CONNECTIONS_PER_USER}</td><td>empty or 0 = off</td></tr>
 * </table>
 *
 * Users always come from the users table. A bad value is an {@link IllegalArgumentException} naming
 * the variable: the container fails to start rather than run with a setting it ignored.
 */
final class EdgeSecurity {
  private EdgeSecurity() {}

  static final Duration ACL_REFRESH = Duration.ofSeconds(30);

  /**
   * Builds the container's {@link Security}: once per container, so that the login throttle's
   * counters, the JWKS key cache and the ACL table's cached rules live as long as it. The JWKS is
   * fetched on the first token, not here (nor during SnapStart priming); the acl table is read here
   * once (a missing table fails the start) and then at most every 30 s, so a restored snapshot
   * rereads it at its first check.
   */
  static Security fromEnvironment(
      Map<String, String> env, UserStore users, AclStore aclTable, InstantSource clock) {
    Security.Builder b =
        Security.builder(clock).users(users).allowAnonymous(flag(env, "STRATUS_ALLOW_ANONYMOUS"));
    String acl = value(env, "STRATUS_ACL");
    if (acl != null) {
      try {
        List<AclRule> rules = AclFile.parse("STRATUS_ACL", acl.lines().toList());
        b.aclRules(rules);
      } catch (AclFile.AclSyntaxException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
    if (flag(env, "STRATUS_ACL_TABLE")) {
      b.aclStore(aclTable, ACL_REFRESH);
    }
    JwtSettings jwt = jwt(env);
    if (jwt != null) {
      b.jwt(jwt);
    }
    return b.build();
  }

  /** {@code config} with the limits {@code STRATUS_MAX_PUBLISH_RATE} and friends set. */
  static BrokerConfig limits(Map<String, String> env, BrokerConfig config) {
    String rate = value(env, "STRATUS_MAX_PUBLISH_RATE");
    if (rate != null) {
      int slash = rate.indexOf('/');
      int perSecond =
          count("STRATUS_MAX_PUBLISH_RATE", slash < 0 ? rate : rate.substring(0, slash), 0);
      int burst =
          slash < 0
              ? config.publishBurst()
              : count("STRATUS_MAX_PUBLISH_RATE", rate.substring(slash + 1), 1);
      config = config.withMaxPublishRate(perSecond, burst);
    }
    String perUser = value(env, "STRATUS_MAX_CONNECTIONS_PER_USER");
    if (perUser != null) {
      config =
          config.withMaxConnectionsPerUser(count("STRATUS_MAX_CONNECTIONS_PER_USER", perUser, 0));
    }
    return config;
  }

  static JwtSettings jwt(Map<String, String> env) {
    String url = value(env, "STRATUS_JWT_JWKS_URL");
    String issuer = value(env, "STRATUS_JWT_ISSUER");
    String audience = value(env, "STRATUS_JWT_AUDIENCE");
    String cognito = value(env, "STRATUS_JWT_COGNITO");
    if (url == null && issuer == null && cognito == null) {
      if (audience != null) {
        throw new IllegalArgumentException(
            "STRATUS_JWT_AUDIENCE is set without STRATUS_JWT_JWKS_URL or STRATUS_JWT_COGNITO");
      }
      return null;
    }
    if (audience == null) {
      // a token minted for another application of the same issuer must not open the broker
      throw new IllegalArgumentException(
          "STRATUS_JWT_AUDIENCE (the accepted audience or Cognito app client ids) is required"
              + " with JWT");
    }
    List<String> audiences = List.of(audience.split(","));
    if (cognito != null) {
      if (url != null || issuer != null) {
        throw new IllegalArgumentException(
            "STRATUS_JWT_COGNITO sets the issuer and key URL itself: leave STRATUS_JWT_JWKS_URL"
                + " and STRATUS_JWT_ISSUER empty");
      }
      String[] parts = cognito.split("/", -1);
      if (parts.length != 2
          || !parts[0].matches("[a-z]{2}(-[a-z]+)+-[0-9]")
          || !parts[1].matches(Pattern.quote(parts[0]) + "_[0-9A-Za-z]+")) {
        throw new IllegalArgumentException(
            "STRATUS_JWT_COGNITO: expected region/poolId, e.g. eu-west-1/eu-west-1_AbCdEf123: "
                + cognito);
      }
      return JwtSettings.cognito(parts[0], parts[1], audiences);
    }
    if (url == null || issuer == null) {
      throw new IllegalArgumentException(
          "STRATUS_JWT_JWKS_URL and STRATUS_JWT_ISSUER go together (or set STRATUS_JWT_COGNITO)");
    }
    URI jwks;
    try {
      jwks = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("STRATUS_JWT_JWKS_URL: " + e.getMessage(), e);
    }
    if (!"https".equals(jwks.getScheme()) && !"http".equals(jwks.getScheme())
        || jwks.getHost() == null) {
      throw new IllegalArgumentException("STRATUS_JWT_JWKS_URL: expected an http(s) URL: " + url);
    }
    return JwtSettings.of(jwks, issuer, audiences);
  }

  /** The variable's value, null when unset or blank (an empty template parameter). */
  private static String value(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.strip();
  }

  private static boolean flag(Map<String, String> env, String name) {
    String v = value(env, name);
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw new IllegalArgumentException(name + ": expected true or false, not " + v);
  }

  private static int count(String name, String value, int min) {
    try {
      int n = Integer.parseInt(value.strip());
      if (n < min) {
        throw new IllegalArgumentException(name + ": must be at least " + min + ": " + value);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": not a number: " + value, e);
    }
  }
}
