package dev.stratus.core.auth.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AclFileTest {
  private static final String EXAMPLE =
      """
      # sensors write their own readings; dashboards read them all
      role sensors
        allow publish,receive sensors/%u/#
        deny publish sensors/%u/config
      role dashboards
        allow subscribe,receive sensors/#
      user alice
        allow all alice/#
      all
        allow subscribe,receive announcements
      anonymous
        allow receive,subscribe public/#
      """;

  @Test
  void parsesTheDocumentedExample() throws Exception {
    List<AclRule> rules = AclFile.parse("acl.conf", EXAMPLE.lines().toList());
    assertEquals(6, rules.size());
    assertEquals(
        new AclRule(
            AclRule.Scope.ROLE,
            "sensors",
            true,
            EnumSet.of(Right.PUBLISH, Right.RECEIVE),
            "sensors/%u/#"),
        rules.getFirst());
    assertEquals(EnumSet.allOf(Right.class), rules.get(3).rights());
    // formatting and parsing again gives the same rules
    assertEquals(
        Set.copyOf(rules),
        Set.copyOf(AclFile.parse("again", AclFile.format(rules).lines().toList())));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "allow publish a/#|acl.conf:1: a rule before any 'user', 'role', 'all' or 'anonymous' line",
        "user|acl.conf:1: expected 'user NAME'",
        "user a b|acl.conf:1: expected 'user NAME'",
        "all x|acl.conf:1: 'all' takes no name",
        "permit publish a|acl.conf:1: unknown keyword 'permit' (user, role, all, anonymous, allow, deny)",
      })
  void errorsNameTheLine(String line, String message) {
    AclFile.AclSyntaxException e =
        assertThrows(
            AclFile.AclSyntaxException.class, () -> AclFile.parse("acl.conf", List.of(line)));
    assertEquals(message, e.getMessage());
  }

  @Test
  void errorsDeeperInTheFile() {
    List<String> lines = List.of("# rules", "user bob", "  allow read a/#", "");
    AclFile.AclSyntaxException e =
        assertThrows(AclFile.AclSyntaxException.class, () -> AclFile.parse("f", lines));
    assertEquals("f:3: unknown right 'read' (publish, subscribe, receive, all)", e.getMessage());
    assertEquals(3, e.line());
    for (String bad : List.of("a/#/b", "a/b+", "a/%x", "a/%u%c", "a b")) {
      List<String> l = List.of("all", "allow publish " + bad);
      AclFile.AclSyntaxException x =
          assertThrows(AclFile.AclSyntaxException.class, () -> AclFile.parse("f", l), bad);
      assertTrue(x.getMessage().startsWith("f:2: "), x.getMessage());
    }
    assertThrows(
        AclFile.AclSyntaxException.class,
        () -> AclFile.parse("f", List.of("all", "allow publish")));
  }

  @Test
  void decisions() throws Exception {
    Acl acl = new Acl(AclFile.parse("acl.conf", EXAMPLE.lines().toList()));
    Set<String> sensors = Set.of("sensors");
    assertTrue(acl.allows(Right.PUBLISH, "c1", "s1", sensors, "sensors/s1/temp"));
    assertFalse(acl.allows(Right.PUBLISH, "c1", "s1", sensors, "sensors/s1/config"));
    assertFalse(acl.allows(Right.PUBLISH, "c1", "s1", sensors, "sensors/s2/temp"));
    assertFalse(acl.allows(Right.SUBSCRIBE, "c1", "s1", sensors, "sensors/s1/#"));
    assertTrue(acl.allows(Right.SUBSCRIBE, "c2", "d", Set.of("dashboards"), "sensors/+/temp"));
    assertTrue(acl.allows(Right.SUBSCRIBE, "c3", "x", Set.of(), "announcements"));
    assertTrue(acl.allows(Right.SUBSCRIBE, "c4", null, Set.of(), "public/a/#"));
    assertFalse(acl.allows(Right.SUBSCRIBE, "c4", "bob", Set.of(), "public/a/#"));
    // %u is never substituted for a missing or unsafe name
    assertFalse(acl.allows(Right.PUBLISH, "c5", null, sensors, "sensors//temp"));
    assertFalse(acl.allows(Right.RECEIVE, "c5", "$SYS", sensors, "$SYS/x"));
    assertFalse(acl.allows(Right.RECEIVE, "c5", "a/b", sensors, "sensors/a/b/x"));
    assertTrue(acl.allows(Right.PUBLISH, "c6", "alice", Set.of(), "alice/x"));
    assertFalse(Acl.EMPTY.allows(Right.RECEIVE, "c", "u", Set.of(), "x"));
  }
}
