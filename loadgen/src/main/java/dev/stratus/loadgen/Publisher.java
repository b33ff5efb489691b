package dev.stratus.loadgen;

import dev.stratus.codec.PacketType;
import dev.stratus.codec.QoS;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes pre-encoded batches as fast as the flow-control window allows. At QoS 1 it also keeps
 * at most {@code inflight} packets unacknowledged; a second thread reads the PUBACKs ({@link
 * #readAcks}) and returns their slots.
 */
final class Publisher implements Runnable {
  private static final int PUBACK = PacketType.PUBACK.value();

  private final MqttConnection connection;
  private final PublishBatch batch;
  private final FlowControl flow;
  private final AtomicBoolean stop;
  private final Semaphore inflight;
  private volatile boolean stopping;
  private volatile IOException failure;

  /**
   * @param inflight unacknowledged QoS 1 packets allowed; ignored at QoS 0
   */
  Publisher(
      MqttConnection connection,
      PublishBatch batch,
      QoS qos,
      int inflight,
      FlowControl flow,
      AtomicBoolean stop) {
    this.connection = connection;
    this.batch = batch;
    this.flow = flow;
    this.stop = stop;
    this.inflight = qos == QoS.AT_MOST_ONCE ? null : new Semaphore(inflight);
  }

  @Override
  public void run() {
    int n = batch.count();
    try {
      while (!stop.get()) {
        flow.awaitRoom(n, stop);
        if (inflight != null) {
          // A bounded wait, so that a broker that stops acknowledging cannot hang the run.
          while (!inflight.tryAcquire(n, 100, TimeUnit.MILLISECONDS)) {
            if (stop.get()) {
              return;
            }
          }
          batch.assignPacketIds(n);
        }
        if (stop.get()) {
          return;
        }
        connection.write(batch.bytes(), 0, n * batch.packetSize());
        flow.sent(n);
      }
    } catch (IOException e) {
      if (!stopping) {
        failure = e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The QoS 1 acknowledgement reader: one PUBACK frees one slot of the window. */
  void readAcks() {
    int[] acked = new int[1];
    try {
      connection.pump(
          new MqttConnection.FrameHandler() {
            @Override
            public void frame(ByteBuffer packet) {
              if (MqttConnection.packetType(packet) == PUBACK) {
                acked[0]++;
              }
            }

            @Override
            public void afterRead() {
              if (acked[0] > 0) {
                inflight.release(acked[0]);
                acked[0] = 0;
              }
            }
          });
    } catch (IOException e) {
      if (!stopping) {
        failure = e;
      }
    }
  }

  boolean acknowledged() {
    return inflight != null;
  }

  IOException failure() {
    return failure;
  }

  /** Closes the connection (after the publishing thread ended, or to unblock its write). */
  void close() {
    stopping = true;
    connection.disconnect();
  }
}
