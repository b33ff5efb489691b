package dev.stratus.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One table drives encode, decode and round trip: each case is a packet, a version and its bytes,
 * annotated field by field. Encoding the packet must give the bytes; decoding the bytes must give
 * the packet back.
 */
class PacketEncoderTest {

  record Case(String name, MqttVersion version, Packet packet, byte[] wire) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case c(String name, MqttVersion v, Packet p, String... wire) {
    return new Case(name, v, p, Wire.bytes(wire));
  }

  private static final MqttVersion V3 = MqttVersion.V3_1;
  private static final MqttVersion V4 = MqttVersion.V3_1_1;
  private static final MqttVersion V5 = MqttVersion.V5;

  static Stream<Case> cases() {
    Properties connectProps =
        Properties.builder()
            .sessionExpiryInterval(10L)
            .receiveMaximum(20)
            .addUserProperty("a", "b")
            .build();
    Properties willProps =
        Properties.builder().willDelayInterval(5L).payloadFormatIndicator(1).build();
    return Stream.of(
        c(
            "3.1.1 CONNECT, clean session, keep alive 60",
            V4,
            new Connect(V4, "c1", true, 60, null, null, null, Properties.NONE),
            "10 // CONNECT",
            "0E // remaining length 14",
            "00 04 4D 51 54 54 // protocol name MQTT",
            "04 // level 4",
            "02 // flags: clean session",
            "00 3C // keep alive 60",
            "00 02 63 31 // client id c1"),
        c(
            "3.1 CONNECT uses MQIsdp level 3",
            V3,
            new Connect(V3, "c", false, 10, "u", Bytes.utf8("p"), null, Properties.NONE),
            "10 // CONNECT",
            "15 // remaining length 21",
            "00 06 4D 51 49 73 64 70 // protocol name MQIsdp",
            "03 // level 3",
            "C0 // flags: user name, password",
            "00 0A // keep alive 10",
            "00 01 63 // client id c",
            "00 01 75 // user name u",
            "00 01 70 // password p"),
        c(
            "3.1.1 CONNECT with a QoS 1 retained will",
            V4,
            new Connect(
                V4,
                "",
                true,
                0,
                null,
                null,
                new Will(
                    TopicName.of("w"), Bytes.utf8("x"), QoS.AT_LEAST_ONCE, true, Properties.NONE),
                Properties.NONE),
            "10 // CONNECT",
            "12 // remaining length 18",
            "00 04 4D 51 54 54 // MQTT",
            "04 // level 4",
            "2E // flags: will retain 0x20, will QoS 1 0x08, will 0x04, clean 0x02",
            "00 00 // keep alive 0",
            "00 00 // empty client id",
            "00 01 77 // will topic w",
            "00 01 78 // will payload x"),
        c(
            "5.0 CONNECT with properties and a will with properties",
            V5,
            new Connect(
                V5,
                "id",
                false,
                30,
                "me",
                null,
                new Will(TopicName.of("t"), Bytes.EMPTY, QoS.AT_MOST_ONCE, false, willProps),
                connectProps),
            "10 // CONNECT",
            "2F // remaining length 47",
            "00 04 4D 51 54 54 // MQTT",
            "05 // level 5",
            "84 // flags: user name 0x80, will 0x04",
            "00 1E // keep alive 30",
            "0F // property length 15",
            "11 00 00 00 0A // session expiry interval 10",
            "21 00 14 // receive maximum 20",
            "26 00 01 61 00 01 62 // user property a=b",
            "00 02 69 64 // client id",
            "07 // will property length 7",
            "01 01 // payload format indicator 1",
            "18 00 00 00 05 // will delay interval 5",
            "00 01 74 // will topic t",
            "00 00 // will payload, empty",
            "00 02 6D 65 // user name me"),
        c(
            "3.1.1 CONNACK, session present, accepted",
            V4,
            new ConnAck(true, ReasonCode.SUCCESS, Properties.NONE),
            "20 02 // CONNACK, remaining length 2",
            "01 // session present",
            "00 // return code 0 accepted"),
        c(
            "3.1.1 CONNACK refused: bad user name or password is return code 4",
            V4,
            new ConnAck(false, ReasonCode.BAD_USER_NAME_OR_PASSWORD, Properties.NONE),
            "20 02 // CONNACK",
            "00 // no session",
            "04 // return code 4"),
        c(
            "5.0 CONNACK with properties",
            V5,
            new ConnAck(
                false,
                ReasonCode.SUCCESS,
                Properties.builder().maximumQos(1).topicAliasMaximum(10).build()),
            "20 08 // CONNACK, remaining length 8",
            "00 // flags",
            "00 // reason Success",
            "05 // property length 5",
            "22 00 0A // topic alias maximum 10",
            "24 01 // maximum QoS 1"),
        c(
            "5.0 CONNACK refused, no properties still has a property length",
            V5,
            new ConnAck(false, ReasonCode.NOT_AUTHORIZED, Properties.NONE),
            "20 03 // CONNACK",
            "00 // flags",
            "87 // Not authorized",
            "00 // property length 0"),
        c(
            "3.1.1 PUBLISH QoS 0",
            V4,
            new Publish(
                TopicName.of("a/b"),
                QoS.AT_MOST_ONCE,
                false,
                false,
                0,
                Bytes.utf8("hi"),
                Properties.NONE),
            "30 // PUBLISH, QoS 0",
            "07 // remaining length 7",
            "00 03 61 2F 62 // topic a/b",
            "68 69 // payload hi"),
        c(
            "3.1.1 PUBLISH QoS 2, DUP, retain",
            V4,
            new Publish(
                TopicName.of("t"),
                QoS.EXACTLY_ONCE,
                true,
                true,
                0x1234,
                Bytes.EMPTY,
                Properties.NONE),
            "3D // PUBLISH, DUP 0x08, QoS 2 0x04, retain 0x01",
            "05 // remaining length 5",
            "00 01 74 // topic t",
            "12 34 // packet id"),
        c(
            "5.0 PUBLISH QoS 1 without properties",
            V5,
            new Publish(
                TopicName.of("t"),
                QoS.AT_LEAST_ONCE,
                false,
                false,
                1,
                Bytes.utf8("x"),
                Properties.NONE),
            "32 // PUBLISH QoS 1",
            "07 // remaining length",
            "00 01 74 // topic t",
            "00 01 // packet id 1",
            "00 // property length 0",
            "78 // payload"),
        c(
            "5.0 PUBLISH with an empty topic and a topic alias, two subscription identifiers",
            V5,
            new Publish(
                TopicName.EMPTY,
                QoS.AT_MOST_ONCE,
                false,
                false,
                0,
                Bytes.EMPTY,
                Properties.builder()
                    .topicAlias(3)
                    .addSubscriptionIdentifier(1)
                    .addSubscriptionIdentifier(200)
                    .build()),
            "30 // PUBLISH QoS 0",
            "0B // remaining length 11",
            "00 00 // empty topic",
            "08 // property length 8",
            "0B 01 // subscription identifier 1",
            "0B C8 01 // subscription identifier 200 (two byte VBI)",
            "23 00 03 // topic alias 3",
            "// no payload"),
        c(
            "5.0 PUBLISH with every message property",
            V5,
            new Publish(
                TopicName.of("t"),
                QoS.AT_MOST_ONCE,
                false,
                false,
                0,
                Bytes.EMPTY,
                Properties.builder()
                    .payloadFormatIndicator(0)
                    .messageExpiryInterval(0xFFFFFFFFL)
                    .contentType("c")
                    .responseTopic(TopicName.of("r"))
                    .correlationData(Bytes.fromHex("0102"))
                    .build()),
            "30 // PUBLISH",
            "18 // remaining length 24",
            "00 01 74 // topic t",
            "14 // property length 20",
            "01 00 // payload format indicator 0",
            "02 FF FF FF FF // message expiry interval 2^32-1",
            "03 00 01 63 // content type c",
            "08 00 01 72 // response topic r",
            "09 00 02 01 02 // correlation data"),
        c("3.1.1 PUBACK", V4, new PubAck(7), "40 02 // PUBACK", "00 07 // packet id"),
        c(
            "5.0 PUBACK Success without properties is the 2 byte short form",
            V5,
            new PubAck(7),
            "40 02 // PUBACK",
            "00 07 // packet id"),
        c(
            "5.0 PUBACK with a reason and no properties has no property length",
            V5,
            new PubAck(7, ReasonCode.NO_MATCHING_SUBSCRIBERS, Properties.NONE),
            "40 03 // PUBACK",
            "00 07 // packet id",
            "10 // No matching subscribers"),
        c(
            "5.0 PUBREC with a reason string",
            V5,
            new PubRec(
                9, ReasonCode.QUOTA_EXCEEDED, Properties.builder().reasonString("q").build()),
            "50 08 // PUBREC",
            "00 09 // packet id",
            "97 // Quota exceeded",
            "04 // property length",
            "1F 00 01 71 // reason string q"),
        c("3.1.1 PUBREL has flags 0010", V4, new PubRel(1), "62 02 // PUBREL", "00 01"),
        c(
            "5.0 PUBREL Packet identifier not found",
            V5,
            new PubRel(1, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, Properties.NONE),
            "62 03 // PUBREL",
            "00 01 // packet id",
            "92 // Packet identifier not found"),
        c("3.1.1 PUBCOMP", V4, new PubComp(0xFFFF), "70 02 // PUBCOMP", "FF FF // packet id"),
        c(
            "3.1.1 SUBSCRIBE two filters",
            V4,
            new Subscribe(
                10,
                List.of(
                    new TopicSubscription(TopicFilter.of("a/+"), QoS.AT_LEAST_ONCE),
                    new TopicSubscription(TopicFilter.of("#"), QoS.EXACTLY_ONCE)),
                Properties.NONE),
            "82 // SUBSCRIBE, flags 0010",
            "0C // remaining length 12",
            "00 0A // packet id 10",
            "00 03 61 2F 2B // a/+",
            "01 // QoS 1",
            "00 01 23 // #",
            "02 // QoS 2"),
        c(
            "5.0 SUBSCRIBE with options and a subscription identifier",
            V5,
            new Subscribe(
                1,
                List.of(
                    new TopicSubscription(
                        TopicFilter.of("t"),
                        QoS.AT_LEAST_ONCE,
                        true,
                        true,
                        RetainHandling.DO_NOT_SEND)),
                Properties.builder().addSubscriptionIdentifier(5).build()),
            "82 // SUBSCRIBE",
            "09 // remaining length",
            "00 01 // packet id",
            "02 0B 05 // property length 2, subscription identifier 5",
            "00 01 74 // t",
            "2D // options: retain handling 2 (0x20), RAP 0x08, no local 0x04, QoS 1"),
        c(
            "3.1.1 SUBACK writes any failure as 0x80",
            V4,
            new SubAck(
                3,
                List.of(ReasonCode.GRANTED_QOS_1, ReasonCode.UNSPECIFIED_ERROR),
                Properties.NONE),
            "90 04 // SUBACK",
            "00 03 // packet id",
            "01 // granted QoS 1",
            "80 // failure"),
        c(
            "5.0 SUBACK",
            V5,
            new SubAck(
                3,
                List.of(ReasonCode.GRANTED_QOS_0, ReasonCode.TOPIC_FILTER_INVALID),
                Properties.NONE),
            "90 05 // SUBACK",
            "00 03 // packet id",
            "00 // property length",
            "00 // granted QoS 0",
            "8F // Topic filter invalid"),
        c(
            "3.1.1 UNSUBSCRIBE",
            V4,
            new Unsubscribe(
                4, List.of(TopicFilter.of("a"), TopicFilter.of("$share/g/b")), Properties.NONE),
            "A2 // UNSUBSCRIBE, flags 0010",
            "11 // remaining length 17",
            "00 04 // packet id",
            "00 01 61 // a",
            "00 0A 24 73 68 61 72 65 2F 67 2F 62 // $share/g/b"),
        c("3.1.1 UNSUBACK", V4, new UnsubAck(4, List.of(), Properties.NONE), "B0 02 00 04"),
        c(
            "5.0 UNSUBACK",
            V5,
            new UnsubAck(
                4,
                List.of(ReasonCode.SUCCESS, ReasonCode.NO_SUBSCRIPTION_EXISTED),
                Properties.NONE),
            "B0 05 // UNSUBACK",
            "00 04 // packet id",
            "00 // property length",
            "00 11 // Success, No subscription existed"),
        c("PINGREQ", V4, PingReq.INSTANCE, "C0 00"),
        c("PINGRESP", V5, PingResp.INSTANCE, "D0 00"),
        c("3.1.1 DISCONNECT", V4, Disconnect.NORMAL, "E0 00"),
        c(
            "5.0 DISCONNECT Normal without properties has remaining length 0",
            V5,
            Disconnect.NORMAL,
            "E0 00"),
        c(
            "5.0 DISCONNECT with will, no properties",
            V5,
            new Disconnect(ReasonCode.DISCONNECT_WITH_WILL_MESSAGE, Properties.NONE),
            "E0 01 // DISCONNECT, remaining length 1",
            "04 // Disconnect with Will Message"),
        c(
            "5.0 DISCONNECT with session expiry",
            V5,
            new Disconnect(
                ReasonCode.NORMAL_DISCONNECTION,
                Properties.builder().sessionExpiryInterval(0L).build()),
            "E0 07 // DISCONNECT",
            "00 // Normal disconnection",
            "05 11 00 00 00 00 // property length 5, session expiry interval 0"),
        c(
            "5.0 AUTH Success short form",
            V5,
            new Auth(ReasonCode.SUCCESS, Properties.NONE),
            "F0 00"),
        c(
            "5.0 AUTH continue with method and data",
            V5,
            new Auth(
                ReasonCode.CONTINUE_AUTHENTICATION,
                Properties.builder()
                    .authenticationMethod("m")
                    .authenticationData(Bytes.fromHex("AB"))
                    .build()),
            "F0 0A // AUTH",
            "18 // Continue authentication",
            "08 // property length 8",
            "15 00 01 6D // authentication method m",
            "16 00 01 AB // authentication data"),
        c(
            "5.0 user property with non-ASCII UTF-8",
            V5,
            new Disconnect(
                ReasonCode.NORMAL_DISCONNECTION,
                Properties.builder().addUserProperty("é", "😀").build()),
            "E0 0D // DISCONNECT",
            "00 // Normal",
            "0B // property length 11",
            "26 // user property",
            "00 02 C3 A9 // é",
            "00 04 F0 9F 98 80 // U+1F600"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void encodesToTheFixture(Case c) {
    assertEquals(Wire.hex(c.wire()), Wire.hex(PacketEncoder.encode(c.packet(), c.version())));
    assertEquals(c.wire().length, PacketEncoder.encodedSize(c.packet(), c.version()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decodesTheFixtureBack(Case c) throws MqttDecodeException {
    MqttVersion version = c.packet() instanceof Connect ? null : c.version();
    assertEquals(c.packet(), PacketDecoder.decode(ByteBuffer.wrap(c.wire()), version));
  }

  @Test
  void refusesAPacketAboveTheReceiversMaximum() {
    Publish p =
        new Publish(
            TopicName.of("t"),
            QoS.AT_MOST_ONCE,
            false,
            false,
            0,
            Bytes.wrap(new byte[10]),
            Properties.NONE);
    assertEquals(15, PacketEncoder.encodedSize(p, MqttVersion.V3_1_1));
    assertEquals(15, PacketEncoder.encode(p, MqttVersion.V3_1_1, 15).length);
    PacketTooLargeException e =
        assertThrows(
            PacketTooLargeException.class, () -> PacketEncoder.encode(p, MqttVersion.V3_1_1, 14));
    assertEquals(15, e.size());
    assertEquals(14, e.maximum());
  }

  @Test
  void writesARemainingLengthOfTwoBytesAt128() {
    Publish p =
        new Publish(
            TopicName.of("t"),
            QoS.AT_MOST_ONCE,
            false,
            false,
            0,
            Bytes.wrap(new byte[125]),
            Properties.NONE);
    byte[] wire = PacketEncoder.encode(p, MqttVersion.V3_1_1);
    assertEquals("308001", Wire.hex(wire).substring(0, 6)); // 128 = 0x80 0x01 [MQTT-1.5.5-1]
    assertEquals(131, wire.length);
  }

  @Test
  void refusesAuthBeforeMqtt5() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PacketEncoder.encode(
                new Auth(ReasonCode.SUCCESS, Properties.NONE), MqttVersion.V3_1_1));
  }

  @Test
  void refusesA311PasswordWithoutUserName() {
    Connect c =
        new Connect(MqttVersion.V3_1_1, "c", true, 0, null, Bytes.utf8("p"), null, Properties.NONE);
    assertThrows(IllegalArgumentException.class, () -> PacketEncoder.encode(c, MqttVersion.V3_1_1));
  }

  @Test
  void writesAnUnpairedSurrogateAsTheReplacementCharacter() throws MqttDecodeException {
    Disconnect d =
        new Disconnect(
            ReasonCode.NORMAL_DISCONNECTION, Properties.builder().reasonString("a\uD800").build());
    byte[] wire = PacketEncoder.encode(d, MqttVersion.V5);
    Disconnect back = (Disconnect) PacketDecoder.decode(ByteBuffer.wrap(wire), MqttVersion.V5);
    assertEquals("a\uFFFD", back.properties().reasonString());
  }
}
