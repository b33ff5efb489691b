package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.core.ConnectionId;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/** Delivery to connections held elsewhere: a real bridge behind its internal endpoint. */
class RemoteOutboundTest {
  private LiveBroker elsewhere;
  private InternalEndpoint endpoint;
  private SdkHttpClient http;
  private final BlockingQueue<ConnectionId> gone = new LinkedBlockingQueue<>();
  private RemoteOutbound remote;

  @BeforeEach
  void start() throws Exception {
    elsewhere = new LiveBroker(null);
    endpoint = InternalEndpoint.start(elsewhere.bridge, "127.0.0.1", 0);
    http = UrlConnectionHttpClient.create();
  }

  @AfterEach
  void stop() {
    if (remote != null) {
      remote.close();
    }
    http.close();
    endpoint.close();
    elsewhere.close();
  }

  private RemoteOutbound remote(RemoteOutbound.Resolver resolver, int capacity) {
    remote =
        new RemoteOutbound(
            resolver,
            route -> TaskDirectory.internalClient(route.endpoint(), http),
            gone::add,
            capacity);
    return remote;
  }

  /** Every connection id is "over there", at the endpoint {@code endpointOf} gives. */
  private static RemoteOutbound.Resolver to(Function<String, URI> endpointOf) {
    return new RemoteOutbound.Resolver() {
      @Override
      public String destinationOf(ConnectionId connection) {
        return connection.value().startsWith("apigw-") ? null : "there";
      }

      @Override
      public RemoteOutbound.Route routeOf(String destination) {
        URI url = endpointOf.apply(destination);
        return url == null ? null : new RemoteOutbound.Route(url, RemoteOutbound.Kind.INTERNAL);
      }
    };
  }

  private Socket connect(String clientId) throws Exception {
    Socket s = new Socket("127.0.0.1", elsewhere.tcp());
    s.setSoTimeout(10_000);
    s.getOutputStream().write(Wire.connect(4, clientId));
    assertArrayEquals(Wire.connAck311(), Wire.readPacket(s.getInputStream()));
    return s;
  }

  private static byte[] publish(String payload) {
    return Wire.publish(0, 0, "t", payload.getBytes(StandardCharsets.UTF_8), false);
  }

  @Test
  void sendsAndTheCloseArriveInOrder() throws Exception {
    URI url = endpoint.url();
    RemoteOutbound out = remote(to(d -> url), 100);
    try (Socket s = connect("far")) {
      ConnectionId id = elsewhere.stores.connections().connectionOf("far");
      for (int i = 0; i < 20; i++) {
        out.send(id, publish("m" + i));
      }
      out.close(id);
      InputStream in = s.getInputStream();
      for (int i = 0; i < 20; i++) {
        assertArrayEquals(publish("m" + i), Wire.readPacket(in));
      }
      assertNull(Wire.readPacket(in), "closed after what was sent before");
    }
    assertTrue(out.stats().posted() >= 1);
    assertEquals(0, out.stats().dropped());
  }

  @Test
  void aGoneConnectionIsReported() throws Exception {
    URI url = endpoint.url();
    RemoteOutbound out = remote(to(d -> url), 100);
    ConnectionId unknown = new ConnectionId("bridge-test-ffff");
    out.send(unknown, publish("x"));
    assertEquals(unknown, gone.poll(20, TimeUnit.SECONDS));
    assertEquals(1, out.stats().gone());
  }

  @Test
  void aDestinationThatNoLongerExistsMeansItsConnectionsAreGone() throws Exception {
    RemoteOutbound out = remote(to(d -> null), 100);
    ConnectionId orphan = new ConnectionId("bridge-dead-1");
    out.send(orphan, publish("x"));
    assertEquals(orphan, gone.poll(20, TimeUnit.SECONDS));
  }

  @Test
  void connectionsOfNoKnownEdgeAreCountedNotForgotten() {
    RemoteOutbound out = remote(to(d -> null), 100);
    out.send(new ConnectionId("apigw-abc="), publish("x"));
    assertEquals(1, out.stats().unroutable());
    assertTrue(gone.isEmpty());
  }

  @Test
  void aFullDestinationQueueDropsNewPacketsButNotCloses() throws Exception {
    CountDownLatch resolving = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    URI url = endpoint.url();
    RemoteOutbound out =
        remote(
            to(
                d -> {
                  resolving.countDown();
                  try {
                    release.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return url;
                }),
            1);
    try (Socket s = connect("slow")) {
      ConnectionId id = elsewhere.stores.connections().connectionOf("slow");
      out.send(id, publish("first")); // taken by the drainer, which waits in the resolver
      assertTrue(resolving.await(20, TimeUnit.SECONDS));
      out.send(id, publish("second")); // fills the queue (capacity 1)
      out.send(id, publish("third")); // dropped
      out.close(id); // a close is never dropped
      assertEquals(1, out.stats().dropped());
      release.countDown();
      InputStream in = s.getInputStream();
      assertArrayEquals(publish("first"), Wire.readPacket(in));
      assertArrayEquals(publish("second"), Wire.readPacket(in));
      assertNull(Wire.readPacket(in));
    }
  }
}
