package dev.stratus.core.auth;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ReasonCode;
import dev.stratus.core.auth.acl.AclAuthorizer;
import dev.stratus.core.auth.acl.AclRule;
import dev.stratus.core.auth.acl.AclStore;
import dev.stratus.core.auth.acl.Right;
import dev.stratus.core.auth.jwt.JwtException;
import dev.stratus.core.auth.jwt.JwtSettings;
import dev.stratus.core.auth.jwt.JwtVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Stratus's authentication and authorization, assembled from a configuration; an edge passes {@link
 * #authenticator()} and {@link #authorizer()} to the {@code Broker}. See docs/security.md.
 *
 * <pre>{@code
 * Security security = Security.builder(InstantSource.system())
 *     .users(new DynamoDbUserStore(dynamo, prefix))       // passwords, certificate users' roles
 *     .jwt(JwtSettings.cognito("eu-west-1", "eu-west-1_AbC", List.of("app-client-id")))
 *     .aclRules(AclFile.load(Path.of("acl.conf")))         // and/or .aclStore(store, refresh)
 *     .allowAnonymous(false)
 *     .build();
 * new Broker(config, stores, outbound, clock, security.authenticator(), security.authorizer());
 * }</pre>
 *
 * <p>A CONNECT is judged in this order, the first that applies deciding:
 *
 * <ol>
 *   <li>a verified client certificate ({@link ConnectRequest#certificateSubject()}): accepted as
 *       that user, whatever user name and password the CONNECT carries, with the roles the user
 *       store gives that name (none if the user is not in the store);
 *   <li>a bearer token from the edge ({@link ConnectRequest#bearerToken()}), or a password that is
 *       a JWT (three base64url parts starting {@code eyJ}) when JWT is configured: accepted as the
 *       token's user with its roles, or refused 0x86;
 *   <li>a user name and password: accepted if the user store holds that user with that password,
 *       else refused 0x86 Bad User Name or Password (3.1.1 return code 4);
 *   <li>neither: accepted anonymously when anonymous access is enabled, else refused 0x87 Not
 *       authorized (3.1.1 return code 5). A user name without a password is refused 0x86.
 * </ol>
 *
 * Failed password and token logins feed a {@link LoginThrottle}; a locked user or host is refused
 * 0x86 at once.
 *
 * <p>Without any ACL rule source, the ACL is {@code all: allow all #}: every admitted client may
 * publish, subscribe and receive everywhere except {@code $} topics (which {@code #} does not match
 * [MQTT-4.7.2-1]).
 */
public final class Security {

  /** Counters for a stats endpoint or {@code $SYS}. */
  public record Stats(
      long accepted,
      long refusedBadCredentials,
      long refusedNoCredentials,
      LoginThrottle.Stats throttle) {}

  private final UserStore users;
  private final JwtVerifier jwt;
  private final boolean allowAnonymous;
  private final LoginThrottle throttle;
  private final Authorizer authorizer;
  private final Authenticator authenticator =
      new Authenticator() {
        @Override
        public AuthResult authenticate(ConnectRequest request) {
          return Security.this.authenticate(request);
        }

        @Override
        public Map<String, Long> counters() {
          return Security.this.counters();
        }
      };
  private final LongAdder accepted = new LongAdder();
  private final LongAdder badCredentials = new LongAdder();
  private final LongAdder noCredentials = new LongAdder();
  private final String dummyHash;

  private Security(Builder b) {
    this.users = b.users;
    this.jwt = b.jwt == null ? null : new JwtVerifier(b.jwt, b.clock);
    this.allowAnonymous = b.allowAnonymous;
    this.throttle = b.throttle != null ? b.throttle : LoginThrottle.defaults(b.clock);
    List<AclRule> rules = new ArrayList<>(b.aclRules);
    if (rules.isEmpty() && b.aclStore == null) {
      rules.add(new AclRule(AclRule.Scope.ALL, "", true, EnumSet.allOf(Right.class), "#"));
    }
    this.authorizer =
        b.aclStore == null
            ? AclAuthorizer.of(rules)
            : AclAuthorizer.withStore(rules, b.aclStore, b.clock, b.aclRefresh);
    // an unknown user costs as much as a wrong password, so timing does not tell users apart
    this.dummyHash = PasswordHash.hash("stratus".getBytes(StandardCharsets.UTF_8), b.iterations);
  }

  public static Builder builder(InstantSource clock) {
    return new Builder(clock);
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  public Authorizer authorizer() {
    return authorizer;
  }

  public LoginThrottle throttle() {
    return throttle;
  }

  public Stats stats() {
    return new Stats(accepted.sum(), badCredentials.sum(), noCredentials.sum(), throttle.stats());
  }

  /**
   * {@link #stats()} as the engine publishes them under {@code $SYS/broker/security/}: {@code
   * logins/accepted}, {@code logins/bad credentials}, {@code logins/no credentials}, {@code
   * logins/failed} (failures the throttle counted), {@code logins/locked} (refused at once while
   * locked), {@code logins/tracked keys}. Counts of this process since it started.
   */
  public Map<String, Long> counters() {
    Stats s = stats();
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("logins/accepted", s.accepted());
    out.put("logins/bad credentials", s.refusedBadCredentials());
    out.put("logins/no credentials", s.refusedNoCredentials());
    out.put("logins/failed", s.throttle().failures());
    out.put("logins/locked", s.throttle().lockedRefusals());
    out.put("logins/tracked keys", (long) s.throttle().trackedKeys());
    return out;
  }

  private AuthResult authenticate(ConnectRequest r) {
    if (r.certificateSubject() != null) {
      User u = users == null ? null : users.get(r.certificateSubject());
      return accept(r.certificateSubject(), u == null ? Set.of() : u.roles());
    }
    String password = r.password() == null ? null : utf8(r.password());
    String token =
        r.bearerToken() != null
            ? r.bearerToken()
            : (jwt != null && JwtVerifier.looksLikeJwt(password) ? password : null);
    if (token != null) {
      if (throttle.isLocked(null, r.remoteAddress())) {
        return bad();
      }
      if (jwt == null) {
        return bad();
      }
      try {
        JwtVerifier.Principal p = jwt.verify(token);
        throttle.succeeded(null, r.remoteAddress());
        return accept(p.username(), p.roles());
      } catch (JwtException e) {
        System.getLogger(Security.class.getName())
            .log(System.Logger.Level.INFO, "token refused from {0}: {1}", r.remoteAddress(), e);
        throttle.failed(null, r.remoteAddress());
        return bad();
      }
    }
    if (r.username() != null) {
      if (r.password() == null) {
        badCredentials.increment();
        return new AuthResult.Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
      }
      if (throttle.isLocked(r.username(), r.remoteAddress())) {
        return bad();
      }
      User u = users == null ? null : users.get(r.username());
      byte[] pw = r.password().toArray();
      boolean ok;
      if (u != null && u.passwordHash() != null) {
        ok = PasswordHash.verify(pw, u.passwordHash());
      } else {
        PasswordHash.verify(pw, dummyHash); // spends the time a real check would, result unused
        ok = false;
      }
      if (!ok) {
        throttle.failed(r.username(), r.remoteAddress());
        return bad();
      }
      throttle.succeeded(r.username(), r.remoteAddress());
      return accept(u.name(), u.roles());
    }
    if (r.password() != null) {
      // a v5 password without a user name (3.1.1 forbids it [MQTT-3.1.2-22]) names nobody
      badCredentials.increment();
      return new AuthResult.Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
    }
    if (allowAnonymous) {
      accepted.increment();
      return AuthResult.ACCEPTED;
    }
    noCredentials.increment();
    return new AuthResult.Refused(ReasonCode.NOT_AUTHORIZED);
  }

  private AuthResult accept(String username, Set<String> roles) {
    accepted.increment();
    return AuthResult.accepted(username, roles);
  }

  private AuthResult bad() {
    badCredentials.increment();
    return new AuthResult.Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD);
  }

  private static String utf8(Bytes b) {
    return new String(b.toArray(), StandardCharsets.UTF_8);
  }

  /** The settings of a {@link Security}; everything but the clock is optional. */
  public static final class Builder {
    private final InstantSource clock;
    private UserStore users;
    private JwtSettings jwt;
    private boolean allowAnonymous;
    private LoginThrottle throttle;
    private final List<AclRule> aclRules = new ArrayList<>();
    private AclStore aclStore;
    private Duration aclRefresh = Duration.ofSeconds(30);
    private int iterations = PasswordHash.DEFAULT_ITERATIONS;

    private Builder(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Where password users (and the roles of certificate users) are looked up. */
    public Builder users(UserStore users) {
      this.users = users;
      return this;
    }

    /** Accepts JWT bearer tokens verified with these settings. */
    public Builder jwt(JwtSettings settings) {
      this.jwt = settings;
      return this;
    }

    /** Admits clients without credentials; off unless set (docs/security.md, "Anonymous"). */
    public Builder allowAnonymous(boolean allow) {
      this.allowAnonymous = allow;
      return this;
    }

    public Builder throttle(LoginThrottle throttle) {
      this.throttle = throttle;
      return this;
    }

    /** Fixed ACL rules, e.g. from {@code AclFile.load(path)}. */
    public Builder aclRules(List<AclRule> rules) {
      this.aclRules.addAll(rules);
      return this;
    }

    /** ACL rules from a store, reread every {@code refresh} (30 s when not given). */
    public Builder aclStore(AclStore store, Duration refresh) {
      this.aclStore = store;
      this.aclRefresh = refresh;
      return this;
    }

    /** The cost of the decoy hash checked for unknown users: match the stored hashes' count. */
    public Builder passwordIterations(int iterations) {
      this.iterations = iterations;
      return this;
    }

    public Security build() {
      return new Security(this);
    }
  }
}
