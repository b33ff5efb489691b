package dev.stratus.codec;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * One conformance case from {@code conformance/*.json}: bytes as a peer would send them, and what
 * the receiver must make of them: either {@link #expected()} (a valid packet) or {@link #error()}
 * (the reason code of the {@link MqttDecodeException}). Exactly one of the two is non-null.
 *
 * @param id unique across all files, used as the test's display name
 * @param packetType the file's packet type; null for {@code FIXED_HEADER.json} (framing cases)
 * @param spec the statement ids ({@code [MQTT-3.8.3-4]}) or sections ({@code MQTT 5.0 §3.3.2.1})
 * @param version the protocol version of the connection the bytes arrive on
 * @param bytes the bytes on the wire
 * @param comment the bytes annotated field by field
 * @param expected the packet the bytes decode to, or null for an invalid case
 * @param error the reason code a receiver reports, or null for a valid case
 * @param canonical true if {@code PacketEncoder.encode(expected, version)} writes exactly {@code
 *     bytes}; false for valid but non-canonical encodings (e.g. properties out of order)
 * @param framing what a {@link Framer} makes of the bytes
 * @param maximumPacketSize the maximum packet size the receiver's framer is built with
 * @param beforeConnect true if the bytes are the first ones on a connection: decode them with a
 *     null version (CONNECT cases, and cases about a packet sent before CONNECT)
 */
public record ConformanceCase(
    String id,
    PacketType packetType,
    List<String> spec,
    MqttVersion version,
    Bytes bytes,
    String comment,
    Packet expected,
    ReasonCode error,
    boolean canonical,
    Framing framing,
    int maximumPacketSize,
    boolean beforeConnect) {

  /** The maximum packet size used when a case does not name one. */
  public static final int DEFAULT_MAXIMUM_PACKET_SIZE = 1024 * 1024;

  /** What a framer fed the case's bytes does. */
  public enum Framing {
    /** The bytes are exactly one whole packet: the framer returns them as one frame. */
    COMPLETE,
    /** The bytes end inside a packet: the framer asks for more (the decoder alone rejects them). */
    INCOMPLETE,
    /** The framer itself throws {@link #error()} (bad remaining length, packet too large). */
    REJECTED
  }

  public ConformanceCase {
    Objects.requireNonNull(id, "id");
    spec = List.copyOf(spec);
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(framing, "framing");
    if ((expected == null) == (error == null)) {
      throw new IllegalArgumentException(id + ": exactly one of packet and error must be given");
    }
    if (framing == Framing.REJECTED && expected != null) {
      throw new IllegalArgumentException(id + ": a case the framer rejects cannot be valid");
    }
  }

  /** True if the bytes are a valid packet. */
  public boolean isValid() {
    return expected != null;
  }

  /** The version to pass to {@link PacketDecoder#decode}: null for the first packet. */
  public MqttVersion decodeVersion() {
    return beforeConnect ? null : version;
  }

  /**
   * True if a server replaying this case must first open the session with a CONNECT of {@link
   * #version()} (see {@link ConformanceCases#minimalConnect}) and then send {@link #bytes()}.
   */
  public boolean needsConnectFirst() {
    return !beforeConnect;
  }

  /**
   * True if a client may send this packet type, so a server test can replay the case: false for
   * CONNACK, SUBACK, UNSUBACK and PINGRESP, which only a server sends (MQTT 5.0 §2.1.2). Framing
   * cases ({@code FIXED_HEADER.json}) are about bytes any peer may send.
   */
  public boolean clientMaySend() {
    if (packetType == null) {
      return true;
    }
    return switch (packetType) {
      case CONNACK, SUBACK, UNSUBACK, PINGRESP -> false;
      case CONNECT,
          PUBLISH,
          PUBACK,
          PUBREC,
          PUBREL,
          PUBCOMP,
          SUBSCRIBE,
          UNSUBSCRIBE,
          PINGREQ,
          DISCONNECT,
          AUTH ->
          true;
    };
  }

  /** A fresh read-only buffer over the bytes. */
  public ByteBuffer buffer() {
    return bytes.asReadOnlyBuffer();
  }

  @Override
  public String toString() {
    return id;
  }
}
