package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicMatcherTest {

  @ParameterizedTest(name = "''{0}'' vs ''{1}'' -> {2}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          # filter    | topic       | matches
          a           | a           | true
          a           | b           | false
          a           | ab          | false
          ab          | a           | false
          a/b         | a/b         | true
          a/b         | a/B         | false
          # '#' matches the parent level and any number of children [MQTT-4.7.1-2]
          a/#         | a           | true
          a/#         | a/          | true
          a/#         | a/b/c       | true
          a/#         | ab          | false
          a/b/#       | a           | false
          #           | a/b/c       | true
          #           | /           | true
          #           | /a          | true
          # '+' matches exactly one level, empty included
          a/+         | a/b         | true
          a/+         | a/          | true
          a/+         | a           | false
          a/+         | a/b/c       | false
          +           | a           | true
          +           | /           | false
          +           | /a          | false
          +/+         | /a          | true
          +/+         | /           | true
          +/+         | a           | false
          /+          | /a          | true
          +/#         | a           | true
          +/b/#       | a/b         | true
          a/+/c       | a//c        | true
          # empty levels are levels
          a//b        | a//b        | true
          a//b        | a/b         | false
          a/b         | a//b        | false
          /           | /           | true
          //          | //          | true
          /a          | a           | false
          a/          | a           | false
          # a leading wildcard does not match topics starting with '$' [MQTT-4.7.2-1]
          #           | $SYS        | false
          #           | $SYS/x      | false
          +           | $SYS        | false
          +/x         | $SYS/x      | false
          +/#         | $SYS/x      | false
          $SYS/#      | $SYS/x      | true
          $SYS/#      | $SYS        | true
          $SYS/+      | $SYS/x      | true
          $SYS        | $SYS        | true
          a/$x        | a/$x        | true
          a/+         | a/$x        | true
          a/#         | a/$x        | true
          """)
  void matches(String filter, String topic, boolean expected) {
    assertEquals(expected, TopicMatcher.matches(filter, topic));
    assertEquals(expected, TopicFilter.of(filter).matches(TopicName.of(topic)));
  }

  @ParameterizedTest(name = "''{0}'' vs ''{1}'' -> {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          $share/g/a/#  | a/b    | true
          $share/g/#    | $SYS/x | false
          $share/g/+    | a      | true
          $share/g/a    | b      | false
          """)
  void sharedFiltersMatchWithoutTheirPrefix(String filter, String topic, boolean expected) {
    assertEquals(expected, TopicFilter.of(filter).matches(TopicName.of(topic)));
  }
}
