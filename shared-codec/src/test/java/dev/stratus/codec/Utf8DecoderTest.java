package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict UTF-8 rules of MQTT 5.0 §1.5.4, at the edges of each encoding length. */
class Utf8DecoderTest {

  @ParameterizedTest(name = "{0} is U+{1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # bytes        | code point
          41             | 0041
          7F             | 007F
          C2 80          | 0080
          DF BF          | 07FF
          E0 A0 80       | 0800
          ED 9F BF       | D7FF
          EE 80 80       | E000
          EF BF BF       | FFFF
          F0 90 80 80    | 10000
          F4 8F BF BF    | 10FFFF
          """)
  void decodesTheEdgesOfEachLength(String hex, String codePoint) throws MqttDecodeException {
    byte[] b = Wire.bytes(hex);
    String expected = Character.toString(Integer.parseInt(codePoint, 16));
    // embedded between ASCII so that the offset handling is exercised too
    byte[] framed = Wire.bytes("61", hex, "62");
    assertEquals(expected, Utf8.decode(b, 0, b.length, "s"));
    assertEquals("a" + expected + "b", Utf8.decode(framed, 0, framed.length, "s"));
    assertEquals(b.length, Utf8.encodedLength(expected));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # bytes          | rule            | why
          00               | [MQTT-1.5.4-2]  | U+0000
          61 00            | [MQTT-1.5.4-2]  | U+0000 after ASCII
          C3 A9 00         | [MQTT-1.5.4-2]  | U+0000 after non-ASCII
          ED A0 80         | [MQTT-1.5.4-1]  | high surrogate U+D800
          ED BF BF         | [MQTT-1.5.4-1]  | low surrogate U+DFFF
          C0 80            | [MQTT-1.5.4-1]  | overlong U+0000
          C1 BF            | [MQTT-1.5.4-1]  | overlong U+007F
          E0 80 80         | [MQTT-1.5.4-1]  | overlong 3 byte
          E0 9F BF         | [MQTT-1.5.4-1]  | overlong U+07FF
          F0 80 80 80      | [MQTT-1.5.4-1]  | overlong 4 byte
          F0 8F BF BF      | [MQTT-1.5.4-1]  | overlong U+FFFF
          F4 90 80 80      | [MQTT-1.5.4-1]  | above U+10FFFF
          F5 80 80 80      | [MQTT-1.5.4-1]  | lead byte F5
          FF               | [MQTT-1.5.4-1]  | lead byte FF
          80               | [MQTT-1.5.4-1]  | stray continuation byte
          61 BF            | [MQTT-1.5.4-1]  | stray continuation after ASCII
          C2               | [MQTT-1.5.4-1]  | truncated 2 byte sequence
          E2 82            | [MQTT-1.5.4-1]  | truncated 3 byte sequence
          F0 9F 98         | [MQTT-1.5.4-1]  | truncated 4 byte sequence
          E2 28 A1         | [MQTT-1.5.4-1]  | ASCII inside a sequence
          F0 9F 28 80      | [MQTT-1.5.4-1]  | ASCII as third byte
          """)
  void refusesIllFormedInput(String hex, String rule, String why) {
    byte[] b = Wire.bytes(hex);
    MqttDecodeException e =
        assertThrows(MqttDecodeException.class, () -> Utf8.decode(b, 0, b.length, "s"), why);
    assertEquals(ReasonCode.MALFORMED_PACKET, e.reasonCode());
    assertTrue(e.getMessage().contains(rule), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/b", "é", "日本語/トピック", "😀/x", "mixed ascii and ü"})
  void encodedLengthAgreesWithTheJdk(String s) {
    assertEquals(s.getBytes(StandardCharsets.UTF_8).length, Utf8.encodedLength(s));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\uD800", "a\uDC00b", "\uDBFF"})
  void anUnpairedSurrogateCountsAsTheReplacementCharacter(String s) {
    assertEquals(
        s.replaceAll("[\uD800-\uDFFF]", "\uFFFD").getBytes(StandardCharsets.UTF_8).length,
        Utf8.encodedLength(s));
  }
}
