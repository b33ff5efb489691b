package dev.stratus.codec;

import java.util.List;

/**
 * Encodes packets: computes the exact size first, then writes once into a buffer of that size.
 *
 * <p>Version differences handled here: 3.1/3.1.1 packets carry no properties and few reason codes
 * (a v3 CONNACK writes {@link ReasonCode#v3ConnectReturnCode()}, a v3 SUBACK writes any failure as
 * 0x80 [MQTT-3.9.3-2]); MQTT 5 acknowledgements use the short forms the spec allows: PUBACK,
 * PUBREC, PUBREL and PUBCOMP with Success and no properties have 2 bytes of variable header
 * (§3.4.2.1), DISCONNECT with Normal disconnection and no properties and AUTH with Success and no
 * properties have a remaining length of 0 (§3.14.2.1, §3.15.2.1).
 *
 * <p>Invalid packets from the programmer (a string longer than 65,535 bytes, a packet id out of
 * range, AUTH in 3.1.1, a 3.1.1 password without user name) throw {@link IllegalArgumentException}.
 */
public final class PacketEncoder {
  private PacketEncoder() {}

  /**
   * The number of bytes {@code packet} takes on the wire in {@code version}, fixed header included.
   * A {@link Connect} is always encoded in its own {@link Connect#version()}.
   */
  public static int encodedSize(Packet packet, MqttVersion version) {
    int remaining = remainingLength(packet, version);
    return 1 + VariableByteInteger.size(remaining) + remaining;
  }

  /** Encodes {@code packet} for {@code version} into a new, exactly sized array. */
  public static byte[] encode(Packet packet, MqttVersion version) {
    int remaining = remainingLength(packet, version);
    return write(packet, version, remaining);
  }

  /**
   * Encodes {@code packet}, refusing it when it exceeds the receiver's maximum packet size
   * [MQTT-3.1.2-24], [MQTT-3.1.2-25].
   *
   * @throws PacketTooLargeException when the encoded size is above {@code maximumPacketSize}
   */
  public static byte[] encode(Packet packet, MqttVersion version, long maximumPacketSize) {
    int remaining = remainingLength(packet, version);
    long size = 1L + VariableByteInteger.size(remaining) + remaining;
    if (size > maximumPacketSize) {
      throw new PacketTooLargeException(size, maximumPacketSize);
    }
    return write(packet, version, remaining);
  }

  private static byte[] write(Packet packet, MqttVersion version, int remaining) {
    byte[] out = new byte[1 + VariableByteInteger.size(remaining) + remaining];
    WireWriter w = new WireWriter(out);
    w.u8(firstByte(packet));
    w.vbi(remaining);
    writeBody(w, packet, version);
    if (w.position() != out.length) {
      throw new IllegalStateException(
          "encoder bug: wrote " + w.position() + " bytes of " + out.length + " for " + packet);
    }
    return out;
  }

  // ---------------------------------------------------------------- sizes

  /** The size of a UTF-8 encoded string with its two byte length. */
  static int stringSize(String s) {
    int n = Utf8.encodedLength(s);
    if (n > 65_535) {
      throw new IllegalArgumentException(
          "[MQTT-1.5.4] a UTF-8 string is at most 65,535 bytes, not " + n);
    }
    return 2 + n;
  }

  /** The size of binary data with its two byte length. */
  static int binarySize(Bytes b) {
    if (b.length() > 65_535) {
      throw new IllegalArgumentException(
          "[MQTT 5.0 §1.5.6] binary data is at most 65,535 bytes, not " + b.length());
    }
    return 2 + b.length();
  }

  private static int remainingLength(Packet packet, MqttVersion v) {
    long n =
        switch (packet) {
          case Connect c -> connectLength(c);
          case ConnAck c -> v.isV5() ? 2 + PropertiesCodec.sizeWithLength(c.properties()) : 2;
          case Publish p -> publishLength(p, v);
          case PubAck p -> ackLength(p.packetId(), p.reasonCode(), p.properties(), v);
          case PubRec p -> ackLength(p.packetId(), p.reasonCode(), p.properties(), v);
          case PubRel p -> ackLength(p.packetId(), p.reasonCode(), p.properties(), v);
          case PubComp p -> ackLength(p.packetId(), p.reasonCode(), p.properties(), v);
          case Subscribe s -> subscribeLength(s, v);
          case SubAck s -> 2 + propertiesLength(s.properties(), v) + s.reasonCodes().size();
          case Unsubscribe u -> unsubscribeLength(u, v);
          case UnsubAck u ->
              v.isV5()
                  ? 2 + PropertiesCodec.sizeWithLength(u.properties()) + u.reasonCodes().size()
                  : 2;
          case PingReq p -> 0;
          case PingResp p -> 0;
          case Disconnect d -> v.isV5() ? shortFormLength(d.reasonCode(), d.properties()) : 0;
          case Auth a -> {
            if (!v.isV5()) {
              throw new IllegalArgumentException("AUTH exists only in MQTT 5");
            }
            yield shortFormLength(a.reasonCode(), a.properties());
          }
        };
    if (n > VariableByteInteger.MAX) {
      throw new PacketTooLargeException(
          1 + 4 + n,
          1 + VariableByteInteger.size(VariableByteInteger.MAX) + VariableByteInteger.MAX);
    }
    return (int) n;
  }

  private static int propertiesLength(Properties p, MqttVersion v) {
    return v.isV5() ? PropertiesCodec.sizeWithLength(p) : 0;
  }

  private static long connectLength(Connect c) {
    MqttVersion v = c.version();
    long n = stringSize(v.protocolName()) + 1 + 1 + 2; // name, level, flags, keep alive
    n += propertiesLength(c.properties(), v);
    n += stringSize(c.clientId());
    Will will = c.will();
    if (will != null) {
      n += propertiesLength(will.properties(), v);
      n += stringSize(will.topic().value());
      n += binarySize(will.payload());
    }
    if (c.username() != null) {
      n += stringSize(c.username());
    } else if (c.password() != null && !v.isV5()) {
      throw new IllegalArgumentException(
          "[MQTT-3.1.2-22] a 3.1/3.1.1 CONNECT with a password needs a user name");
    }
    if (c.password() != null) {
      n += binarySize(c.password());
    }
    return n;
  }

  private static long publishLength(Publish p, MqttVersion v) {
    if (p.qos() == QoS.AT_MOST_ONCE) {
      if (p.packetId() != 0) {
        throw new IllegalArgumentException(
            "[MQTT-2.2.1-2] a QoS 0 PUBLISH has no packet id, not " + p.packetId());
      }
    } else {
      checkPacketId(p.packetId());
    }
    if (p.topic().isEmpty() && (!v.isV5() || p.properties().topicAlias() == null)) {
      throw new IllegalArgumentException(
          "[MQTT-3.3.2-1] an empty topic name needs a v5 topic alias");
    }
    long n = stringSize(p.topic().value());
    if (p.qos() != QoS.AT_MOST_ONCE) {
      n += 2;
    }
    n += propertiesLength(p.properties(), v);
    return n + p.payload().length();
  }

  private static int ackLength(int packetId, ReasonCode rc, Properties props, MqttVersion v) {
    checkPacketId(packetId);
    if (!v.isV5()) {
      return 2;
    }
    int propertiesSize = PropertiesCodec.size(props);
    if (propertiesSize == 0) {
      // §3.4.2.1: the reason code may be left out for Success, the property length when empty
      return rc == ReasonCode.SUCCESS ? 2 : 3;
    }
    return 3 + VariableByteInteger.size(propertiesSize) + propertiesSize;
  }

  /** DISCONNECT and AUTH: remaining length 0 for code 0x00 without properties. */
  private static int shortFormLength(ReasonCode rc, Properties props) {
    int propertiesSize = PropertiesCodec.size(props);
    if (propertiesSize == 0) {
      return rc.code() == 0 ? 0 : 1;
    }
    return 1 + VariableByteInteger.size(propertiesSize) + propertiesSize;
  }

  private static long subscribeLength(Subscribe s, MqttVersion v) {
    checkPacketId(s.packetId());
    long n = 2 + propertiesLength(s.properties(), v);
    for (TopicSubscription sub : s.subscriptions()) {
      n += stringSize(sub.filter().value()) + 1;
    }
    return n;
  }

  private static long unsubscribeLength(Unsubscribe u, MqttVersion v) {
    checkPacketId(u.packetId());
    long n = 2 + propertiesLength(u.properties(), v);
    for (TopicFilter f : u.filters()) {
      n += stringSize(f.value());
    }
    return n;
  }

  private static void checkPacketId(int packetId) {
    if (packetId < 1 || packetId > 65_535) {
      throw new IllegalArgumentException(
          "[MQTT-2.2.1-3] a packet id is in 1..65535, not " + packetId);
    }
  }

  // ---------------------------------------------------------------- writing

  /** The fixed header's first byte: type and flags [MQTT-2.1.3-1]. */
  private static int firstByte(Packet packet) {
    int type = packet.type().value() << 4;
    return switch (packet) {
      case Publish p ->
          type | (p.dup() ? 0x08 : 0) | (p.qos().value() << 1) | (p.retain() ? 0x01 : 0);
      // [MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1]: reserved flags 0010
      case PubRel p -> type | 0x02;
      case Subscribe s -> type | 0x02;
      case Unsubscribe u -> type | 0x02;
      case Connect c -> type;
      case ConnAck c -> type;
      case PubAck p -> type;
      case PubRec p -> type;
      case PubComp p -> type;
      case SubAck s -> type;
      case UnsubAck u -> type;
      case PingReq p -> type;
      case PingResp p -> type;
      case Disconnect d -> type;
      case Auth a -> type;
    };
  }

  private static void writeBody(WireWriter w, Packet packet, MqttVersion v) {
    switch (packet) {
      case Connect c -> writeConnect(w, c);
      case ConnAck c -> writeConnAck(w, c, v);
      case Publish p -> writePublish(w, p, v);
      case PubAck p -> writeAck(w, p.packetId(), p.reasonCode(), p.properties(), v);
      case PubRec p -> writeAck(w, p.packetId(), p.reasonCode(), p.properties(), v);
      case PubRel p -> writeAck(w, p.packetId(), p.reasonCode(), p.properties(), v);
      case PubComp p -> writeAck(w, p.packetId(), p.reasonCode(), p.properties(), v);
      case Subscribe s -> writeSubscribe(w, s, v);
      case SubAck s -> writeSubAck(w, s, v);
      case Unsubscribe u -> writeUnsubscribe(w, u, v);
      case UnsubAck u -> writeUnsubAck(w, u, v);
      case PingReq p -> {}
      case PingResp p -> {}
      case Disconnect d -> {
        if (v.isV5()) {
          writeShortForm(w, d.reasonCode(), d.properties());
        }
      }
      case Auth a -> writeShortForm(w, a.reasonCode(), a.properties());
    }
  }

  private static void writeProperties(WireWriter w, Properties p, MqttVersion v) {
    if (v.isV5()) {
      PropertiesCodec.write(w, p, PropertiesCodec.size(p));
    }
  }

  private static void writeConnect(WireWriter w, Connect c) {
    MqttVersion v = c.version();
    w.utf8(v.protocolName());
    w.u8(v.level());
    Will will = c.will();
    int flags = c.cleanStart() ? 0x02 : 0;
    if (will != null) {
      flags |= 0x04 | (will.qos().value() << 3) | (will.retain() ? 0x20 : 0);
    }
    if (c.password() != null) {
      flags |= 0x40;
    }
    if (c.username() != null) {
      flags |= 0x80;
    }
    w.u8(flags);
    w.u16(c.keepAliveSeconds());
    writeProperties(w, c.properties(), v);
    w.utf8(c.clientId());
    if (will != null) {
      writeProperties(w, will.properties(), v);
      w.utf8(will.topic().value());
      w.binary(will.payload());
    }
    if (c.username() != null) {
      w.utf8(c.username());
    }
    if (c.password() != null) {
      w.binary(c.password());
    }
  }

  private static void writeConnAck(WireWriter w, ConnAck c, MqttVersion v) {
    // 3.1 has no session present flag: its acknowledge flags byte is reserved
    w.u8(c.sessionPresent() && v != MqttVersion.V3_1 ? 0x01 : 0x00);
    if (v.isV5()) {
      w.u8(c.reasonCode().code());
      writeProperties(w, c.properties(), v);
    } else {
      w.u8(c.reasonCode().v3ConnectReturnCode());
    }
  }

  private static void writePublish(WireWriter w, Publish p, MqttVersion v) {
    w.utf8(p.topic().value());
    if (p.qos() != QoS.AT_MOST_ONCE) {
      w.u16(p.packetId());
    }
    writeProperties(w, p.properties(), v);
    w.raw(p.payload());
  }

  private static void writeAck(
      WireWriter w, int packetId, ReasonCode rc, Properties props, MqttVersion v) {
    w.u16(packetId);
    if (!v.isV5()) {
      return;
    }
    int propertiesSize = PropertiesCodec.size(props);
    if (propertiesSize == 0) {
      if (rc != ReasonCode.SUCCESS) {
        w.u8(rc.code());
      }
      return;
    }
    w.u8(rc.code());
    PropertiesCodec.write(w, props, propertiesSize);
  }

  private static void writeShortForm(WireWriter w, ReasonCode rc, Properties props) {
    int propertiesSize = PropertiesCodec.size(props);
    if (propertiesSize == 0) {
      if (rc.code() != 0) {
        w.u8(rc.code());
      }
      return;
    }
    w.u8(rc.code());
    PropertiesCodec.write(w, props, propertiesSize);
  }

  private static void writeSubscribe(WireWriter w, Subscribe s, MqttVersion v) {
    w.u16(s.packetId());
    writeProperties(w, s.properties(), v);
    for (TopicSubscription sub : s.subscriptions()) {
      w.utf8(sub.filter().value());
      int options = sub.maxQos().value();
      if (v.isV5()) {
        // §3.8.3.1: bit 2 No Local, bit 3 Retain As Published, bits 4-5 Retain Handling
        options |=
            (sub.noLocal() ? 0x04 : 0)
                | (sub.retainAsPublished() ? 0x08 : 0)
                | (sub.retainHandling().value() << 4);
      }
      w.u8(options);
    }
  }

  private static void writeSubAck(WireWriter w, SubAck s, MqttVersion v) {
    checkPacketId(s.packetId());
    w.u16(s.packetId());
    writeProperties(w, s.properties(), v);
    List<ReasonCode> codes = s.reasonCodes();
    for (ReasonCode rc : codes) {
      w.u8(v.isV5() || (!rc.isError() && rc.code() <= 2) ? rc.code() : 0x80);
    }
  }

  private static void writeUnsubscribe(WireWriter w, Unsubscribe u, MqttVersion v) {
    w.u16(u.packetId());
    writeProperties(w, u.properties(), v);
    for (TopicFilter f : u.filters()) {
      w.utf8(f.value());
    }
  }

  private static void writeUnsubAck(WireWriter w, UnsubAck u, MqttVersion v) {
    checkPacketId(u.packetId());
    w.u16(u.packetId());
    if (v.isV5()) {
      writeProperties(w, u.properties(), v);
      for (ReasonCode rc : u.reasonCodes()) {
        w.u8(rc.code());
      }
    }
  }
}
