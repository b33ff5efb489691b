package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.stratus.codec.MqttDecodeException;
import dev.stratus.codec.Packet;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.ConnectionInfo;
import dev.stratus.core.Inbound;
import dev.stratus.core.Outbound;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A fake engine: records every call in order, and like the real engine closes a connection whose
 * bytes could not be decoded.
 */
final class RecordingInbound implements Inbound {
  sealed interface Event {
    ConnectionId id();
  }

  record Opened(ConnectionId id, ConnectionInfo info) implements Event {}

  record Received(ConnectionId id, Packet packet) implements Event {}

  record Failed(ConnectionId id, MqttDecodeException error) implements Event {}

  record Lost(ConnectionId id) implements Event {}

  final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  volatile Outbound outbound;

  @Override
  public void connectionOpened(ConnectionInfo info) {
    events.add(new Opened(info.id(), info));
  }

  @Override
  public void packetReceived(ConnectionId connection, Packet packet) {
    events.add(new Received(connection, packet));
  }

  @Override
  public void decodeFailed(ConnectionId connection, MqttDecodeException error) {
    events.add(new Failed(connection, error));
    outbound.close(connection);
  }

  @Override
  public void connectionLost(ConnectionId connection) {
    events.add(new Lost(connection));
  }

  Event next() throws InterruptedException {
    Event e = events.poll(10, TimeUnit.SECONDS);
    assertNotNull(e, "no event from the bridge within 10 s");
    return e;
  }

  <T extends Event> T next(Class<T> type) throws InterruptedException {
    return assertInstanceOf(type, next());
  }

  <T extends Packet> T nextPacket(Class<T> type) throws InterruptedException {
    return assertInstanceOf(type, next(Received.class).packet());
  }

  /** Waits for the Lost event of {@code id}, skipping other events of other connections only. */
  void awaitLost(ConnectionId id) throws InterruptedException {
    while (true) {
      Event e = next();
      if (e instanceof Lost && e.id().equals(id)) {
        return;
      }
      assertEquals(false, e.id().equals(id) && !(e instanceof Received), "unexpected " + e);
    }
  }
}
