package dev.stratus.loadgen;

import dev.stratus.codec.PacketType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the PUBLISH packets one connection receives, from the first byte of each frame only, and
 * acknowledges QoS 1 ones with PUBACKs batched into one write per read.
 */
final class Subscriber implements MqttConnection.FrameHandler, Runnable {
  private static final int PUBLISH = PacketType.PUBLISH.value();
  private static final int DISCONNECT = PacketType.DISCONNECT.value();

  private final MqttConnection connection;
  private final byte[] pubAck;
  private final byte[] acks = new byte[16 * 1024];

  /** Published after each read, for the publishers' flow control and the measurement. */
  private final AtomicLong delivered = new AtomicLong();

  private int acksLength;
  private long count;
  private volatile boolean stopping;
  private volatile IOException failure;

  Subscriber(MqttConnection connection) {
    this.connection = connection;
    this.pubAck = PublishBatch.pubAckTemplate(connection.version());
  }

  @Override
  public void frame(ByteBuffer packet) throws IOException {
    int type = MqttConnection.packetType(packet);
    if (type == PUBLISH) {
      count++;
      if (MqttConnection.publishQos(packet) == 1) {
        if (acksLength + pubAck.length > acks.length) {
          flushAcks();
        }
        acksLength =
            PublishBatch.putPubAck(
                pubAck, MqttConnection.publishPacketId(packet), acks, acksLength);
      }
    } else if (type == DISCONNECT) {
      throw new IOException("the broker sent DISCONNECT");
    }
  }

  @Override
  public void afterRead() throws IOException {
    flushAcks();
    delivered.lazySet(count);
  }

  private void flushAcks() throws IOException {
    if (acksLength > 0) {
      connection.write(acks, 0, acksLength);
      acksLength = 0;
    }
  }

  @Override
  public void run() {
    try {
      connection.pump(this);
      if (!stopping) {
        failure = new IOException("the broker closed a subscriber's connection");
      }
    } catch (IOException e) {
      if (!stopping) {
        failure = e;
      }
    }
  }

  long delivered() {
    return delivered.get();
  }

  /** Why the connection broke before {@link #stop}, or null. */
  IOException failure() {
    return failure;
  }

  /** Closes the connection; the reading thread then ends quietly. */
  void stop() {
    stopping = true;
    connection.disconnect();
  }
}
