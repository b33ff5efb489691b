package dev.stratus.codec;

import java.util.Objects;

/** The will message of a CONNECT (will properties are MQTT 5 only). */
public record Will(TopicName topic, Bytes payload, QoS qos, boolean retain, Properties properties) {
  public Will {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(qos, "qos");
    Objects.requireNonNull(properties, "properties");
  }
}
