package dev.stratus.core.auth.jwt;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How bearer tokens are verified.
 *
 * @param jwksUrl where the signing keys are published (a JWKS document, RFC 7517)
 * @param issuer the exact {@code iss} every token must carry
 * @param audiences accepted audiences: a token's {@code aud} (a string or an array) or, for Amazon
 *     Cognito access tokens, which carry no {@code aud}, its {@code client_id}, must name one
 * @param userClaims the claims tried in order for the user name
 * @param rolesClaim the claim holding the roles, as an array of strings or one string
 * @param leeway the clock skew tolerated on {@code exp} and {@code nbf}
 * @param minRefreshInterval the least time between two JWKS fetches caused by unknown key ids
 */
public record JwtSettings(
    URI jwksUrl,
    String issuer,
    List<String> audiences,
    List<String> userClaims,
    String rolesClaim,
    Duration leeway,
    Duration minRefreshInterval) {
  public JwtSettings {
    Objects.requireNonNull(jwksUrl, "jwksUrl");
    Objects.requireNonNull(issuer, "issuer");
    audiences = List.copyOf(audiences);
    userClaims = List.copyOf(userClaims);
    Objects.requireNonNull(rolesClaim, "rolesClaim");
    Objects.requireNonNull(leeway, "leeway");
    Objects.requireNonNull(minRefreshInterval, "minRefreshInterval");
    if (audiences.isEmpty()) {
      // a token minted for another application of the same issuer must not open the broker
      throw new IllegalArgumentException("at least one accepted audience is required");
    }
    if (userClaims.isEmpty()) {
      throw new IllegalArgumentException("at least one user claim is required");
    }
  }

  /** The claims Stratus reads by default: Cognito's first, then the registered {@code sub}. */
  public static final List<String> DEFAULT_USER_CLAIMS =
      List.of("username", "cognito:username", "sub");

  public static final String DEFAULT_ROLES_CLAIM = "cognito:groups";

  /** A generic issuer: 60 s leeway, keys refetched at most once a minute on unknown ids. */
  public static JwtSettings of(URI jwksUrl, String issuer, List<String> audiences) {
    return new JwtSettings(
        jwksUrl,
        issuer,
        audiences,
        DEFAULT_USER_CLAIMS,
        DEFAULT_ROLES_CLAIM,
        Duration.ofSeconds(60),
        Duration.ofMinutes(1));
  }

  /**
   * An Amazon Cognito user pool: issuer {@code https://cognito-idp.<region>.amazonaws.com/<pool
   * id>}, keys at {@code <issuer>/.well-known/jwks.json}, roles from {@code cognito:groups}.
   *
   * @param appClientIds the app client ids whose tokens are accepted (ID tokens carry it in {@code
   *     aud}, access tokens in {@code client_id})
   */
  public static JwtSettings cognito(String region, String userPoolId, List<String> appClientIds) {
    String issuer = "https://cognito-idp." + region + ".amazonaws.com/" + userPoolId;
    return of(URI.create(issuer + "/.well-known/jwks.json"), issuer, appClientIds);
  }
}
