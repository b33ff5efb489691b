package dev.stratus.codec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded generators of valid packets for property tests: every packet type of every version, with
 * random MQTT 5 properties restricted to the ones each packet may carry (MQTT 5.0 §2.2.2.2) and to
 * their legal values. Strings are random well-formed UTF-8 (1-, 2-, 3- and 4-byte characters, never
 * U+0000, surrogates, control characters or non-characters [MQTT-1.5.4-1..3]).
 *
 * <p>Same seed, same packets: a failing property prints its seed so the case can be replayed.
 */
public final class PacketGenerators {
  private final Random random;

  public PacketGenerators(long seed) {
    this.random = new Random(seed);
  }

  public Random random() {
    return random;
  }

  /** A random version. */
  public MqttVersion version() {
    return pick(MqttVersion.values());
  }

  /** A random valid packet of any type that {@code version} has. */
  public Packet packet(MqttVersion version) {
    PacketType[] types = PacketType.values();
    PacketType type;
    do {
      type = pick(types);
    } while (type == PacketType.AUTH && !version.isV5());
    return packet(type, version);
  }

  /** A random valid packet of {@code type} for {@code version}. */
  public Packet packet(PacketType type, MqttVersion version) {
    boolean v5 = version.isV5();
    return switch (type) {
      case CONNECT -> connect(version);
      case CONNACK -> connAck(version);
      case PUBLISH -> publish(version);
      case PUBACK ->
          v5
              ? new PubAck(packetId(), reason(PacketType.PUBACK), props(PacketType.PUBACK))
              : new PubAck(packetId());
      case PUBREC ->
          v5
              ? new PubRec(packetId(), reason(PacketType.PUBREC), props(PacketType.PUBREC))
              : new PubRec(packetId());
      case PUBREL ->
          v5
              ? new PubRel(packetId(), reason(PacketType.PUBREL), props(PacketType.PUBREL))
              : new PubRel(packetId());
      case PUBCOMP ->
          v5
              ? new PubComp(packetId(), reason(PacketType.PUBCOMP), props(PacketType.PUBCOMP))
              : new PubComp(packetId());
      case SUBSCRIBE -> subscribe(version);
      case SUBACK -> subAck(version);
      case UNSUBSCRIBE -> {
        List<TopicFilter> filters = new ArrayList<>();
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
          filters.add(v5 && random.nextInt(5) == 0 ? sharedFilter() : filter());
        }
        yield new Unsubscribe(packetId(), filters, v5 ? props(type) : Properties.NONE);
      }
      case UNSUBACK -> {
        List<ReasonCode> codes = new ArrayList<>();
        if (v5) {
          int n = 1 + random.nextInt(4);
          for (int i = 0; i < n; i++) {
            codes.add(reason(type));
          }
        }
        yield new UnsubAck(packetId(), codes, v5 ? props(type) : Properties.NONE);
      }
      case PINGREQ -> PingReq.INSTANCE;
      case PINGRESP -> PingResp.INSTANCE;
      case DISCONNECT -> v5 ? new Disconnect(reason(type), props(type)) : Disconnect.NORMAL;
      case AUTH -> {
        if (!v5) {
          throw new IllegalArgumentException("AUTH exists only in MQTT 5");
        }
        yield new Auth(reason(type), props(type));
      }
    };
  }

  private Connect connect(MqttVersion version) {
    boolean v5 = version.isV5();
    // 3.1 requires 1 to 23 characters; 3.1.1 and 5.0 accept an empty id with a clean start.
    boolean cleanStart = random.nextBoolean();
    String clientId;
    if (version == MqttVersion.V3_1) {
      clientId = ascii(1 + random.nextInt(23));
    } else if (cleanStart && random.nextInt(8) == 0) {
      clientId = "";
    } else {
      clientId = string(1 + random.nextInt(30));
    }
    String username = random.nextBoolean() ? string(random.nextInt(12)) : null;
    // 3.1.1 forbids a password without a user name [MQTT-3.1.2-22]; 5.0 allows it.
    Bytes password =
        (username != null || v5) && random.nextBoolean() ? binary(random.nextInt(20)) : null;
    Will will = null;
    if (random.nextBoolean()) {
      will =
          new Will(
              topicName(),
              binary(random.nextInt(40)),
              pick(QoS.values()),
              random.nextBoolean(),
              v5 ? willProps() : Properties.NONE);
    }
    return new Connect(
        version,
        clientId,
        cleanStart,
        random.nextInt(65536),
        username,
        password,
        will,
        v5 ? props(PacketType.CONNECT) : Properties.NONE);
  }

  private ConnAck connAck(MqttVersion version) {
    if (version.isV5()) {
      ReasonCode reason = random.nextBoolean() ? ReasonCode.SUCCESS : reason(PacketType.CONNACK);
      // Session present is 0 whenever the connection is refused [MQTT-3.2.2-6].
      boolean sessionPresent = reason == ReasonCode.SUCCESS && random.nextBoolean();
      return new ConnAck(sessionPresent, reason, props(PacketType.CONNACK));
    }
    ReasonCode reason = ReasonCode.fromV3ConnectReturnCode(random.nextInt(6));
    // 3.1 has no session present flag; 3.1.1 clears it on refusal [MQTT-3.2.2-4].
    boolean sessionPresent =
        version == MqttVersion.V3_1_1 && reason == ReasonCode.SUCCESS && random.nextBoolean();
    return new ConnAck(sessionPresent, reason, Properties.NONE);
  }

  private Publish publish(MqttVersion version) {
    boolean v5 = version.isV5();
    QoS qos = pick(QoS.values());
    Properties properties = v5 ? props(PacketType.PUBLISH) : Properties.NONE;
    TopicName topic = topicName();
    if (v5 && properties.topicAlias() != null && random.nextBoolean()) {
      topic = TopicName.EMPTY; // the alias names the topic [MQTT-3.3.2-8 ff.]
    }
    return new Publish(
        topic,
        qos,
        random.nextBoolean(),
        qos != QoS.AT_MOST_ONCE && random.nextBoolean(), // DUP is 0 for QoS 0 [MQTT-3.3.1-2]
        qos == QoS.AT_MOST_ONCE ? 0 : packetId(),
        random.nextInt(10) == 0 ? binary(200 + random.nextInt(20_000)) : binary(random.nextInt(64)),
        properties);
  }

  private Subscribe subscribe(MqttVersion version) {
    boolean v5 = version.isV5();
    List<TopicSubscription> subscriptions = new ArrayList<>();
    int n = 1 + random.nextInt(4);
    for (int i = 0; i < n; i++) {
      if (v5) {
        boolean shared = random.nextInt(5) == 0;
        subscriptions.add(
            new TopicSubscription(
                shared ? sharedFilter() : filter(),
                pick(QoS.values()),
                !shared && random.nextBoolean(), // No Local on a shared subscription [MQTT-3.8.3-4]
                random.nextBoolean(),
                pick(RetainHandling.values())));
      } else {
        subscriptions.add(new TopicSubscription(filter(), pick(QoS.values())));
      }
    }
    return new Subscribe(
        packetId(), subscriptions, v5 ? props(PacketType.SUBSCRIBE) : Properties.NONE);
  }

  private SubAck subAck(MqttVersion version) {
    List<ReasonCode> codes = new ArrayList<>();
    int n = 1 + random.nextInt(5);
    for (int i = 0; i < n; i++) {
      codes.add(
          switch (version) {
            case V3_1 -> ReasonCode.granted(pick(QoS.values()));
            case V3_1_1 ->
                random.nextInt(4) == 0
                    ? ReasonCode.UNSPECIFIED_ERROR
                    : ReasonCode.granted(pick(QoS.values()));
            case V5 -> reason(PacketType.SUBACK);
          });
    }
    return new SubAck(
        packetId(), codes, version.isV5() ? props(PacketType.SUBACK) : Properties.NONE);
  }

  /** A reason code this packet type may carry in MQTT 5. */
  public ReasonCode reason(PacketType type) {
    ReasonCode[] allowed =
        Arrays.stream(ReasonCode.values())
            .filter(r -> r.allowedIn(type))
            .toArray(ReasonCode[]::new);
    return pick(allowed);
  }

  /** Random MQTT 5 properties that a packet of {@code type} may carry, with legal values. */
  public Properties props(PacketType type) {
    if (random.nextInt(3) == 0) {
      return Properties.NONE;
    }
    Properties.Builder b = Properties.builder();
    switch (type) {
      case CONNECT -> {
        maybe(() -> b.sessionExpiryInterval(u32()));
        maybe(() -> b.receiveMaximum(1 + random.nextInt(65535)));
        maybe(() -> b.maximumPacketSize(1 + (u32() % 0xFFFF_FFFFL)));
        maybe(() -> b.topicAliasMaximum(random.nextInt(65536)));
        maybe(() -> b.requestResponseInformation(random.nextInt(2)));
        maybe(() -> b.requestProblemInformation(random.nextInt(2)));
        authentication(b);
      }
      case CONNACK -> {
        maybe(() -> b.sessionExpiryInterval(u32()));
        maybe(() -> b.receiveMaximum(1 + random.nextInt(65535)));
        maybe(() -> b.maximumQos(random.nextInt(2)));
        maybe(() -> b.retainAvailable(random.nextInt(2)));
        maybe(() -> b.maximumPacketSize(1 + (u32() % 0xFFFF_FFFFL)));
        maybe(() -> b.assignedClientIdentifier(string(1 + random.nextInt(20))));
        maybe(() -> b.topicAliasMaximum(random.nextInt(65536)));
        maybe(() -> b.reasonString(string(random.nextInt(20))));
        maybe(() -> b.wildcardSubscriptionAvailable(random.nextInt(2)));
        maybe(() -> b.subscriptionIdentifierAvailable(random.nextInt(2)));
        maybe(() -> b.sharedSubscriptionAvailable(random.nextInt(2)));
        maybe(() -> b.serverKeepAlive(random.nextInt(65536)));
        maybe(() -> b.responseInformation(string(random.nextInt(20))));
        maybe(() -> b.serverReference(string(random.nextInt(20))));
        authentication(b);
      }
      case PUBLISH -> {
        publicationProperties(b);
        maybe(() -> b.topicAlias(1 + random.nextInt(65535)));
        if (random.nextBoolean()) {
          int n = 1 + random.nextInt(3);
          for (int i = 0; i < n; i++) {
            b.addSubscriptionIdentifier(subscriptionIdentifier());
          }
        }
      }
      case SUBSCRIBE -> maybe(() -> b.addSubscriptionIdentifier(subscriptionIdentifier()));
      case PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK ->
          maybe(() -> b.reasonString(string(random.nextInt(20))));
      case DISCONNECT -> {
        maybe(() -> b.sessionExpiryInterval(u32()));
        maybe(() -> b.reasonString(string(random.nextInt(20))));
        maybe(() -> b.serverReference(string(random.nextInt(20))));
      }
      case AUTH -> {
        // An exchange names its method; a bare AUTH (Success, no properties) comes from above.
        b.authenticationMethod(string(1 + random.nextInt(12)));
        maybe(() -> b.authenticationData(binary(random.nextInt(32))));
        maybe(() -> b.reasonString(string(random.nextInt(20))));
      }
      case UNSUBSCRIBE, PINGREQ, PINGRESP -> {}
    }
    if (type != PacketType.PINGREQ && type != PacketType.PINGRESP) {
      userProperties(b);
    }
    return b.build();
  }

  private Properties willProps() {
    if (random.nextInt(3) == 0) {
      return Properties.NONE;
    }
    Properties.Builder b = Properties.builder();
    publicationProperties(b);
    maybe(() -> b.willDelayInterval(u32()));
    userProperties(b);
    return b.build();
  }

  private void publicationProperties(Properties.Builder b) {
    maybe(() -> b.payloadFormatIndicator(random.nextInt(2)));
    maybe(() -> b.messageExpiryInterval(u32()));
    maybe(() -> b.contentType(string(random.nextInt(20))));
    maybe(() -> b.responseTopic(topicName()));
    maybe(() -> b.correlationData(binary(random.nextInt(20))));
  }

  private void authentication(Properties.Builder b) {
    if (random.nextBoolean()) {
      b.authenticationMethod(string(1 + random.nextInt(12)));
      maybe(() -> b.authenticationData(binary(random.nextInt(32))));
    }
  }

  private void userProperties(Properties.Builder b) {
    if (random.nextInt(3) == 0) {
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        b.addUserProperty(string(random.nextInt(10)), string(random.nextInt(10)));
      }
    }
  }

  private void maybe(Runnable action) {
    if (random.nextBoolean()) {
      action.run();
    }
  }

  /** A valid topic name: one to five levels, levels possibly empty, sometimes a {@code $} root. */
  public TopicName topicName() {
    if (random.nextInt(200) == 0) {
      // Now and then a long name, so two-byte lengths above 255 and 32,767 are exercised.
      return TopicName.of("long/" + "x".repeat(random.nextInt(40_000)));
    }
    StringBuilder sb = new StringBuilder();
    int levels = 1 + random.nextInt(5);
    for (int i = 0; i < levels; i++) {
      if (i > 0) {
        sb.append('/');
      }
      sb.append(level());
    }
    if (random.nextInt(10) == 0) {
      sb.insert(0, "$SYS/");
    }
    if (sb.isEmpty()) {
      sb.append('t');
    }
    return TopicName.of(sb.toString());
  }

  /** A valid topic filter, with {@code +} levels and a trailing {@code #} now and then. */
  public TopicFilter filter() {
    StringBuilder sb = new StringBuilder();
    int levels = 1 + random.nextInt(5);
    for (int i = 0; i < levels; i++) {
      if (i > 0) {
        sb.append('/');
      }
      if (i == levels - 1 && random.nextInt(5) == 0) {
        sb.append('#');
      } else if (random.nextInt(4) == 0) {
        sb.append('+');
      } else {
        sb.append(level());
      }
    }
    if (sb.isEmpty()) {
      sb.append('f');
    }
    return TopicFilter.of(sb.toString());
  }

  private TopicFilter sharedFilter() {
    return TopicFilter.of("$share/" + ascii(1 + random.nextInt(6)) + "/" + filter().value());
  }

  private String level() {
    if (random.nextInt(8) == 0) {
      return "";
    }
    // Separators and wildcards have a meaning inside names and filters; keep levels plain.
    return string(1 + random.nextInt(8)).replace('/', '_').replace('+', '_').replace('#', '_');
  }

  /** A random well-formed string of {@code codePoints} characters, wildcards included. */
  public String string(int codePoints) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < codePoints; i++) {
      sb.appendCodePoint(codePoint());
    }
    return sb.toString();
  }

  private int codePoint() {
    return switch (random.nextInt(10)) {
      case 0 -> 0xA0 + random.nextInt(0x800 - 0xA0); // two bytes
      case 1 -> 0x800 + random.nextInt(0xD800 - 0x800); // three bytes, below the surrogates
      case 2 -> 0x10000 + random.nextInt(0x1FFFD - 0x10000); // four bytes (a surrogate pair)
      default -> 0x20 + random.nextInt(0x7F - 0x20); // printable ASCII
    };
  }

  private String ascii(int length) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < length; i++) {
      sb.append((char) ('a' + random.nextInt(26)));
    }
    return sb.toString();
  }

  /** Random binary data. */
  public Bytes binary(int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return Bytes.wrap(b);
  }

  private int packetId() {
    return 1 + random.nextInt(65535);
  }

  private long u32() {
    return random.nextInt(4) == 0 ? 0xFFFF_FFFFL : random.nextLong(0x1_0000_0000L);
  }

  private int subscriptionIdentifier() {
    return random.nextInt(4) == 0 ? 268_435_455 : 1 + random.nextInt(20_000);
  }

  private <T> T pick(T[] values) {
    return values[random.nextInt(values.length)];
  }
}
