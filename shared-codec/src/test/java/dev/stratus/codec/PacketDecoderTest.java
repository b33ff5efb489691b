package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoder's validation, one row per rule: the bytes, the version of the connection, the reason
 * code and the statement the message must name.
 */
class PacketDecoderTest {

  private static final MqttVersion BEFORE_CONNECT = null;
  private static final MqttVersion V3 = MqttVersion.V3_1;
  private static final MqttVersion V4 = MqttVersion.V3_1_1;
  private static final MqttVersion V5 = MqttVersion.V5;

  private static final ReasonCode MALFORMED = ReasonCode.MALFORMED_PACKET;
  private static final ReasonCode PROTOCOL = ReasonCode.PROTOCOL_ERROR;

  record Invalid(String name, MqttVersion version, byte[] wire, ReasonCode reason, String rule) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Invalid bad(
      String name, MqttVersion v, ReasonCode reason, String rule, byte[] wire) {
    return new Invalid(name, v, wire, reason, rule);
  }

  /**
   * A packet from its first byte and annotated body lines; the remaining length is computed (only
   * rows about the remaining length itself write it by hand).
   */
  private static byte[] packet(int firstByte, String... body) {
    byte[] b = Wire.bytes(body);
    byte[] out = new byte[2 + b.length];
    if (b.length > 127) {
      throw new IllegalArgumentException("test bodies are short");
    }
    out[0] = (byte) firstByte;
    out[1] = (byte) b.length;
    System.arraycopy(b, 0, out, 2, b.length);
    return out;
  }

  /** The variable header of a 3.1.1 or 5.0 CONNECT up to the flags. */
  private static final String MQTT = "00 04 4D 51 54 54 // protocol name MQTT";

  static Stream<Invalid> invalid() {
    return Stream.of(
        // ---- fixed header
        bad("packet type 0 is reserved", V4, MALFORMED, "§2.1.2", packet(0x00)),
        bad(
            "SUBSCRIBE flags must be 0010",
            V4,
            MALFORMED,
            "[MQTT-3.8.1-1]",
            packet(0x80, "00 01 // packet id", "00 01 61 00 // a, QoS 0")),
        bad(
            "PUBREL flags must be 0010",
            V5,
            MALFORMED,
            "[MQTT-3.6.1-1]",
            packet(0x60, "00 01 // packet id")),
        bad(
            "UNSUBSCRIBE flags must be 0010",
            V4,
            MALFORMED,
            "[MQTT-3.10.1-1]",
            packet(0xA3, "00 01 // packet id", "00 01 61 // a")),
        bad("PINGREQ flags are reserved", V4, MALFORMED, "[MQTT-2.1.3-1]", packet(0xC1)),
        bad(
            "remaining length longer than the packet",
            V4,
            MALFORMED,
            "§2.1.4",
            Wire.bytes("40 03 // PUBACK, remaining length 3", "00 01 // packet id only")),
        bad(
            "3.1.1 PUBACK with bytes after its packet id",
            V4,
            MALFORMED,
            "§2.1.4",
            packet(0x40, "00 01 // packet id", "00 // one byte too many")),
        bad(
            "string length beyond the packet",
            V4,
            MALFORMED,
            "§2.1.4",
            packet(0x30, "00 09 61 // topic claims 9 bytes, has 1")),
        bad(
            "before CONNECT only CONNECT",
            BEFORE_CONNECT,
            PROTOCOL,
            "[MQTT-3.1.0-1]",
            packet(0xC0)),
        bad("AUTH does not exist in 3.1.1", V4, MALFORMED, "§2.2.1", packet(0xF0)),
        // ---- PUBLISH
        bad(
            "QoS 3",
            V4,
            MALFORMED,
            "[MQTT-3.3.1-4]",
            packet(0x36, "00 01 74 // t", "00 01 // packet id")),
        bad("DUP on QoS 0", V4, MALFORMED, "[MQTT-3.3.1-2]", packet(0x38, "00 01 74 // t")),
        bad(
            "packet id 0 on QoS 1",
            V4,
            PROTOCOL,
            "[MQTT-2.2.1-3]",
            packet(0x32, "00 01 74 // t", "00 00 // packet id 0")),
        bad(
            "wildcard in a topic name",
            V4,
            ReasonCode.TOPIC_NAME_INVALID,
            "[MQTT-3.3.2-2]",
            packet(0x30, "00 03 61 2F 2B // a/+")),
        bad(
            "empty topic name in 3.1.1",
            V4,
            ReasonCode.TOPIC_NAME_INVALID,
            "[MQTT-4.7.3-1]",
            packet(0x30, "00 00 // empty topic")),
        bad(
            "empty topic name without topic alias in 5.0",
            V5,
            PROTOCOL,
            "§3.3.2.1",
            packet(0x30, "00 00 // empty topic", "00 // no properties")),
        bad(
            "U+0000 in a topic name",
            V4,
            MALFORMED,
            "[MQTT-1.5.4-2]",
            packet(0x30, "00 03 61 00 62 // a NUL b")),
        bad(
            "encoded surrogate in a topic name",
            V4,
            MALFORMED,
            "[MQTT-1.5.4-1]",
            packet(0x30, "00 03 ED A0 80 // U+D800")),
        bad(
            "overlong '/' in a topic name",
            V4,
            MALFORMED,
            "[MQTT-1.5.4-1]",
            packet(0x30, "00 02 C0 AF // overlong U+002F")),
        bad(
            "overlong U+0000 in a topic name",
            V4,
            MALFORMED,
            "[MQTT-1.5.4-1]",
            packet(0x30, "00 02 C0 80 // overlong U+0000")),
        bad(
            "truncated UTF-8 sequence",
            V4,
            MALFORMED,
            "[MQTT-1.5.4-1]",
            packet(0x30, "00 02 61 E2 // a, then the start of a 3 byte sequence")),
        bad(
            "topic alias 0",
            V5,
            PROTOCOL,
            "[MQTT-3.3.2-8]",
            packet(0x30, "00 01 74 // t", "03 23 00 00 // topic alias 0")),
        bad(
            "property not allowed in PUBLISH",
            V5,
            MALFORMED,
            "§2.2.2.2",
            packet(0x30, "00 01 74 // t", "05 11 00 00 00 01 // session expiry interval")),
        bad(
            "unknown property identifier",
            V5,
            MALFORMED,
            "§2.2.2.2",
            packet(0x30, "00 01 74 // t", "02 7F 00 // property 0x7F")),
        bad(
            "duplicate property",
            V5,
            PROTOCOL,
            "§2.2.2.2",
            packet(0x30, "00 01 74 // t", "0A 02 00 00 00 01 02 00 00 00 02 // expiry twice")),
        bad(
            "payload format indicator 2",
            V5,
            PROTOCOL,
            "§2.2.2.2",
            packet(0x30, "00 01 74 // t", "02 01 02 // payload format indicator 2")),
        bad(
            "subscription identifier 0",
            V5,
            PROTOCOL,
            "§3.8.2.1.2",
            packet(0x30, "00 01 74 // t", "02 0B 00 // subscription identifier 0")),
        bad(
            "property length beyond the packet",
            V5,
            MALFORMED,
            "§2.1.4",
            packet(0x30, "00 01 74 // t", "09 01 00 // property length 9, 2 bytes follow")),
        bad(
            "property length of five bytes",
            V5,
            MALFORMED,
            "[MQTT-1.5.5-1]",
            packet(0x30, "00 01 74 // t", "80 80 80 80 01 // property length")),
        bad(
            "response topic with a wildcard",
            V5,
            ReasonCode.TOPIC_NAME_INVALID,
            "[MQTT-3.3.2-14]",
            packet(0x30, "00 01 74 // t", "04 08 00 01 23 // response topic #")),
        // ---- acknowledgements
        bad(
            "reason code not allowed in PUBACK",
            V5,
            MALFORMED,
            "§2.4",
            packet(0x40, "00 01 // packet id", "04 // 0x04 is a DISCONNECT code")),
        bad("PUBACK packet id 0", V4, PROTOCOL, "[MQTT-2.2.1-3]", packet(0x40, "00 00")),
        bad(
            "3.1.1 SUBACK return code 3",
            V4,
            MALFORMED,
            "[MQTT-3.9.3-2]",
            packet(0x90, "00 01 // packet id", "03 // reserved return code")),
        bad(
            "3.1.1 CONNACK reserved flag bits",
            V4,
            MALFORMED,
            "[MQTT-3.2.2-1]",
            packet(0x20, "02 // flags", "00 // accepted")),
        bad(
            "3.1.1 CONNACK return code 6",
            V4,
            MALFORMED,
            "§3.2.2.3",
            packet(0x20, "00 // flags", "06 // reserved")),
        bad(
            "5.0 DISCONNECT with a reason only CONNACK may carry",
            V5,
            MALFORMED,
            "§2.4",
            packet(0xE0, "84 // Unsupported protocol version")),
        bad(
            "AUTH data without method",
            V5,
            PROTOCOL,
            "§3.1.2.11.10",
            packet(0xF0, "18 // continue", "04 16 00 01 AB // authentication data only")),
        // ---- SUBSCRIBE, UNSUBSCRIBE
        bad(
            "SUBSCRIBE without entries",
            V4,
            PROTOCOL,
            "[MQTT-3.8.3-3]",
            packet(0x82, "00 01 // packet id")),
        bad(
            "SUBSCRIBE packet id 0",
            V4,
            PROTOCOL,
            "[MQTT-2.2.1-3]",
            packet(0x82, "00 00 // packet id 0", "00 01 61 00 // a, QoS 0")),
        bad(
            "3.1.1 SUBSCRIBE reserved option bits",
            V4,
            MALFORMED,
            "[MQTT-3-8.3-4]",
            packet(0x82, "00 01 // packet id", "00 01 61 04 // a, bit 2 set")),
        bad(
            "3.1.1 SUBSCRIBE QoS 3",
            V4,
            MALFORMED,
            "[MQTT-3-8.3-4]",
            packet(0x82, "00 01 // packet id", "00 01 61 03 // a, QoS 3")),
        bad(
            "5.0 SUBSCRIBE reserved option bits",
            V5,
            MALFORMED,
            "[MQTT-3.8.3-5]",
            packet(0x82, "00 01 // packet id", "00 // properties", "00 01 61 40 // a, bit 6")),
        bad(
            "5.0 SUBSCRIBE retain handling 3",
            V5,
            PROTOCOL,
            "§3.8.3.1",
            packet(0x82, "00 01 // packet id", "00 // properties", "00 01 61 30 // a, RH 3")),
        bad(
            "5.0 SUBSCRIBE no local on a shared subscription",
            V5,
            PROTOCOL,
            "[MQTT-3.8.3-4]",
            packet(
                0x82,
                "00 01 // packet id",
                "00 // properties",
                "00 0A 24 73 68 61 72 65 2F 67 2F 61 // $share/g/a",
                "04 // no local")),
        bad(
            "5.0 SUBSCRIBE two subscription identifiers",
            V5,
            PROTOCOL,
            "§2.2.2.2",
            packet(
                0x82,
                "00 01 // packet id",
                "04 0B 01 0B 02 // subscription identifiers 1 and 2",
                "00 01 61 00 // a")),
        bad(
            "'#' not last in a filter",
            V4,
            ReasonCode.TOPIC_FILTER_INVALID,
            "[MQTT-4.7.1-1]",
            packet(0x82, "00 01 // packet id", "00 05 61 2F 23 2F 62 00 // a/#/b")),
        bad(
            "'+' sharing a level",
            V4,
            ReasonCode.TOPIC_FILTER_INVALID,
            "[MQTT-4.7.1-2]",
            packet(0x82, "00 01 // packet id", "00 02 61 2B 00 // a+")),
        bad(
            "empty filter",
            V4,
            ReasonCode.TOPIC_FILTER_INVALID,
            "[MQTT-4.7.3-1]",
            packet(0x82, "00 01 // packet id", "00 00 00 // empty, QoS 0")),
        bad(
            "UNSUBSCRIBE without entries",
            V5,
            PROTOCOL,
            "[MQTT-3.10.3-2]",
            packet(0xA2, "00 01 // packet id", "00 // properties")),
        // ---- CONNECT
        bad(
            "unknown protocol name",
            BEFORE_CONNECT,
            ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
            "[MQTT-3.1.2-1]",
            packet(0x10, "00 04 4D 51 54 58 // MQTX", "04 02 00 00 00 00")),
        bad(
            "unknown protocol level",
            BEFORE_CONNECT,
            ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
            "[MQTT-3.1.2-2]",
            packet(0x10, MQTT, "06 // level 6", "02 00 00 00 00")),
        bad(
            "MQIsdp with level 4",
            BEFORE_CONNECT,
            ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
            "[MQTT-3.1.2-2]",
            packet(0x10, "00 06 4D 51 49 73 64 70 // MQIsdp", "04 02 00 00 00 00")),
        bad(
            "reserved connect flag",
            BEFORE_CONNECT,
            MALFORMED,
            "[MQTT-3.1.2-3]",
            packet(0x10, MQTT, "04 // level", "03 // clean + reserved", "00 00 00 00")),
        bad(
            "3.1.1 will QoS without will flag",
            BEFORE_CONNECT,
            MALFORMED,
            "[MQTT-3.1.2-13]",
            packet(0x10, MQTT, "04 // level", "0A // will QoS 1, no will", "00 00 00 00")),
        bad(
            "5.0 will QoS without will flag",
            BEFORE_CONNECT,
            MALFORMED,
            "[MQTT-3.1.2-11]",
            packet(0x10, MQTT, "05 // level", "0A // will QoS 1, no will", "00 00 00 00 00")),
        bad(
            "3.1.1 will retain without will flag",
            BEFORE_CONNECT,
            MALFORMED,
            "[MQTT-3.1.2-15]",
            packet(0x10, MQTT, "04 // level", "22 // will retain, no will", "00 00 00 00")),
        bad(
            "3.1.1 will QoS 3",
            BEFORE_CONNECT,
            MALFORMED,
            "[MQTT-3.1.2-14]",
            packet(
                0x10,
                MQTT,
                "04 // level",
                "1C // will QoS 3, will",
                "00 00 // keep alive",
                "00 00 // client id",
                "00 01 74 00 00 // will topic t, empty payload")),
        bad(
            "3.1.1 password without user name",
            BEFORE_CONNECT,
            MALFORMED,
            "[MQTT-3.1.2-22]",
            packet(0x10, MQTT, "04 // level", "42 // password, clean", "00 00 00 00 00 01 70")),
        bad(
            "CONNECT with bytes after its payload",
            BEFORE_CONNECT,
            MALFORMED,
            "§2.1.4",
            packet(0x10, MQTT, "04 // level", "02 // clean", "00 00 00 00 // client id", "FF")),
        bad(
            "will topic with a wildcard",
            BEFORE_CONNECT,
            ReasonCode.TOPIC_NAME_INVALID,
            "[MQTT-3.3.2-2]",
            packet(
                0x10,
                MQTT,
                "04 // level",
                "06 // will, clean",
                "00 00 00 00 // keep alive, client id",
                "00 01 23 00 00 // will topic #, empty payload")),
        bad(
            "5.0 CONNECT receive maximum 0",
            BEFORE_CONNECT,
            PROTOCOL,
            "§3.1.2.11.3",
            packet(0x10, MQTT, "05 02 00 00 // level, flags, keep alive", "03 21 00 00", "00 00")),
        bad(
            "5.0 CONNECT maximum packet size 0",
            BEFORE_CONNECT,
            PROTOCOL,
            "§3.1.2.11.4",
            packet(0x10, MQTT, "05 02 00 00", "05 27 00 00 00 00", "00 00")),
        bad(
            "5.0 CONNECT request problem information 2",
            BEFORE_CONNECT,
            PROTOCOL,
            "§2.2.2.2",
            packet(0x10, MQTT, "05 02 00 00", "02 17 02", "00 00")),
        bad(
            "5.0 will property in CONNECT properties",
            BEFORE_CONNECT,
            MALFORMED,
            "§2.2.2.2",
            packet(0x10, MQTT, "05 02 00 00", "05 18 00 00 00 01 // will delay", "00 00")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void refusesWithTheReasonAndRule(Invalid c) {
    MqttDecodeException e =
        assertThrows(
            MqttDecodeException.class,
            () -> PacketDecoder.decode(ByteBuffer.wrap(c.wire()), c.version()));
    assertEquals(c.reason(), e.reasonCode(), e.getMessage());
    assertTrue(e.getMessage().contains(c.rule()), e.getMessage());
    assertEquals(
        CONNECT_VERSION_READ.get(c.name()),
        e.connectVersion(),
        "the version of a CONNECT that failed after its protocol level, null otherwise");
  }

  /**
   * The rows above that fail inside a CONNECT whose protocol name and level were valid, with that
   * version; every other row (other packets, unknown versions) has no connect version. MQTT 5.0
   * §3.1.4 lets the server answer these with a CONNACK in the client's version.
   */
  private static final Map<String, MqttVersion> CONNECT_VERSION_READ =
      Map.ofEntries(
          Map.entry("reserved connect flag", V4),
          Map.entry("3.1.1 will QoS without will flag", V4),
          Map.entry("5.0 will QoS without will flag", V5),
          Map.entry("3.1.1 will retain without will flag", V4),
          Map.entry("3.1.1 will QoS 3", V4),
          Map.entry("3.1.1 password without user name", V4),
          Map.entry("CONNECT with bytes after its payload", V4),
          Map.entry("will topic with a wildcard", V4),
          Map.entry("5.0 CONNECT receive maximum 0", V5),
          Map.entry("5.0 CONNECT maximum packet size 0", V5),
          Map.entry("5.0 CONNECT request problem information 2", V5),
          Map.entry("5.0 will property in CONNECT properties", V5));

  @Test
  void aFailingMqtt31ConnectSaysItsVersion() {
    MqttDecodeException e =
        assertThrows(
            MqttDecodeException.class,
            () ->
                PacketDecoder.decode(
                    ByteBuffer.wrap(
                        packet(
                            0x10,
                            "00 06 4D 51 49 73 64 70 // MQIsdp",
                            "03 // level 3",
                            "03 // clean + reserved",
                            "00 00 00 00")),
                    BEFORE_CONNECT));
    assertEquals(V3, e.connectVersion());
  }

  @Test
  void aV5PublishWithoutPropertiesSharesNone() throws MqttDecodeException {
    Publish p =
        (Publish)
            PacketDecoder.decode(
                ByteBuffer.wrap(packet(0x30, "00 01 74 // t", "00 // no properties", "AA")), V5);
    assertSame(Properties.NONE, p.properties());
  }

  @Test
  void decodesNonAsciiTopicsAndRepeatedSubscriptionIdentifiers() throws MqttDecodeException {
    Publish p =
        (Publish)
            PacketDecoder.decode(
                ByteBuffer.wrap(
                    packet(
                        0x30,
                        "00 05 C3 A9 2F 61 62 // topic é/ab",
                        "04 0B 01 0B 02 // subscription identifiers 1 and 2")),
                V5);
    assertEquals("é/ab", p.topic().value());
    assertEquals(List.of(1, 2), p.properties().subscriptionIdentifiers());
  }

  @Test
  void propertiesPrintOnlyWhatIsPresent() {
    assertEquals("Properties[]", Properties.NONE.toString());
    assertEquals(
        "Properties[subscriptionIdentifiers=[1], topicAlias=3]",
        Properties.builder().topicAlias(3).addSubscriptionIdentifier(1).build().toString());
  }

  @Test
  void decodesADirectBufferWithoutMovingIt() throws MqttDecodeException {
    byte[] wire = packet(0x32, "00 01 74 // t", "00 05 // packet id", "01 02 03 // payload");
    ByteBuffer direct = ByteBuffer.allocateDirect(wire.length + 3);
    direct.put(new byte[] {9, 9, 9}).put(wire).flip().position(3);
    Publish p = (Publish) PacketDecoder.decode(direct, V4);
    assertEquals(5, p.packetId());
    assertEquals(Bytes.fromHex("010203"), p.payload());
    assertEquals(3, direct.position());
  }

  @Test
  void aV5AckWithAnEmptyPropertyLengthIsValid() throws MqttDecodeException {
    PubAck ack =
        (PubAck)
            PacketDecoder.decode(
                ByteBuffer.wrap(packet(0x40, "00 01 // packet id", "10 // reason", "00")), V5);
    assertEquals(new PubAck(1, ReasonCode.NO_MATCHING_SUBSCRIBERS, Properties.NONE), ack);
  }

  @Test
  void a31ConnectDecodesWithItsOwnVersion() throws MqttDecodeException {
    Connect c =
        (Connect)
            PacketDecoder.decode(
                ByteBuffer.wrap(
                    packet(
                        0x10,
                        "00 06 4D 51 49 73 64 70 // MQIsdp",
                        "03 // level 3",
                        "02 // clean",
                        "00 3C // keep alive",
                        "00 01 63 // client id c")),
                BEFORE_CONNECT);
    assertEquals(V3, c.version());
    assertEquals("c", c.clientId());
  }
}
