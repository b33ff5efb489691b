package dev.stratus.core;

import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.PacketEncoder;
import dev.stratus.codec.Properties;
import dev.stratus.codec.Publish;
import dev.stratus.codec.QoS;
import java.time.Instant;

/**
 * The encodings of one message for one fan-out: a PUBLISH is encoded once per (version, QoS,
 * RETAIN) shape and reused for every recipient of that shape. QoS 0 recipients share the very same
 * array (the {@link Outbound} contract forbids writing to it); QoS 1/2 recipients get a copy with
 * their packet id patched in. Recipients with subscription identifiers or topic aliases are encoded
 * on their own. Not thread-safe: one instance per routing call.
 */
final class PublishEncodings {
  private final Message message;
  private final Instant now;
  private final byte[][] templates = new byte[MqttVersion.values().length * 3 * 2][];

  PublishEncodings(Message message, Instant now) {
    this.message = message;
    this.now = now;
  }

  byte[] encode(MqttVersion version, QoS qos, boolean retain, int packetId) {
    int slot = (version.ordinal() * 3 + qos.ordinal()) * 2 + (retain ? 1 : 0);
    byte[] template = templates[slot];
    if (template == null) {
      Properties props = Properties.NONE;
      if (version.isV5()) {
        Long remaining = message.remainingExpirySeconds(now);
        props =
            remaining == null
                ? message.properties()
                : message.properties().toBuilder().messageExpiryInterval(remaining).build();
      }
      // a placeholder id 1 for QoS > 0, replaced per recipient below
      int placeholder = qos == QoS.AT_MOST_ONCE ? 0 : 1;
      template =
          PacketEncoder.encode(
              new Publish(
                  message.topic(), qos, retain, false, placeholder, message.payload(), props),
              version);
      templates[slot] = template;
    }
    if (qos == QoS.AT_MOST_ONCE) {
      return template;
    }
    byte[] copy = template.clone();
    int at = packetIdOffset(copy);
    copy[at] = (byte) (packetId >>> 8);
    copy[at + 1] = (byte) packetId;
    return copy;
  }

  /** After the fixed header and the topic name comes the packet id (MQTT 3.3.2). */
  static int packetIdOffset(byte[] publish) {
    int i = 1;
    while ((publish[i] & 0x80) != 0) {
      i++; // remaining length continuation bytes
    }
    i++;
    int topicLength = ((publish[i] & 0xFF) << 8) | (publish[i + 1] & 0xFF);
    return i + 2 + topicLength;
  }
}
