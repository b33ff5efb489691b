package dev.stratus.core;

import static dev.stratus.codec.MqttVersion.V3_1_1;
import static dev.stratus.codec.MqttVersion.V5;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratus.codec.Bytes;
import dev.stratus.codec.ConnAck;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Properties;
import dev.stratus.codec.QoS;
import dev.stratus.codec.ReasonCode;
import dev.stratus.core.auth.Security;
import dev.stratus.core.auth.acl.AclFile;
import dev.stratus.core.auth.jwt.JwtSettings;
import dev.stratus.core.auth.jwt.TestIssuer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Bearer tokens through the engine: in the password field, and from the edge (API Gateway). */
class SecurityJwtTest {
  private static TestIssuer issuer;
  private final ManualClock clock = new ManualClock();
  private final long now = clock.instant().getEpochSecond();
  private Harness h;

  @BeforeAll
  static void start() throws Exception {
    issuer = new TestIssuer();
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  SecurityJwtTest() throws Exception {
    Security s =
        Security.builder(clock)
            .jwt(JwtSettings.of(issuer.jwksUrl(), TestIssuer.ISSUER, List.of("stratus-app")))
            .aclRules(AclFile.parse("acl", List.of("role devices", "allow all devices/%u/#")))
            .build();
    h = new Harness(BrokerConfig.defaults(), s.authenticator(), s.authorizer());
  }

  private ReasonCode connect(TestClient c, MqttVersion v, String user, String password) {
    c.connect(
        new Connect(
            v,
            "c-" + System.identityHashCode(c),
            true,
            0,
            user,
            password == null ? null : Bytes.utf8(password),
            null,
            Properties.NONE));
    return c.expect(ConnAck.class).reasonCode();
  }

  @Test
  @DisplayName("a JWT in the password field logs in as its user, with its groups as roles")
  void tokenInPassword() throws Exception {
    TestClient c = h.client(V5);
    String token = issuer.rs256("rsa-1", TestIssuer.claims("alice", now));
    // the user name field is not what identifies a token client
    assertEquals(ReasonCode.SUCCESS, connect(c, V5, "anything", token));
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_0),
        c.subscribe("devices/alice/#", QoS.AT_MOST_ONCE).reasonCodes());
    assertEquals(
        List.of(ReasonCode.NOT_AUTHORIZED),
        c.subscribe("devices/anything/#", QoS.AT_MOST_ONCE).reasonCodes());
  }

  @Test
  @DisplayName("expired, forged or wrong-audience tokens are refused 0x86, 3.1.1 code 4")
  void refusedTokens() throws Exception {
    Map<String, Object> expired = TestIssuer.claims("alice", now);
    expired.put("exp", now - 3600);
    Map<String, Object> wrongAud = TestIssuer.claims("alice", now);
    wrongAud.put("aud", "other");
    String good = issuer.es256("ec-1", TestIssuer.claims("alice", now));
    String forged =
        good.substring(0, good.length() - 4) + (good.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (String t :
        List.of(issuer.rs256("rsa-1", expired), issuer.rs256("rsa-1", wrongAud), forged)) {
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, connect(h.client(V5), V5, null, t));
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, connect(h.client(V3_1_1), V3_1_1, "u", t));
    }
  }

  @Test
  @DisplayName("a token the edge received with the connection (API Gateway ?token=) logs in")
  void tokenFromTheEdge() throws Exception {
    TestClient c = h.client(V5, null, issuer.rs256("rsa-1", TestIssuer.claims("bob", now)));
    assertEquals(ReasonCode.SUCCESS, connect(c, V5, null, null));
    assertEquals(
        List.of(ReasonCode.GRANTED_QOS_0),
        c.subscribe("devices/bob/x", QoS.AT_MOST_ONCE).reasonCodes());
    // and the stored record no longer holds it
    assertEquals(null, h.stores.connections().get(c.id).bearerToken());
    Map<String, Object> expired = TestIssuer.claims("bob", now);
    expired.put("exp", now - 3600);
    TestClient late = h.client(V5, null, issuer.rs256("rsa-1", expired));
    assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, connect(late, V5, null, null));
  }
}
