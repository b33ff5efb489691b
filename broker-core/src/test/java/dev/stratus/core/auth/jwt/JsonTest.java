package dev.stratus.core.auth.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
  @Test
  void parsesTheSubset() {
    Map<String, Object> m =
        Json.parseObject(
            " {\"a\": \"x\\u00e9\\n\\\"\", \"b\": [1, -2.5e3, true, false, null], \"c\": {},"
                + " \"d\": \"\\ud83d\\ude00\"} ");
    assertEquals("xé\n\"", m.get("a"));
    assertEquals(
        Arrays.asList(
            new BigDecimal("1"), new BigDecimal("-2.5e3"), Boolean.TRUE, Boolean.FALSE, null),
        m.get("b"));
    assertEquals(Map.of(), m.get("c"));
    assertEquals("😀", m.get("d"));
    assertEquals(List.of(), Json.parse("[]"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "{",
        "{\"a\":1,}",
        "[1,]",
        "{\"a\":1,\"a\":2}",
        "01",
        "1.",
        "-",
        "1e",
        "\"\\x\"",
        "\"a\tb\"",
        "\"\\ud800\"",
        "\"\\udc00x\"",
        "{a:1}",
        "{\"a\" 1}",
        "tru",
        "nul",
        "[1] [2]",
        "'a'",
        "\"unterminated",
        "\"\\u12\""
      })
  void rejects(String text) {
    assertThrows(Json.JsonException.class, () -> Json.parse(text));
  }

  @Test
  void limitsDepthAndLength() {
    assertThrows(Json.JsonException.class, () -> Json.parse("[".repeat(40) + "]".repeat(40)));
    assertEquals(List.of(List.of()), Json.parse("[[]]"));
    assertThrows(
        Json.JsonException.class, () -> Json.parse("\"" + "a".repeat(Json.MAX_LENGTH) + "\""));
    assertThrows(Json.JsonException.class, () -> Json.parseObject("[1]"));
  }
}
