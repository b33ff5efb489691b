package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicFilterTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # filter               | share group | matching filter
          $share/g/a/b           | g           | a/b
          $share/group-1/#       | group-1     | #
          $share/g/+/x           | g           | +/x
          $share/g//             | g           | /
          $share/g/$SYS/#        | g           | $SYS/#
          """)
  void parsesSharedSubscriptions(String value, String group, String filter) {
    TopicFilter f = TopicFilter.of(value);
    assertTrue(f.isShared());
    assertEquals(group, f.shareGroup());
    assertEquals(filter, f.filter());
    assertEquals(value, f.value());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"a/b", "#", "+", "/", "a//b", "$SYS/#", "$share", "$shared/g/a", "sport/+/x"})
  void plainFiltersAreNotShared(String value) {
    TopicFilter f = TopicFilter.of(value);
    assertFalse(f.isShared());
    assertNull(f.shareGroup());
    assertEquals(value, f.filter());
  }

  @Test
  void knowsWhetherItHasWildcards() {
    assertTrue(TopicFilter.of("a/+").hasWildcard());
    assertTrue(TopicFilter.of("$share/g/#").hasWildcard());
    assertFalse(TopicFilter.of("a/b").hasWildcard());
    assertFalse(TopicFilter.of("$share/g/a").hasWildcard());
  }

  @ParameterizedTest(name = "''{0}'' breaks {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          # filter         | rule
          ""               | [MQTT-4.7.3-1]
          a/#/b            | [MQTT-4.7.1-1]
          a#               | [MQTT-4.7.1-1]
          #/               | [MQTT-4.7.1-1]
          a+               | [MQTT-4.7.1-2]
          +a               | [MQTT-4.7.1-2]
          a/+b/c           | [MQTT-4.7.1-2]
          $share/g         | [MQTT-4.8.2-1]
          $share//a        | [MQTT-4.8.2-1]
          $share/g/        | [MQTT-4.8.2-1]
          $share/g+/a      | [MQTT-4.8.2-2]
          $share/#/a       | [MQTT-4.8.2-2]
          $share/g/a#      | [MQTT-4.7.1-1]
          """)
  void refusesInvalidFilters(String value, String rule) {
    MqttDecodeException e =
        assertThrows(MqttDecodeException.class, () -> TopicFilter.decode(value));
    assertEquals(ReasonCode.TOPIC_FILTER_INVALID, e.reasonCode());
    assertTrue(e.getMessage().contains(rule), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TopicFilter.of(value));
  }

  @Test
  void refusesTheNullCharacter() {
    MqttDecodeException e =
        assertThrows(MqttDecodeException.class, () -> TopicFilter.decode("a\u0000b"));
    assertTrue(e.getMessage().contains("[MQTT-4.7.3-2]"), e.getMessage());
  }

  @Test
  void refusesUnpairedSurrogatesButAcceptsPairs() {
    assertEquals("a/\uD83D\uDE00", TopicFilter.of("a/\uD83D\uDE00").value());
    assertEquals("a/\uD83D\uDE00", TopicName.of("a/\uD83D\uDE00").value());
    for (String s : new String[] {"a\uD800", "\uDC00a", "a\uDC00\uD800b"}) {
      MqttDecodeException e = assertThrows(MqttDecodeException.class, () -> TopicFilter.decode(s));
      assertTrue(e.getMessage().contains("[MQTT-1.5.4-1]"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> TopicName.of(s));
    }
  }

  @Test
  void refusesMoreThan65535Bytes() {
    String longest = "a".repeat(65_535);
    assertEquals(longest, TopicFilter.of(longest).value());
    MqttDecodeException e =
        assertThrows(MqttDecodeException.class, () -> TopicFilter.decode(longest + "b"));
    assertTrue(e.getMessage().contains("[MQTT-4.7.3-3]"), e.getMessage());
  }

  @Test
  void equalityIsByTheWholeValue() {
    assertEquals(TopicFilter.of("$share/g/a"), TopicFilter.of("$share/g/a"));
    assertFalse(TopicFilter.of("$share/g/a").equals(TopicFilter.of("a")));
  }
}
