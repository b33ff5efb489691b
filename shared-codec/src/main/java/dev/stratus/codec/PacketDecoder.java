package dev.stratus.codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one whole packet (as {@link Framer} delivers it) with full validation.
 *
 * <p>Every failure is an {@link MqttDecodeException} carrying the reason code the spec asks for
 * (Malformed Packet for a broken wire format, Protocol Error for a well-formed packet that breaks a
 * rule, Topic Name/Filter invalid, Unsupported Protocol Version) and a message naming the rule.
 * Lengths read from the packet are checked against the bytes that remain before anything is
 * allocated, so the decoder never allocates more than the packet's own size for its byte arrays.
 *
 * <p>The fixed-header flag rules [MQTT-2.1.3-1]: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0010,
 * every other packet but PUBLISH carries 0000; PUBLISH carries DUP, QoS and RETAIN.
 */
public final class PacketDecoder {
  private PacketDecoder() {}

  private static final int PUBLISH_PROPERTIES = PropertiesCodec.context(PacketType.PUBLISH);

  /**
   * Decodes {@code packet}, which holds exactly one packet, fixed header included. The buffer's
   * position is not changed, and the packet shares nothing with it: the buffer may be reused.
   *
   * <p>A CONNECT is decoded in the version its own protocol name and level say, whatever {@code
   * version} is; refusing a second CONNECT on a connection [MQTT-3.1.0-2] is the engine's job.
   *
   * @param version the version negotiated by the connection's CONNECT; null before CONNECT, when
   *     only a CONNECT is accepted [MQTT-3.1.0-1] (CONNECT carries its own version)
   * @throws MqttDecodeException with the reason code the spec asks for and a message naming the
   *     rule; never any other exception, whatever the bytes
   */
  public static Packet decode(ByteBuffer packet, MqttVersion version) throws MqttDecodeException {
    return decode(packet, version, false);
  }

  /**
   * Decodes {@code packet} like {@link #decode}, but takes the bytes over: a PUBLISH payload
   * becomes a view of the packet's array instead of a copy. The caller hands the array over for
   * good and must never change those bytes afterwards; that holds for a frame the {@link Framer}
   * assembled itself ({@link FrameResult.Frame#owned()}) and for a message decoded into a fresh
   * array (a text-profile message after base64). Buffers without an accessible array are copied as
   * {@link #decode} does.
   *
   * @throws MqttDecodeException as {@link #decode}
   */
  public static Packet decodeOwned(ByteBuffer packet, MqttVersion version)
      throws MqttDecodeException {
    return decode(packet, version, packet.hasArray() && !packet.isReadOnly());
  }

  private static Packet decode(ByteBuffer packet, MqttVersion version, boolean owned)
      throws MqttDecodeException {
    byte[] array;
    int from;
    int end;
    if (packet.hasArray()) {
      array = packet.array();
      from = packet.arrayOffset() + packet.position();
      end = from + packet.remaining();
    } else {
      // direct or read-only buffers: one copy of the packet, then the same code path
      array = new byte[packet.remaining()];
      packet.duplicate().get(array);
      from = 0;
      end = array.length;
    }
    // This method stays small and PUBLISH, most of the traffic, goes first: the JIT can then
    // inline the whole PUBLISH path and keep the reader out of the heap.
    WireReader r = new WireReader(array, from, end);
    int header = r.u8("fixed header");
    int remainingLength = r.vbi("remaining length");
    if (remainingLength != r.remaining()) {
      throw remainingLengthMismatch(remainingLength, r.remaining());
    }
    if ((header >>> 4) == PacketType.PUBLISH.value() && version != null) {
      return decodePublish(r, header & 0x0F, version, owned);
    }
    return decodeOther(new WireReader(array, end - remainingLength, end), header, version);
  }

  private static MqttDecodeException remainingLengthMismatch(int remainingLength, int actual) {
    return MqttDecodeException.malformed(
        "[MQTT 5.0 §2.1.4] the remaining length is "
            + remainingLength
            + " but the packet has "
            + actual
            + " byte(s) after its fixed header");
  }

  /** Every packet but a PUBLISH after CONNECT; {@code r} is at the start of the variable header. */
  private static Packet decodeOther(WireReader r, int header, MqttVersion version)
      throws MqttDecodeException {
    PacketType type = PacketType.of(header >>> 4);
    if (type == null) {
      throw MqttDecodeException.malformed("[MQTT 5.0 §2.1.2] packet type 0 is reserved");
    }
    if (version == null && type != PacketType.CONNECT) {
      throw MqttDecodeException.protocolError(
          "[MQTT-3.1.0-1] the first packet must be CONNECT, not " + type);
    }
    int flags = header & 0x0F;
    if (type != PacketType.PUBLISH) {
      checkFlags(type, flags);
    }
    return switch (type) {
      case CONNECT -> decodeConnect(r);
      case CONNACK -> decodeConnAck(r, version);
      // decode() takes PUBLISH after CONNECT, and refuses it before: kept for exhaustiveness
      case PUBLISH -> decodePublish(r, flags, version, false);
      case PUBACK -> {
        int id = packetId(r, type);
        yield version.isV5()
            ? new PubAck(id, ackReason(r, type), ackProperties(r, type))
            : new PubAck(endOfV3Ack(r, id, type));
      }
      case PUBREC -> {
        int id = packetId(r, type);
        yield version.isV5()
            ? new PubRec(id, ackReason(r, type), ackProperties(r, type))
            : new PubRec(endOfV3Ack(r, id, type));
      }
      case PUBREL -> {
        int id = packetId(r, type);
        yield version.isV5()
            ? new PubRel(id, ackReason(r, type), ackProperties(r, type))
            : new PubRel(endOfV3Ack(r, id, type));
      }
      case PUBCOMP -> {
        int id = packetId(r, type);
        yield version.isV5()
            ? new PubComp(id, ackReason(r, type), ackProperties(r, type))
            : new PubComp(endOfV3Ack(r, id, type));
      }
      case SUBSCRIBE -> decodeSubscribe(r, version);
      case SUBACK -> decodeSubAck(r, version);
      case UNSUBSCRIBE -> decodeUnsubscribe(r, version);
      case UNSUBACK -> decodeUnsubAck(r, version);
      case PINGREQ -> {
        r.expectEnd("PINGREQ");
        yield PingReq.INSTANCE;
      }
      case PINGRESP -> {
        r.expectEnd("PINGRESP");
        yield PingResp.INSTANCE;
      }
      case DISCONNECT -> decodeDisconnect(r, version);
      case AUTH -> decodeAuth(r, version);
    };
  }

  private static void checkFlags(PacketType type, int flags) throws MqttDecodeException {
    switch (type) {
      case PUBREL, SUBSCRIBE, UNSUBSCRIBE -> {
        if (flags != 0b0010) {
          String rule =
              type == PacketType.PUBREL
                  ? "[MQTT-3.6.1-1]"
                  : type == PacketType.SUBSCRIBE ? "[MQTT-3.8.1-1]" : "[MQTT-3.10.1-1]";
          throw MqttDecodeException.malformed(
              rule + " the fixed header flags of " + type + " must be 0010");
        }
      }
      default -> {
        if (flags != 0) {
          throw MqttDecodeException.malformed(
              "[MQTT-2.1.3-1] the fixed header flags of " + type + " are reserved and must be 0");
        }
      }
    }
  }

  private static int packetId(WireReader r, PacketType type) throws MqttDecodeException {
    int id = r.u16("packet identifier");
    if (id == 0) {
      throw MqttDecodeException.protocolError(
          "[MQTT-2.2.1-3] the packet identifier of " + type + " must not be 0");
    }
    return id;
  }

  // ---------------------------------------------------------------- CONNECT

  private static Connect decodeConnect(WireReader r) throws MqttDecodeException {
    String name = r.utf8("protocol name");
    int level = r.u8("protocol level");
    MqttVersion version = version(name, level);
    try {
      return decodeConnect(r, version);
    } catch (MqttDecodeException e) {
      // the version is known from here on: the engine may answer in its CONNACK format
      throw e.inConnect(version);
    }
  }

  /** The rest of a CONNECT, after its protocol name and level said {@code version}. */
  private static Connect decodeConnect(WireReader r, MqttVersion version)
      throws MqttDecodeException {
    boolean v5 = version.isV5();
    int flags = r.u8("connect flags");
    if ((flags & 0x01) != 0) {
      throw MqttDecodeException.malformed("[MQTT-3.1.2-3] the reserved connect flag must be 0");
    }
    boolean cleanStart = (flags & 0x02) != 0;
    boolean willFlag = (flags & 0x04) != 0;
    int willQos = (flags >>> 3) & 0x03;
    boolean willRetain = (flags & 0x20) != 0;
    boolean passwordFlag = (flags & 0x40) != 0;
    boolean usernameFlag = (flags & 0x80) != 0;
    // The will rules have different statement numbers in 3.1.1 and 5.0.
    if (!willFlag && willQos != 0) {
      throw MqttDecodeException.malformed(
          (v5 ? "[MQTT-3.1.2-11]" : "[MQTT-3.1.2-13]")
              + " the will QoS must be 0 when the will flag is 0");
    }
    if (!willFlag && willRetain) {
      throw MqttDecodeException.malformed(
          (v5 ? "[MQTT-3.1.2-13]" : "[MQTT-3.1.2-15]")
              + " will retain must be 0 when the will flag is 0");
    }
    if (willQos == 3) {
      throw MqttDecodeException.malformed(
          (v5 ? "[MQTT-3.1.2-12]" : "[MQTT-3.1.2-14]") + " the will QoS must not be 3");
    }
    if (!v5 && passwordFlag && !usernameFlag) {
      throw MqttDecodeException.malformed(
          "[MQTT-3.1.2-22] the password flag must be 0 when the user name flag is 0");
    }
    int keepAlive = r.u16("keep alive");
    Properties properties =
        v5
            ? PropertiesCodec.read(r, PropertiesCodec.context(PacketType.CONNECT), "CONNECT")
            : Properties.NONE;
    String clientId = r.utf8("client identifier");
    Will will = null;
    if (willFlag) {
      Properties willProperties =
          v5 ? PropertiesCodec.read(r, PropertiesCodec.WILL, "will properties") : Properties.NONE;
      TopicName willTopic = r.topicName("will topic", false);
      Bytes willPayload = r.binary("will payload");
      will = new Will(willTopic, willPayload, QoS.of(willQos), willRetain, willProperties);
    }
    String username = usernameFlag ? r.utf8("user name") : null;
    Bytes password = passwordFlag ? r.binary("password") : null;
    r.expectEnd("CONNECT");
    return new Connect(
        version, clientId, cleanStart, keepAlive, username, password, will, properties);
  }

  /**
   * The version a protocol name and level name. Both failures use Unsupported Protocol Version,
   * which the spec lets the server answer in a CONNACK before closing [MQTT-3.1.2-1],
   * [MQTT-3.1.2-2].
   */
  private static MqttVersion version(String name, int level) throws MqttDecodeException {
    if (name.equals("MQTT")) {
      if (level == 4) {
        return MqttVersion.V3_1_1;
      } else if (level == 5) {
        return MqttVersion.V5;
      }
    } else if (name.equals("MQIsdp")) {
      if (level == 3) {
        return MqttVersion.V3_1;
      }
    } else {
      throw new MqttDecodeException(
          ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
          "[MQTT-3.1.2-1] unknown protocol name '" + name + "'");
    }
    throw new MqttDecodeException(
        ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
        "[MQTT-3.1.2-2] unsupported protocol level " + level + " for protocol name " + name);
  }

  private static ConnAck decodeConnAck(WireReader r, MqttVersion version)
      throws MqttDecodeException {
    int ackFlags = r.u8("connect acknowledge flags");
    boolean sessionPresent = false;
    if (version != MqttVersion.V3_1) { // in 3.1 the whole byte is reserved and unused
      if ((ackFlags & 0xFE) != 0) {
        throw MqttDecodeException.malformed(
            "[MQTT-3.2.2-1] bits 7-1 of the connect acknowledge flags are reserved and must be 0");
      }
      sessionPresent = (ackFlags & 0x01) != 0;
    }
    int code = r.u8(version.isV5() ? "reason code" : "return code");
    ReasonCode reason;
    Properties properties = Properties.NONE;
    if (version.isV5()) {
      reason = ReasonCode.decode(code, PacketType.CONNACK);
      if (reason == null) {
        throw invalidReason(code, PacketType.CONNACK);
      }
      properties = PropertiesCodec.read(r, PropertiesCodec.context(PacketType.CONNACK), "CONNACK");
    } else {
      reason = ReasonCode.fromV3ConnectReturnCode(code);
      if (reason == null) {
        throw MqttDecodeException.malformed(
            "[MQTT 3.1.1 §3.2.2.3] CONNACK return code " + code + " is reserved");
      }
    }
    if (sessionPresent && reason != ReasonCode.SUCCESS) {
      throw MqttDecodeException.protocolError(
          (version.isV5() ? "[MQTT-3.2.2-6]" : "[MQTT-3.2.2-4]")
              + " session present must be 0 in a CONNACK that refuses the connection");
    }
    r.expectEnd("CONNACK");
    return new ConnAck(sessionPresent, reason, properties);
  }

  // ---------------------------------------------------------------- PUBLISH

  /** The hot path: no allocation but the topic string, the payload copy and the records. */
  private static Publish decodePublish(WireReader r, int flags, MqttVersion version, boolean owned)
      throws MqttDecodeException {
    int qosValue = (flags >>> 1) & 0x03;
    if (qosValue == 3) {
      throw MqttDecodeException.malformed("[MQTT-3.3.1-4] a PUBLISH must not have QoS 3");
    }
    boolean dup = (flags & 0x08) != 0;
    if (dup && qosValue == 0) {
      throw MqttDecodeException.malformed("[MQTT-3.3.1-2] DUP must be 0 in a QoS 0 PUBLISH");
    }
    boolean v5 = version.isV5();
    TopicName topic = r.topicName("topic name", v5);
    int packetId = qosValue == 0 ? 0 : packetId(r, PacketType.PUBLISH);
    Properties properties = Properties.NONE;
    if (v5) {
      if (r.skipZeroByte()) {
        // property length 0, the common case, read without leaving this method
      } else {
        // a separate reader, so that this one never escapes into a method the JIT keeps apart
        WireReader propertiesReader = r.fork();
        properties = PropertiesCodec.read(propertiesReader, PUBLISH_PROPERTIES, "PUBLISH");
        r.moveTo(propertiesReader);
      }
    }
    if (topic.isEmpty() && properties.topicAlias() == null) {
      throw MqttDecodeException.protocolError(
          "[MQTT 5.0 §3.3.2.1] a zero length topic name needs a topic alias");
    }
    return new Publish(
        topic,
        QoS.of(qosValue),
        (flags & 0x01) != 0,
        dup,
        packetId,
        owned ? r.restOwned() : r.rest(),
        properties);
  }

  // ---------------------------------------------------------------- PUBACK, PUBREC, PUBREL,
  // PUBCOMP

  /** In 3.1/3.1.1 an acknowledgement is exactly its packet id. */
  private static int endOfV3Ack(WireReader r, int packetId, PacketType type)
      throws MqttDecodeException {
    r.expectEnd(type.toString());
    return packetId;
  }

  /** §3.4.2.1: a remaining length of 2 means Success. */
  private static ReasonCode ackReason(WireReader r, PacketType type) throws MqttDecodeException {
    if (!r.hasRemaining()) {
      return ReasonCode.SUCCESS;
    }
    int code = r.u8("reason code");
    ReasonCode reason = ReasonCode.decode(code, type);
    if (reason == null) {
      throw invalidReason(code, type);
    }
    return reason;
  }

  /** §3.4.2.2.1: with a remaining length below 4 there are no properties. */
  private static Properties ackProperties(WireReader r, PacketType type)
      throws MqttDecodeException {
    Properties properties =
        r.hasRemaining()
            ? PropertiesCodec.read(r, PropertiesCodec.context(type), type.toString())
            : Properties.NONE;
    r.expectEnd(type.toString());
    return properties;
  }

  private static MqttDecodeException invalidReason(int code, PacketType type) {
    return MqttDecodeException.malformed(
        "[MQTT 5.0 §2.4] 0x"
            + Integer.toHexString(code)
            + " is not a reason code "
            + type
            + " may carry");
  }

  // ---------------------------------------------------------------- SUBSCRIBE, SUBACK

  private static Subscribe decodeSubscribe(WireReader r, MqttVersion version)
      throws MqttDecodeException {
    int packetId = packetId(r, PacketType.SUBSCRIBE);
    boolean v5 = version.isV5();
    Properties properties =
        v5
            ? PropertiesCodec.read(r, PropertiesCodec.context(PacketType.SUBSCRIBE), "SUBSCRIBE")
            : Properties.NONE;
    List<TopicSubscription> subscriptions = new ArrayList<>();
    while (r.hasRemaining()) {
      TopicFilter filter = r.topicFilter("topic filter");
      int options = r.u8("subscription options");
      subscriptions.add(v5 ? v5Subscription(filter, options) : v3Subscription(filter, options));
    }
    if (subscriptions.isEmpty()) {
      throw MqttDecodeException.protocolError(
          "[MQTT-3.8.3-3] a SUBSCRIBE must contain at least one topic filter");
    }
    return new Subscribe(packetId, subscriptions, properties);
  }

  private static TopicSubscription v3Subscription(TopicFilter filter, int options)
      throws MqttDecodeException {
    // 3.1.1 [MQTT-3-8.3-4] (sic): reserved bits non-zero or QoS 3 make a malformed packet
    if ((options & 0xFC) != 0) {
      throw MqttDecodeException.malformed(
          "[MQTT-3-8.3-4] the reserved bits of the requested QoS byte must be 0");
    }
    if (options == 3) {
      throw MqttDecodeException.malformed("[MQTT-3-8.3-4] the requested QoS must not be 3");
    }
    return new TopicSubscription(filter, QoS.of(options));
  }

  private static TopicSubscription v5Subscription(TopicFilter filter, int options)
      throws MqttDecodeException {
    if ((options & 0xC0) != 0) {
      throw MqttDecodeException.malformed(
          "[MQTT-3.8.3-5] bits 7-6 of the subscription options are reserved and must be 0");
    }
    int qos = options & 0x03;
    if (qos == 3) {
      throw MqttDecodeException.protocolError(
          "[MQTT 5.0 §3.8.3.1] a maximum QoS of 3 is a Protocol Error");
    }
    boolean noLocal = (options & 0x04) != 0;
    if (noLocal && filter.isShared()) {
      throw MqttDecodeException.protocolError(
          "[MQTT-3.8.3-4] No Local must not be 1 on a shared subscription");
    }
    int retainHandling = (options >>> 4) & 0x03;
    if (retainHandling == 3) {
      throw MqttDecodeException.protocolError(
          "[MQTT 5.0 §3.8.3.1] a retain handling of 3 is a Protocol Error");
    }
    return new TopicSubscription(
        filter, QoS.of(qos), noLocal, (options & 0x08) != 0, RetainHandling.of(retainHandling));
  }

  private static SubAck decodeSubAck(WireReader r, MqttVersion version) throws MqttDecodeException {
    int packetId = packetId(r, PacketType.SUBACK);
    boolean v5 = version.isV5();
    Properties properties =
        v5
            ? PropertiesCodec.read(r, PropertiesCodec.context(PacketType.SUBACK), "SUBACK")
            : Properties.NONE;
    List<ReasonCode> codes = new ArrayList<>();
    while (r.hasRemaining()) {
      int code = r.u8("reason code");
      ReasonCode reason;
      if (v5) {
        reason = ReasonCode.decode(code, PacketType.SUBACK);
        if (reason == null) {
          throw invalidReason(code, PacketType.SUBACK);
        }
      } else if (code <= 2) {
        reason = ReasonCode.granted(QoS.of(code));
      } else if (code == 0x80) {
        reason = ReasonCode.UNSPECIFIED_ERROR;
      } else {
        throw MqttDecodeException.malformed(
            "[MQTT-3.9.3-2] SUBACK return code 0x" + Integer.toHexString(code) + " is reserved");
      }
      codes.add(reason);
    }
    if (codes.isEmpty()) {
      throw MqttDecodeException.protocolError(
          "[MQTT-3.9.3-1] a SUBACK must contain one reason code per topic filter");
    }
    return new SubAck(packetId, codes, properties);
  }

  // ---------------------------------------------------------------- UNSUBSCRIBE, UNSUBACK

  private static Unsubscribe decodeUnsubscribe(WireReader r, MqttVersion version)
      throws MqttDecodeException {
    int packetId = packetId(r, PacketType.UNSUBSCRIBE);
    Properties properties =
        version.isV5()
            ? PropertiesCodec.read(
                r, PropertiesCodec.context(PacketType.UNSUBSCRIBE), "UNSUBSCRIBE")
            : Properties.NONE;
    List<TopicFilter> filters = new ArrayList<>();
    while (r.hasRemaining()) {
      filters.add(r.topicFilter("topic filter"));
    }
    if (filters.isEmpty()) {
      throw MqttDecodeException.protocolError(
          "[MQTT-3.10.3-2] an UNSUBSCRIBE must contain at least one topic filter");
    }
    return new Unsubscribe(packetId, filters, properties);
  }

  private static UnsubAck decodeUnsubAck(WireReader r, MqttVersion version)
      throws MqttDecodeException {
    int packetId = packetId(r, PacketType.UNSUBACK);
    if (!version.isV5()) {
      r.expectEnd("UNSUBACK");
      return new UnsubAck(packetId, List.of(), Properties.NONE);
    }
    Properties properties =
        PropertiesCodec.read(r, PropertiesCodec.context(PacketType.UNSUBACK), "UNSUBACK");
    List<ReasonCode> codes = new ArrayList<>();
    while (r.hasRemaining()) {
      int code = r.u8("reason code");
      ReasonCode reason = ReasonCode.decode(code, PacketType.UNSUBACK);
      if (reason == null) {
        throw invalidReason(code, PacketType.UNSUBACK);
      }
      codes.add(reason);
    }
    if (codes.isEmpty()) {
      throw MqttDecodeException.protocolError(
          "[MQTT-3.11.3-1] an UNSUBACK must contain one reason code per topic filter");
    }
    return new UnsubAck(packetId, codes, properties);
  }

  // ---------------------------------------------------------------- DISCONNECT, AUTH

  private static Disconnect decodeDisconnect(WireReader r, MqttVersion version)
      throws MqttDecodeException {
    if (!version.isV5() || !r.hasRemaining()) {
      r.expectEnd("DISCONNECT");
      return Disconnect.NORMAL; // §3.14.2.1: no reason code means Normal disconnection
    }
    int code = r.u8("reason code");
    ReasonCode reason = ReasonCode.decode(code, PacketType.DISCONNECT);
    if (reason == null) {
      throw invalidReason(code, PacketType.DISCONNECT);
    }
    // §3.14.2.2.1: with a remaining length below 2 there are no properties
    Properties properties =
        r.hasRemaining()
            ? PropertiesCodec.read(r, PropertiesCodec.context(PacketType.DISCONNECT), "DISCONNECT")
            : Properties.NONE;
    r.expectEnd("DISCONNECT");
    return reason == ReasonCode.NORMAL_DISCONNECTION && properties == Properties.NONE
        ? Disconnect.NORMAL
        : new Disconnect(reason, properties);
  }

  private static Auth decodeAuth(WireReader r, MqttVersion version) throws MqttDecodeException {
    if (!version.isV5()) {
      throw MqttDecodeException.malformed(
          "[MQTT 3.1.1 §2.2.1] packet type 15 is reserved before MQTT 5");
    }
    if (!r.hasRemaining()) {
      return new Auth(ReasonCode.SUCCESS, Properties.NONE); // §3.15.2.1
    }
    int code = r.u8("reason code");
    ReasonCode reason = ReasonCode.decode(code, PacketType.AUTH);
    if (reason == null) {
      throw invalidReason(code, PacketType.AUTH);
    }
    Properties properties =
        r.hasRemaining()
            ? PropertiesCodec.read(r, PropertiesCodec.context(PacketType.AUTH), "AUTH")
            : Properties.NONE;
    r.expectEnd("AUTH");
    return new Auth(reason, properties);
  }
}
