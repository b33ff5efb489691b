package dev.stratus.codec;

import java.util.ArrayList;
import java.util.List;

/**
 * The MQTT 5 properties of a packet (MQTT 5.0 §2.2.2.2). Absent properties are {@code null} (lists
 * are empty). Which property a packet may carry is checked by the decoder, not here: this type is a
 * plain value. {@link #NONE} is shared by every packet without properties, and is what 3.1.1
 * packets always carry. Each component is commented with its identifier and wire type.
 */
public record Properties(
    // 0x01: byte: 0 unspecified bytes, 1 UTF-8 [MQTT-3.3.2-4].
    Integer payloadFormatIndicator,
    // 0x02: four byte integer, seconds.
    Long messageExpiryInterval,
    // 0x03: UTF-8 string.
    String contentType,
    // 0x08: UTF-8 string, a topic name without wildcards [MQTT-3.3.2-14].
    TopicName responseTopic,
    // 0x09: binary data.
    Bytes correlationData,
    // 0x0B: variable byte integers 1..268,435,455; several in PUBLISH, at most one in SUBSCRIBE.
    List<Integer> subscriptionIdentifiers,
    // 0x11: four byte integer, seconds.
    Long sessionExpiryInterval,
    // 0x12: UTF-8 string.
    String assignedClientIdentifier,
    // 0x13: two byte integer, seconds.
    Integer serverKeepAlive,
    // 0x15: UTF-8 string.
    String authenticationMethod,
    // 0x16: binary data.
    Bytes authenticationData,
    // 0x17: byte 0 or 1.
    Integer requestProblemInformation,
    // 0x18: four byte integer, seconds.
    Long willDelayInterval,
    // 0x19: byte 0 or 1.
    Integer requestResponseInformation,
    // 0x1A: UTF-8 string.
    String responseInformation,
    // 0x1C: UTF-8 string.
    String serverReference,
    // 0x1F: UTF-8 string.
    String reasonString,
    // 0x21: two byte integer, 1..65535 (0 is a protocol error).
    Integer receiveMaximum,
    // 0x22: two byte integer.
    Integer topicAliasMaximum,
    // 0x23: two byte integer, 1..65535 (0 is a protocol error).
    Integer topicAlias,
    // 0x24: byte 0 or 1.
    Integer maximumQos,
    // 0x25: byte 0 or 1.
    Integer retainAvailable,
    // 0x26: UTF-8 string pairs, may repeat.
    List<UserProperty> userProperties,
    // 0x27: four byte integer, 1..2^32-1 (0 is a protocol error).
    Long maximumPacketSize,
    // 0x28: byte 0 or 1.
    Integer wildcardSubscriptionAvailable,
    // 0x29: byte 0 or 1.
    Integer subscriptionIdentifierAvailable,
    // 0x2A: byte 0 or 1.
    Integer sharedSubscriptionAvailable) {

  /** Property identifiers on the wire. */
  public static final class Id {
    private Id() {}

    public static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
    public static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
    public static final int CONTENT_TYPE = 0x03;
    public static final int RESPONSE_TOPIC = 0x08;
    public static final int CORRELATION_DATA = 0x09;
    public static final int SUBSCRIPTION_IDENTIFIERS = 0x0B;
    public static final int SESSION_EXPIRY_INTERVAL = 0x11;
    public static final int ASSIGNED_CLIENT_IDENTIFIER = 0x12;
    public static final int SERVER_KEEP_ALIVE = 0x13;
    public static final int AUTHENTICATION_METHOD = 0x15;
    public static final int AUTHENTICATION_DATA = 0x16;
    public static final int REQUEST_PROBLEM_INFORMATION = 0x17;
    public static final int WILL_DELAY_INTERVAL = 0x18;
    public static final int REQUEST_RESPONSE_INFORMATION = 0x19;
    public static final int RESPONSE_INFORMATION = 0x1A;
    public static final int SERVER_REFERENCE = 0x1C;
    public static final int REASON_STRING = 0x1F;
    public static final int RECEIVE_MAXIMUM = 0x21;
    public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    public static final int TOPIC_ALIAS = 0x23;
    public static final int MAXIMUM_QOS = 0x24;
    public static final int RETAIN_AVAILABLE = 0x25;
    public static final int USER_PROPERTIES = 0x26;
    public static final int MAXIMUM_PACKET_SIZE = 0x27;
    public static final int WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
    public static final int SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
    public static final int SHARED_SUBSCRIPTION_AVAILABLE = 0x2A;
  }

  public static final Properties NONE = new Builder().build();

  public Properties {
    subscriptionIdentifiers =
        subscriptionIdentifiers == null ? List.of() : List.copyOf(subscriptionIdentifiers);
    userProperties = userProperties == null ? List.of() : List.copyOf(userProperties);
  }

  /** Only the properties that are present, so that packets in logs stay readable. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Properties[");
    append(sb, "payloadFormatIndicator", payloadFormatIndicator);
    append(sb, "messageExpiryInterval", messageExpiryInterval);
    append(sb, "contentType", contentType);
    append(sb, "responseTopic", responseTopic);
    append(sb, "correlationData", correlationData);
    if (!subscriptionIdentifiers.isEmpty()) {
      append(sb, "subscriptionIdentifiers", subscriptionIdentifiers);
    }
    append(sb, "sessionExpiryInterval", sessionExpiryInterval);
    append(sb, "assignedClientIdentifier", assignedClientIdentifier);
    append(sb, "serverKeepAlive", serverKeepAlive);
    append(sb, "authenticationMethod", authenticationMethod);
    append(sb, "authenticationData", authenticationData);
    append(sb, "requestProblemInformation", requestProblemInformation);
    append(sb, "willDelayInterval", willDelayInterval);
    append(sb, "requestResponseInformation", requestResponseInformation);
    append(sb, "responseInformation", responseInformation);
    append(sb, "serverReference", serverReference);
    append(sb, "reasonString", reasonString);
    append(sb, "receiveMaximum", receiveMaximum);
    append(sb, "topicAliasMaximum", topicAliasMaximum);
    append(sb, "topicAlias", topicAlias);
    append(sb, "maximumQos", maximumQos);
    append(sb, "retainAvailable", retainAvailable);
    if (!userProperties.isEmpty()) {
      append(sb, "userProperties", userProperties);
    }
    append(sb, "maximumPacketSize", maximumPacketSize);
    append(sb, "wildcardSubscriptionAvailable", wildcardSubscriptionAvailable);
    append(sb, "subscriptionIdentifierAvailable", subscriptionIdentifierAvailable);
    append(sb, "sharedSubscriptionAvailable", sharedSubscriptionAvailable);
    return sb.append(']').toString();
  }

  private static void append(StringBuilder sb, String name, Object value) {
    if (value != null) {
      if (sb.charAt(sb.length() - 1) != '[') {
        sb.append(", ");
      }
      sb.append(name).append('=').append(value);
    }
  }

  public boolean isEmpty() {
    return payloadFormatIndicator == null
        && messageExpiryInterval == null
        && contentType == null
        && responseTopic == null
        && correlationData == null
        && subscriptionIdentifiers.isEmpty()
        && sessionExpiryInterval == null
        && assignedClientIdentifier == null
        && serverKeepAlive == null
        && authenticationMethod == null
        && authenticationData == null
        && requestProblemInformation == null
        && willDelayInterval == null
        && requestResponseInformation == null
        && responseInformation == null
        && serverReference == null
        && reasonString == null
        && receiveMaximum == null
        && topicAliasMaximum == null
        && topicAlias == null
        && maximumQos == null
        && retainAvailable == null
        && userProperties.isEmpty()
        && maximumPacketSize == null
        && wildcardSubscriptionAvailable == null
        && subscriptionIdentifierAvailable == null
        && sharedSubscriptionAvailable == null;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .payloadFormatIndicator(payloadFormatIndicator)
        .messageExpiryInterval(messageExpiryInterval)
        .contentType(contentType)
        .responseTopic(responseTopic)
        .correlationData(correlationData)
        .subscriptionIdentifiers(subscriptionIdentifiers)
        .sessionExpiryInterval(sessionExpiryInterval)
        .assignedClientIdentifier(assignedClientIdentifier)
        .serverKeepAlive(serverKeepAlive)
        .authenticationMethod(authenticationMethod)
        .authenticationData(authenticationData)
        .requestProblemInformation(requestProblemInformation)
        .willDelayInterval(willDelayInterval)
        .requestResponseInformation(requestResponseInformation)
        .responseInformation(responseInformation)
        .serverReference(serverReference)
        .reasonString(reasonString)
        .receiveMaximum(receiveMaximum)
        .topicAliasMaximum(topicAliasMaximum)
        .topicAlias(topicAlias)
        .maximumQos(maximumQos)
        .retainAvailable(retainAvailable)
        .userProperties(userProperties)
        .maximumPacketSize(maximumPacketSize)
        .wildcardSubscriptionAvailable(wildcardSubscriptionAvailable)
        .subscriptionIdentifierAvailable(subscriptionIdentifierAvailable)
        .sharedSubscriptionAvailable(sharedSubscriptionAvailable);
  }

  /** Builds {@link Properties}; every setter accepts null to clear a property. */
  public static final class Builder {
    private Integer payloadFormatIndicator;
    private Long messageExpiryInterval;
    private String contentType;
    private TopicName responseTopic;
    private Bytes correlationData;
    private List<Integer> subscriptionIdentifiers = List.of();
    private Long sessionExpiryInterval;
    private String assignedClientIdentifier;
    private Integer serverKeepAlive;
    private String authenticationMethod;
    private Bytes authenticationData;
    private Integer requestProblemInformation;
    private Long willDelayInterval;
    private Integer requestResponseInformation;
    private String responseInformation;
    private String serverReference;
    private String reasonString;
    private Integer receiveMaximum;
    private Integer topicAliasMaximum;
    private Integer topicAlias;
    private Integer maximumQos;
    private Integer retainAvailable;
    private List<UserProperty> userProperties = List.of();
    private Long maximumPacketSize;
    private Integer wildcardSubscriptionAvailable;
    private Integer subscriptionIdentifierAvailable;
    private Integer sharedSubscriptionAvailable;

    private Builder() {}

    public Builder payloadFormatIndicator(Integer value) {
      this.payloadFormatIndicator = value;
      return this;
    }

    public Builder messageExpiryInterval(Long value) {
      this.messageExpiryInterval = value;
      return this;
    }

    public Builder contentType(String value) {
      this.contentType = value;
      return this;
    }

    public Builder responseTopic(TopicName value) {
      this.responseTopic = value;
      return this;
    }

    public Builder correlationData(Bytes value) {
      this.correlationData = value;
      return this;
    }

    public Builder subscriptionIdentifiers(List<Integer> value) {
      this.subscriptionIdentifiers = value;
      return this;
    }

    public Builder sessionExpiryInterval(Long value) {
      this.sessionExpiryInterval = value;
      return this;
    }

    public Builder assignedClientIdentifier(String value) {
      this.assignedClientIdentifier = value;
      return this;
    }

    public Builder serverKeepAlive(Integer value) {
      this.serverKeepAlive = value;
      return this;
    }

    public Builder authenticationMethod(String value) {
      this.authenticationMethod = value;
      return this;
    }

    public Builder authenticationData(Bytes value) {
      this.authenticationData = value;
      return this;
    }

    public Builder requestProblemInformation(Integer value) {
      this.requestProblemInformation = value;
      return this;
    }

    public Builder willDelayInterval(Long value) {
      this.willDelayInterval = value;
      return this;
    }

    public Builder requestResponseInformation(Integer value) {
      this.requestResponseInformation = value;
      return this;
    }

    public Builder responseInformation(String value) {
      this.responseInformation = value;
      return this;
    }

    public Builder serverReference(String value) {
      this.serverReference = value;
      return this;
    }

    public Builder reasonString(String value) {
      this.reasonString = value;
      return this;
    }

    public Builder receiveMaximum(Integer value) {
      this.receiveMaximum = value;
      return this;
    }

    public Builder topicAliasMaximum(Integer value) {
      this.topicAliasMaximum = value;
      return this;
    }

    public Builder topicAlias(Integer value) {
      this.topicAlias = value;
      return this;
    }

    public Builder maximumQos(Integer value) {
      this.maximumQos = value;
      return this;
    }

    public Builder retainAvailable(Integer value) {
      this.retainAvailable = value;
      return this;
    }

    public Builder userProperties(List<UserProperty> value) {
      this.userProperties = value;
      return this;
    }

    public Builder maximumPacketSize(Long value) {
      this.maximumPacketSize = value;
      return this;
    }

    public Builder wildcardSubscriptionAvailable(Integer value) {
      this.wildcardSubscriptionAvailable = value;
      return this;
    }

    public Builder subscriptionIdentifierAvailable(Integer value) {
      this.subscriptionIdentifierAvailable = value;
      return this;
    }

    public Builder sharedSubscriptionAvailable(Integer value) {
      this.sharedSubscriptionAvailable = value;
      return this;
    }

    public Builder addUserProperty(String name, String value) {
      List<UserProperty> copy = new ArrayList<>(userProperties);
      copy.add(new UserProperty(name, value));
      userProperties = copy;
      return this;
    }

    public Builder addSubscriptionIdentifier(int identifier) {
      List<Integer> copy = new ArrayList<>(subscriptionIdentifiers);
      copy.add(identifier);
      subscriptionIdentifiers = copy;
      return this;
    }

    public Properties build() {
      Properties p =
          new Properties(
              payloadFormatIndicator,
              messageExpiryInterval,
              contentType,
              responseTopic,
              correlationData,
              subscriptionIdentifiers,
              sessionExpiryInterval,
              assignedClientIdentifier,
              serverKeepAlive,
              authenticationMethod,
              authenticationData,
              requestProblemInformation,
              willDelayInterval,
              requestResponseInformation,
              responseInformation,
              serverReference,
              reasonString,
              receiveMaximum,
              topicAliasMaximum,
              topicAlias,
              maximumQos,
              retainAvailable,
              userProperties,
              maximumPacketSize,
              wildcardSubscriptionAvailable,
              subscriptionIdentifierAvailable,
              sharedSubscriptionAvailable);
      return NONE != null && p.isEmpty() ? NONE : p;
    }
  }
}
