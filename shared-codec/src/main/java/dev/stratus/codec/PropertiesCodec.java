package dev.stratus.codec;

import static dev.stratus.codec.Properties.Id.ASSIGNED_CLIENT_IDENTIFIER;
import static dev.stratus.codec.Properties.Id.AUTHENTICATION_DATA;
import static dev.stratus.codec.Properties.Id.AUTHENTICATION_METHOD;
import static dev.stratus.codec.Properties.Id.CONTENT_TYPE;
import static dev.stratus.codec.Properties.Id.CORRELATION_DATA;
import static dev.stratus.codec.Properties.Id.MAXIMUM_PACKET_SIZE;
import static dev.stratus.codec.Properties.Id.MAXIMUM_QOS;
import static dev.stratus.codec.Properties.Id.MESSAGE_EXPIRY_INTERVAL;
import static dev.stratus.codec.Properties.Id.PAYLOAD_FORMAT_INDICATOR;
import static dev.stratus.codec.Properties.Id.REASON_STRING;
import static dev.stratus.codec.Properties.Id.RECEIVE_MAXIMUM;
import static dev.stratus.codec.Properties.Id.REQUEST_PROBLEM_INFORMATION;
import static dev.stratus.codec.Properties.Id.REQUEST_RESPONSE_INFORMATION;
import static dev.stratus.codec.Properties.Id.RESPONSE_INFORMATION;
import static dev.stratus.codec.Properties.Id.RESPONSE_TOPIC;
import static dev.stratus.codec.Properties.Id.RETAIN_AVAILABLE;
import static dev.stratus.codec.Properties.Id.SERVER_KEEP_ALIVE;
import static dev.stratus.codec.Properties.Id.SERVER_REFERENCE;
import static dev.stratus.codec.Properties.Id.SESSION_EXPIRY_INTERVAL;
import static dev.stratus.codec.Properties.Id.SHARED_SUBSCRIPTION_AVAILABLE;
import static dev.stratus.codec.Properties.Id.SUBSCRIPTION_IDENTIFIERS;
import static dev.stratus.codec.Properties.Id.SUBSCRIPTION_IDENTIFIER_AVAILABLE;
import static dev.stratus.codec.Properties.Id.TOPIC_ALIAS;
import static dev.stratus.codec.Properties.Id.TOPIC_ALIAS_MAXIMUM;
import static dev.stratus.codec.Properties.Id.USER_PROPERTIES;
import static dev.stratus.codec.Properties.Id.WILDCARD_SUBSCRIPTION_AVAILABLE;
import static dev.stratus.codec.Properties.Id.WILL_DELAY_INTERVAL;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes MQTT 5 properties (MQTT 5.0 §2.2.2).
 *
 * <p>Decoding rules, from §2.2.2.2 and each packet's property section:
 *
 * <ul>
 *   <li>A property not valid for the packet (table in §2.2.2.2), or an unknown identifier, makes a
 *       Malformed Packet.
 *   <li>A property present twice is a Protocol Error, except User Property, and Subscription
 *       Identifier in PUBLISH (one per matching subscription [MQTT-3.3.4-4]).
 *   <li>Values outside their range are a Protocol Error: Receive Maximum 0, Maximum Packet Size 0,
 *       Topic Alias 0, Subscription Identifier 0, a "byte 0 or 1" property with another value;
 *       Authentication Data without Authentication Method.
 * </ul>
 */
final class PropertiesCodec {
  private PropertiesCodec() {}

  /** The property set of a will (CONNECT payload): a context beside the packet types. */
  static final int WILL = 1 << 16;

  private static final int CONNECT = bit(PacketType.CONNECT);
  private static final int CONNACK = bit(PacketType.CONNACK);
  private static final int PUBLISH = bit(PacketType.PUBLISH);
  private static final int PUBACK = bit(PacketType.PUBACK);
  private static final int PUBREC = bit(PacketType.PUBREC);
  private static final int PUBREL = bit(PacketType.PUBREL);
  private static final int PUBCOMP = bit(PacketType.PUBCOMP);
  private static final int SUBSCRIBE = bit(PacketType.SUBSCRIBE);
  private static final int SUBACK = bit(PacketType.SUBACK);
  private static final int UNSUBSCRIBE = bit(PacketType.UNSUBSCRIBE);
  private static final int UNSUBACK = bit(PacketType.UNSUBACK);
  private static final int DISCONNECT = bit(PacketType.DISCONNECT);
  private static final int AUTH = bit(PacketType.AUTH);

  /** Where each property identifier may appear (MQTT 5.0 §2.2.2.2, table 2-4). */
  private static final int[] ALLOWED = new int[0x2B];

  /** Property names for error messages. */
  private static final String[] NAMES = new String[0x2B];

  static {
    allow(PAYLOAD_FORMAT_INDICATOR, "Payload Format Indicator", PUBLISH | WILL);
    allow(MESSAGE_EXPIRY_INTERVAL, "Message Expiry Interval", PUBLISH | WILL);
    allow(CONTENT_TYPE, "Content Type", PUBLISH | WILL);
    allow(RESPONSE_TOPIC, "Response Topic", PUBLISH | WILL);
    allow(CORRELATION_DATA, "Correlation Data", PUBLISH | WILL);
    allow(SUBSCRIPTION_IDENTIFIERS, "Subscription Identifier", PUBLISH | SUBSCRIBE);
    allow(SESSION_EXPIRY_INTERVAL, "Session Expiry Interval", CONNECT | CONNACK | DISCONNECT);
    allow(ASSIGNED_CLIENT_IDENTIFIER, "Assigned Client Identifier", CONNACK);
    allow(SERVER_KEEP_ALIVE, "Server Keep Alive", CONNACK);
    allow(AUTHENTICATION_METHOD, "Authentication Method", CONNECT | CONNACK | AUTH);
    allow(AUTHENTICATION_DATA, "Authentication Data", CONNECT | CONNACK | AUTH);
    allow(REQUEST_PROBLEM_INFORMATION, "Request Problem Information", CONNECT);
    allow(WILL_DELAY_INTERVAL, "Will Delay Interval", WILL);
    allow(REQUEST_RESPONSE_INFORMATION, "Request Response Information", CONNECT);
    allow(RESPONSE_INFORMATION, "Response Information", CONNACK);
    allow(SERVER_REFERENCE, "Server Reference", CONNACK | DISCONNECT);
    allow(
        REASON_STRING,
        "Reason String",
        CONNACK | PUBACK | PUBREC | PUBREL | PUBCOMP | SUBACK | UNSUBACK | DISCONNECT | AUTH);
    allow(RECEIVE_MAXIMUM, "Receive Maximum", CONNECT | CONNACK);
    allow(TOPIC_ALIAS_MAXIMUM, "Topic Alias Maximum", CONNECT | CONNACK);
    allow(TOPIC_ALIAS, "Topic Alias", PUBLISH);
    allow(MAXIMUM_QOS, "Maximum QoS", CONNACK);
    allow(RETAIN_AVAILABLE, "Retain Available", CONNACK);
    allow(USER_PROPERTIES, "User Property", -1);
    allow(MAXIMUM_PACKET_SIZE, "Maximum Packet Size", CONNECT | CONNACK);
    allow(WILDCARD_SUBSCRIPTION_AVAILABLE, "Wildcard Subscription Available", CONNACK);
    allow(SUBSCRIPTION_IDENTIFIER_AVAILABLE, "Subscription Identifier Available", CONNACK);
    allow(SHARED_SUBSCRIPTION_AVAILABLE, "Shared Subscription Available", CONNACK);
  }

  private static int bit(PacketType type) {
    return 1 << type.value();
  }

  /** The context bit of a packet type, for {@link #read}. */
  static int context(PacketType type) {
    return bit(type);
  }

  private static void allow(int id, String name, int contexts) {
    ALLOWED[id] = contexts;
    NAMES[id] = name;
  }

  // ---------------------------------------------------------------- decoding

  /**
   * Reads a property length and the properties after it.
   *
   * @param context {@link #context(PacketType)} or {@link #WILL}
   * @param where the packet or structure, for error messages
   */
  static Properties read(WireReader r, int context, String where) throws MqttDecodeException {
    int length = r.vbi("property length of " + where);
    if (length == 0) {
      return Properties.NONE;
    }
    int outerEnd = r.narrow(length, "properties of " + where);
    Properties.Builder b = Properties.builder();
    List<UserProperty> userProperties = null;
    List<Integer> subscriptionIdentifiers = null;
    long seen = 0;
    while (r.hasRemaining()) {
      int id = r.vbi("property identifier");
      if (id >= ALLOWED.length || (ALLOWED[id] & context) == 0) {
        throw MqttDecodeException.malformed(
            "[MQTT 5.0 §2.2.2.2] "
                + (id < NAMES.length && NAMES[id] != null
                    ? "property " + NAMES[id]
                    : "unknown property identifier 0x" + Integer.toHexString(id))
                + " is not valid in "
                + where);
      }
      boolean repeatable =
          id == USER_PROPERTIES || (id == SUBSCRIPTION_IDENTIFIERS && context == PUBLISH);
      if (!repeatable) {
        if ((seen & (1L << id)) != 0) {
          throw MqttDecodeException.protocolError(
              "[MQTT 5.0 §2.2.2.2] it is a Protocol Error to include "
                  + NAMES[id]
                  + " more than once in "
                  + where);
        }
        seen |= 1L << id;
      }
      switch (id) {
        case PAYLOAD_FORMAT_INDICATOR -> b.payloadFormatIndicator(zeroOrOne(r, id));
        case MESSAGE_EXPIRY_INTERVAL -> b.messageExpiryInterval(r.u32(NAMES[id]));
        case CONTENT_TYPE -> b.contentType(r.utf8(NAMES[id]));
        case RESPONSE_TOPIC -> b.responseTopic(responseTopic(r));
        case CORRELATION_DATA -> b.correlationData(r.binary(NAMES[id]));
        case SUBSCRIPTION_IDENTIFIERS -> {
          int value = r.vbi(NAMES[id]);
          if (value == 0) {
            throw MqttDecodeException.protocolError(
                "[MQTT 5.0 §3.8.2.1.2] a Subscription Identifier of 0 is a Protocol Error");
          }
          if (subscriptionIdentifiers == null) {
            subscriptionIdentifiers = new ArrayList<>(2);
          }
          subscriptionIdentifiers.add(value);
        }
        case SESSION_EXPIRY_INTERVAL -> b.sessionExpiryInterval(r.u32(NAMES[id]));
        case ASSIGNED_CLIENT_IDENTIFIER -> b.assignedClientIdentifier(r.utf8(NAMES[id]));
        case SERVER_KEEP_ALIVE -> b.serverKeepAlive(r.u16(NAMES[id]));
        case AUTHENTICATION_METHOD -> b.authenticationMethod(r.utf8(NAMES[id]));
        case AUTHENTICATION_DATA -> b.authenticationData(r.binary(NAMES[id]));
        case REQUEST_PROBLEM_INFORMATION -> b.requestProblemInformation(zeroOrOne(r, id));
        case WILL_DELAY_INTERVAL -> b.willDelayInterval(r.u32(NAMES[id]));
        case REQUEST_RESPONSE_INFORMATION -> b.requestResponseInformation(zeroOrOne(r, id));
        case RESPONSE_INFORMATION -> b.responseInformation(r.utf8(NAMES[id]));
        case SERVER_REFERENCE -> b.serverReference(r.utf8(NAMES[id]));
        case REASON_STRING -> b.reasonString(r.utf8(NAMES[id]));
        case RECEIVE_MAXIMUM -> b.receiveMaximum(nonZero16(r, id, "[MQTT 5.0 §3.1.2.11.3]"));
        case TOPIC_ALIAS_MAXIMUM -> b.topicAliasMaximum(r.u16(NAMES[id]));
        case TOPIC_ALIAS -> b.topicAlias(nonZero16(r, id, "[MQTT-3.3.2-8]"));
        case MAXIMUM_QOS -> b.maximumQos(zeroOrOne(r, id));
        case RETAIN_AVAILABLE -> b.retainAvailable(zeroOrOne(r, id));
        case USER_PROPERTIES -> {
          String name = r.utf8("User Property name");
          String value = r.utf8("User Property value");
          if (userProperties == null) {
            userProperties = new ArrayList<>(4);
          }
          userProperties.add(new UserProperty(name, value));
        }
        case MAXIMUM_PACKET_SIZE -> {
          long value = r.u32(NAMES[id]);
          if (value == 0) {
            throw MqttDecodeException.protocolError(
                "[MQTT 5.0 §3.1.2.11.4] a Maximum Packet Size of 0 is a Protocol Error");
          }
          b.maximumPacketSize(value);
        }
        case WILDCARD_SUBSCRIPTION_AVAILABLE -> b.wildcardSubscriptionAvailable(zeroOrOne(r, id));
        case SUBSCRIPTION_IDENTIFIER_AVAILABLE ->
            b.subscriptionIdentifierAvailable(zeroOrOne(r, id));
        case SHARED_SUBSCRIPTION_AVAILABLE -> b.sharedSubscriptionAvailable(zeroOrOne(r, id));
        default ->
            // unreachable: ALLOWED has no bit set for any other identifier
            throw MqttDecodeException.malformed("unknown property identifier " + id);
      }
    }
    r.restoreEnd(outerEnd);
    if ((seen & (1L << AUTHENTICATION_DATA)) != 0 && (seen & (1L << AUTHENTICATION_METHOD)) == 0) {
      throw MqttDecodeException.protocolError(
          "[MQTT 5.0 §3.1.2.11.10] Authentication Data without Authentication Method is a"
              + " Protocol Error");
    }
    if (userProperties != null) {
      b.userProperties(userProperties);
    }
    if (subscriptionIdentifiers != null) {
      b.subscriptionIdentifiers(subscriptionIdentifiers);
    }
    return b.build();
  }

  private static int zeroOrOne(WireReader r, int id) throws MqttDecodeException {
    int v = r.u8(NAMES[id]);
    if (v > 1) {
      throw MqttDecodeException.protocolError(
          "[MQTT 5.0 §2.2.2.2] " + NAMES[id] + " must be 0 or 1, not " + v);
    }
    return v;
  }

  private static int nonZero16(WireReader r, int id, String rule) throws MqttDecodeException {
    int v = r.u16(NAMES[id]);
    if (v == 0) {
      throw MqttDecodeException.protocolError(
          rule + " a " + NAMES[id] + " of 0 is a Protocol Error");
    }
    return v;
  }

  private static TopicName responseTopic(WireReader r) throws MqttDecodeException {
    try {
      return r.topicName("Response Topic", false);
    } catch (MqttDecodeException e) {
      if (e.reasonCode() != ReasonCode.TOPIC_NAME_INVALID) {
        throw e; // ill-formed UTF-8 or a truncated packet: Malformed
      }
      throw MqttDecodeException.protocolError(
          "[MQTT-3.3.2-14] the Response Topic must be a valid topic name: " + e.getMessage());
    }
  }

  // ---------------------------------------------------------------- encoding

  /** The size of the properties without their length prefix. */
  static int size(Properties p) {
    if (p == Properties.NONE) {
      return 0;
    }
    int n = 0;
    if (p.payloadFormatIndicator() != null) {
      n += 2;
    }
    if (p.messageExpiryInterval() != null) {
      n += 5;
    }
    n += stringSize(p.contentType());
    if (p.responseTopic() != null) {
      n += stringSize(p.responseTopic().value());
    }
    n += binarySize(p.correlationData());
    for (int id : p.subscriptionIdentifiers()) {
      n += 1 + VariableByteInteger.size(checkVbi(id));
    }
    if (p.sessionExpiryInterval() != null) {
      n += 5;
    }
    n += stringSize(p.assignedClientIdentifier());
    if (p.serverKeepAlive() != null) {
      n += 3;
    }
    n += stringSize(p.authenticationMethod());
    n += binarySize(p.authenticationData());
    if (p.requestProblemInformation() != null) {
      n += 2;
    }
    if (p.willDelayInterval() != null) {
      n += 5;
    }
    if (p.requestResponseInformation() != null) {
      n += 2;
    }
    n += stringSize(p.responseInformation());
    n += stringSize(p.serverReference());
    n += stringSize(p.reasonString());
    if (p.receiveMaximum() != null) {
      n += 3;
    }
    if (p.topicAliasMaximum() != null) {
      n += 3;
    }
    if (p.topicAlias() != null) {
      n += 3;
    }
    if (p.maximumQos() != null) {
      n += 2;
    }
    if (p.retainAvailable() != null) {
      n += 2;
    }
    for (UserProperty u : p.userProperties()) {
      n += 1 + PacketEncoder.stringSize(u.name()) + PacketEncoder.stringSize(u.value());
    }
    if (p.maximumPacketSize() != null) {
      n += 5;
    }
    if (p.wildcardSubscriptionAvailable() != null) {
      n += 2;
    }
    if (p.subscriptionIdentifierAvailable() != null) {
      n += 2;
    }
    if (p.sharedSubscriptionAvailable() != null) {
      n += 2;
    }
    return n;
  }

  /** The size with the length prefix, as a v5 packet carries it. */
  static int sizeWithLength(Properties p) {
    int n = size(p);
    return VariableByteInteger.size(n) + n;
  }

  private static int stringSize(String s) {
    return s == null ? 0 : 1 + PacketEncoder.stringSize(s);
  }

  private static int binarySize(Bytes b) {
    return b == null ? 0 : 1 + PacketEncoder.binarySize(b);
  }

  private static int checkVbi(int id) {
    if (id < 1 || id > VariableByteInteger.MAX) {
      throw new IllegalArgumentException(
          "a subscription identifier must be in 1..268,435,455, not " + id);
    }
    return id;
  }

  /** Writes the property length, then the properties, in identifier order. */
  static void write(WireWriter w, Properties p, int size) {
    w.vbi(size);
    if (size == 0) {
      return;
    }
    byteProperty(w, PAYLOAD_FORMAT_INDICATOR, p.payloadFormatIndicator());
    fourByteProperty(w, MESSAGE_EXPIRY_INTERVAL, p.messageExpiryInterval());
    stringProperty(w, CONTENT_TYPE, p.contentType());
    if (p.responseTopic() != null) {
      stringProperty(w, RESPONSE_TOPIC, p.responseTopic().value());
    }
    binaryProperty(w, CORRELATION_DATA, p.correlationData());
    for (int id : p.subscriptionIdentifiers()) {
      w.u8(SUBSCRIPTION_IDENTIFIERS);
      w.vbi(id);
    }
    fourByteProperty(w, SESSION_EXPIRY_INTERVAL, p.sessionExpiryInterval());
    stringProperty(w, ASSIGNED_CLIENT_IDENTIFIER, p.assignedClientIdentifier());
    twoByteProperty(w, SERVER_KEEP_ALIVE, p.serverKeepAlive());
    stringProperty(w, AUTHENTICATION_METHOD, p.authenticationMethod());
    binaryProperty(w, AUTHENTICATION_DATA, p.authenticationData());
    byteProperty(w, REQUEST_PROBLEM_INFORMATION, p.requestProblemInformation());
    fourByteProperty(w, WILL_DELAY_INTERVAL, p.willDelayInterval());
    byteProperty(w, REQUEST_RESPONSE_INFORMATION, p.requestResponseInformation());
    stringProperty(w, RESPONSE_INFORMATION, p.responseInformation());
    stringProperty(w, SERVER_REFERENCE, p.serverReference());
    stringProperty(w, REASON_STRING, p.reasonString());
    twoByteProperty(w, RECEIVE_MAXIMUM, p.receiveMaximum());
    twoByteProperty(w, TOPIC_ALIAS_MAXIMUM, p.topicAliasMaximum());
    twoByteProperty(w, TOPIC_ALIAS, p.topicAlias());
    byteProperty(w, MAXIMUM_QOS, p.maximumQos());
    byteProperty(w, RETAIN_AVAILABLE, p.retainAvailable());
    for (UserProperty u : p.userProperties()) {
      w.u8(USER_PROPERTIES);
      w.utf8(u.name());
      w.utf8(u.value());
    }
    fourByteProperty(w, MAXIMUM_PACKET_SIZE, p.maximumPacketSize());
    byteProperty(w, WILDCARD_SUBSCRIPTION_AVAILABLE, p.wildcardSubscriptionAvailable());
    byteProperty(w, SUBSCRIPTION_IDENTIFIER_AVAILABLE, p.subscriptionIdentifierAvailable());
    byteProperty(w, SHARED_SUBSCRIPTION_AVAILABLE, p.sharedSubscriptionAvailable());
  }

  private static void byteProperty(WireWriter w, int id, Integer value) {
    if (value != null) {
      w.u8(id);
      w.u8(value);
    }
  }

  private static void twoByteProperty(WireWriter w, int id, Integer value) {
    if (value != null) {
      w.u8(id);
      w.u16(value);
    }
  }

  private static void fourByteProperty(WireWriter w, int id, Long value) {
    if (value != null) {
      w.u8(id);
      w.u32(value);
    }
  }

  private static void stringProperty(WireWriter w, int id, String value) {
    if (value != null) {
      w.u8(id);
      w.utf8(value);
    }
  }

  private static void binaryProperty(WireWriter w, int id, Bytes value) {
    if (value != null) {
      w.u8(id);
      w.binary(value);
    }
  }
}
