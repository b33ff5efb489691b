package dev.stratus.codec;

/** PINGREQ. */
public record PingReq() implements Packet {
  public static final PingReq INSTANCE = new PingReq();

  @Override
  public PacketType type() {
    return PacketType.PINGREQ;
  }
}
