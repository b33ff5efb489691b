package dev.stratus.core.auth.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The three relations of {@link TopicPatterns}, from tables. */
class TopicPatternsTest {

  @ParameterizedTest(name = "matches({0}, {1}) = {2}")
  @CsvSource({
    "a/b, a/b, true",
    "a/b, a/c, false",
    "a/+, a/b, true",
    "a/+, a, false",
    "a/+, a/b/c, false",
    "a/#, a, true", // [MQTT-4.7.1-2] # matches the parent level
    "a/#, a/b/c, true",
    "#, a/b, true",
    "#, $SYS/x, false", // [MQTT-4.7.2-1]
    "+/x, $SYS/x, false",
    "$SYS/#, $SYS/broker/uptime, true",
    "a//b, a//b, true",
    "+/+, /x, true"
  })
  void matches(String pattern, String topic, boolean expected) {
    assertEquals(expected, TopicPatterns.matches(pattern, topic));
  }

  @ParameterizedTest(name = "covers({0}, {1}) = {2}")
  @CsvSource({
    "a/alice/#, a/alice/#, true",
    "a/alice/#, a/alice/x/+, true",
    "a/alice/#, a/alice, true",
    "a/alice/#, +/#, false",
    "a/alice/#, #, false",
    "a/alice/#, a/+/#, false",
    "a/alice/#, a/+, false",
    "a/+/x, a/+/x, true",
    "a/+/x, a/b/x, true",
    "a/+/x, a/#, false",
    "a/+, a, false",
    "#, #, true",
    "#, +/x, true",
    "#, $SYS/#, false",
    "$SYS/#, $SYS/broker/+, true",
    "+/#, $SYS/x, false"
  })
  void covers(String pattern, String filter, boolean expected) {
    assertEquals(expected, TopicPatterns.covers(pattern, filter));
  }

  @ParameterizedTest(name = "overlaps({0}, {1}) = {2}")
  @CsvSource({
    "secret/#, #, true",
    "secret/#, +/x, true",
    "secret/#, secret, true",
    "secret/#, public/#, false",
    "secret/x, +/y, false",
    "a/+/c, a/b/+, true",
    "a/b, a/b/c, false",
    "$SYS/#, #, false",
    "$SYS/#, $SYS/+, true",
    "#, $SYS/x, false"
  })
  void overlaps(String pattern, String filter, boolean expected) {
    assertEquals(expected, TopicPatterns.overlaps(pattern, filter));
  }
}
