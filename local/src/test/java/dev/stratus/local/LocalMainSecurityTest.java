package dev.stratus.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The security options of {@code ./stratus local}: parsed, checked before anything starts. */
class LocalMainSecurityTest {
  @TempDir Path tmp;

  @Test
  void anonymousIsOnByDefaultAndTheFlagTurnsItOff() throws Exception {
    assertTrue(LocalMain.parse().security().allowAnonymous());
    assertNull(LocalMain.parse().security().aclText());
    assertFalse(LocalMain.parse("--allow-anonymous", "false").security().allowAnonymous());
    var e =
        assertThrows(
            LocalMain.UsageException.class, () -> LocalMain.parse("--allow-anonymous", "no"));
    assertEquals("--allow-anonymous: true or false, not 'no'", e.getMessage());
    e =
        assertThrows(
            LocalMain.UsageException.class,
            () -> LocalMain.parse("--allow-anonymous", "false", "--store", "memory"));
    assertTrue(e.getMessage().contains("needs --store dynamodb"), e.getMessage());
  }

  @Test
  void anAclFileIsReadAndABadLineStopsTheStartWithTheParsersMessage() throws Exception {
    Path good = tmp.resolve("good.acl");
    Files.writeString(good, "user alice\n  allow all a/#\n");
    var sec = LocalMain.parse("--acl-file", good.toString()).security();
    assertEquals("user alice\n  allow all a/#\n", sec.aclText());
    Path bad = tmp.resolve("bad.acl");
    Files.writeString(bad, "user alice\n  allow read a/#\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        LocalMain.start(
            new String[] {"--acl-file", bad.toString()},
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err));
    assertEquals(2, status);
    assertTrue(
        err.toString()
            .startsWith(
                "stratus local: --acl-file: "
                    + bad
                    + ":2: unknown right 'read' (publish, subscribe, receive, all)"),
        err.toString());
  }
}
