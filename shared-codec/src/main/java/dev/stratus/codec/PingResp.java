package dev.stratus.codec;

/** PINGRESP. */
public record PingResp() implements Packet {
  public static final PingResp INSTANCE = new PingResp();

  @Override
  public PacketType type() {
    return PacketType.PINGRESP;
  }
}
