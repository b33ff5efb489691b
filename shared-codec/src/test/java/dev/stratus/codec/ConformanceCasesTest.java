package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The loader is strict, so a typo in a data file fails loudly instead of weakening a case. */
class ConformanceCasesTest {

  private static List<ConformanceCase> parse(String json) throws IOException {
    return ConformanceCases.parse(
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json");
  }

  private static String file(String caseBody) {
    return "{\"packetType\": \"PUBACK\", \"cases\": [{\"id\": \"x\", \"spec\": [\"s\"],"
        + " \"version\": \"5.0\", \"hex\": \"40 02 00 07\", "
        + caseBody
        + "}]}";
  }

  @Test
  void parsesAValidCase() throws IOException {
    ConformanceCase c =
        parse(file("\"packet\": {\"packetId\": 7, \"properties\": {\"reasonString\": \"r\"}}"))
            .get(0);
    assertEquals(
        new PubAck(7, ReasonCode.SUCCESS, Properties.builder().reasonString("r").build()),
        c.expected());
    assertEquals(MqttVersion.V5, c.decodeVersion());
    assertEquals(ConformanceCase.Framing.COMPLETE, c.framing());
    assertTrue(c.canonical() && c.clientMaySend() && c.needsConnectFirst());
    assertEquals(Bytes.fromHex("40020007"), c.bytes());
  }

  @Test
  void rejectsUnknownFieldsAtEveryLevel() {
    assertThrows(
        IllegalStateException.class,
        () -> parse(file("\"error\": \"MALFORMED_PACKET\", \"eror\": 1")));
    assertThrows(IllegalStateException.class, () -> parse(file("\"packet\": {\"packetID\": 7}")));
    assertThrows(
        IllegalStateException.class,
        () -> parse(file("\"packet\": {\"packetId\": 7, \"properties\": {\"reason\": \"r\"}}")));
    assertThrows(IllegalStateException.class, () -> parse(file("\"error\": \"MALFORMED\"")));
  }

  @Test
  void aCaseIsEitherValidOrInvalid() {
    assertThrows(IllegalStateException.class, () -> parse(file("\"comment\": \"neither\"")));
    assertThrows(
        IllegalStateException.class,
        () -> parse(file("\"packet\": {\"packetId\": 7}, \"error\": \"PROTOCOL_ERROR\"")));
  }

  @Test
  void everyFileLoadsAndIdsAreUnique() {
    List<ConformanceCase> all = ConformanceCases.all();
    assertEquals(all.size(), all.stream().map(ConformanceCase::id).distinct().count());
    for (PacketType type : PacketType.values()) {
      assertFalse(ConformanceCases.of(type).isEmpty(), type.name());
    }
  }
}
