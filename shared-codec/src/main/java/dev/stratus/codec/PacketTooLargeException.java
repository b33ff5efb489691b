package dev.stratus.codec;

/**
 * The encoder refused a packet above the receiver's maximum packet size [MQTT-3.1.2-24]. The engine
 * checks {@link PacketEncoder#encodedSize} first and drops such a message as the spec says
 * [MQTT-3.1.2-25]; reaching this exception is a bug in the caller.
 */
public final class PacketTooLargeException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long maximum;

  public PacketTooLargeException(long size, long maximum) {
    super("packet of " + size + " bytes exceeds the receiver's maximum packet size of " + maximum);
    this.size = size;
    this.maximum = maximum;
  }

  public long size() {
    return size;
  }

  public long maximum() {
    return maximum;
  }
}
