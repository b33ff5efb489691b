package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.bridge.RecordingInbound.Opened;
import dev.stratus.codec.Connect;
import dev.stratus.core.ConnectionId;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A subscriber that stops reading: its queue fills, QoS 0 is dropped above the soft limit, the
 * connection is closed above the hard limit, and a healthy subscriber keeps receiving throughout.
 * The test runs the engine's side (send) on the test thread: if {@code send} ever blocked on the
 * stalled socket, the test would hang and fail on its timeout.
 */
@Timeout(120)
class SlowConsumerTest {
  private static final int SOFT = 16 * 1024;
  private static final int HARD = 128 * 1024;
  private static final long GIVE_UP_AFTER_BYTES = 512L << 20;

  private final RecordingInbound engine = new RecordingInbound();
  private Bridge bridge;

  @AfterEach
  void stop() {
    if (bridge != null) {
      bridge.close();
    }
  }

  private Socket connect(String clientId, int receiveBuffer) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(receiveBuffer); // before connect, so the TCP window stays small
    s.connect(new InetSocketAddress("127.0.0.1", bridge.port(Protocol.TCP)));
    s.setSoTimeout(10_000);
    s.getOutputStream().write(Wire.connect(4, clientId));
    return s;
  }

  @Test
  void stalledSubscriberLosesQos0ThenIsClosedWhileOthersFlow() throws Exception {
    bridge = new Bridge(BridgeConfig.loopbackDefaults().withOutboundLimits(SOFT, HARD));
    engine.outbound = bridge;
    bridge.start(engine);
    try (Socket slow = connect("slow", 4096)) {
      ConnectionId slowId = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      Socket fast = connect("fast", 64 * 1024);
      ConnectionId fastId = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      InputStream fastIn = fast.getInputStream();

      byte[] qos0 = Wire.publish(0, 0, "t", new byte[1000], false);
      byte[] qos1 = Wire.publish(1, 1, "t", new byte[1000], false);
      byte[] ping = {(byte) 0xD0, 0x00};

      // Phase 1: QoS 0 to the stalled client until the bridge starts dropping.
      long sent = 0;
      while (bridge.stats().droppedQos0Packets() == 0 && sent < GIVE_UP_AFTER_BYTES) {
        bridge.send(slowId, qos0);
        sent += qos0.length;
        if (sent % (64 * qos0.length) == 0) {
          // The healthy client is served at once, whatever the slow one does.
          bridge.send(fastId, ping);
          assertArrayEquals(ping, Wire.read(fastIn, 2));
        }
      }
      assertTrue(bridge.stats().droppedQos0Packets() > 0, "QoS 0 was never dropped");
      assertEquals(0, bridge.stats().slowConsumersClosed());

      // Phase 2: QoS 1 is never dropped; it fills the queue up to the hard limit, then the
      // connection is closed.
      sent = 0;
      while (bridge.stats().slowConsumersClosed() == 0 && sent < GIVE_UP_AFTER_BYTES) {
        bridge.send(slowId, qos1);
        sent += qos1.length;
      }
      assertEquals(1, bridge.stats().slowConsumersClosed());
      engine.awaitLost(slowId);

      bridge.send(fastId, ping);
      assertArrayEquals(ping, Wire.read(fastIn, 2));
      assertEquals(1, bridge.stats().openConnections());
      fast.close();
    }
  }

  /**
   * A client that stops reading until far more than the socket buffers hold is queued, then reads
   * again: the writer must park on a full socket and be woken when it drains (a lost wake-up would
   * leave the rest queued forever and this test would time out), and every packet must arrive once,
   * in order.
   */
  @Test
  @Timeout(30)
  void pausedSubscriberGetsEverythingInOrderOnceItReadsAgain() throws Exception {
    bridge = new Bridge(BridgeConfig.loopbackDefaults().withOutboundLimits(SOFT, 64 << 20));
    engine.outbound = bridge;
    bridge.start(engine);
    try (Socket paused = connect("paused", 4096)) {
      ConnectionId id = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      int count = 8000; // 8 MB: beyond what loopback socket buffers hold
      for (int i = 1; i <= count; i++) {
        bridge.send(id, Wire.publish(1, i, "t", new byte[1000], false));
      }
      InputStream in = paused.getInputStream();
      for (int i = 1; i <= count; i++) {
        byte[] packet = Wire.readPacket(in);
        int packetId = ((packet[6] & 0xFF) << 8) | (packet[7] & 0xFF);
        assertEquals(i, packetId, "packet ids in order, none lost or repeated");
      }
      byte[] ping = {(byte) 0xD0, 0x00};
      bridge.send(id, ping);
      assertArrayEquals(ping, Wire.read(in, 2));
      assertEquals(0, bridge.stats().slowConsumersClosed());
    }
  }
}
