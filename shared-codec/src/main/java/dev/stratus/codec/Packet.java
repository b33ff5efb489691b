package dev.stratus.codec;

/**
 * An MQTT control packet. The packet type is the Java type: dispatch with an exhaustive {@code
 * switch} over this sealed interface.
 *
 * <p>Packets are version-neutral values: the protocol version is a parameter of {@link
 * PacketDecoder} and {@link PacketEncoder} (and a field of {@link Connect} only). Fields a version
 * lacks hold neutral values: {@link Properties#NONE}, {@link ReasonCode#SUCCESS}.
 */
public sealed interface Packet
    permits Connect,
        ConnAck,
        Publish,
        PubAck,
        PubRec,
        PubRel,
        PubComp,
        Subscribe,
        SubAck,
        Unsubscribe,
        UnsubAck,
        PingReq,
        PingResp,
        Disconnect,
        Auth {

  PacketType type();
}
