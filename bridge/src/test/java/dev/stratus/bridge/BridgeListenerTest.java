package dev.stratus.bridge;

import static dev.stratus.bridge.Wire.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.bridge.RecordingInbound.Failed;
import dev.stratus.bridge.RecordingInbound.Opened;
import dev.stratus.codec.Connect;
import dev.stratus.codec.MqttVersion;
import dev.stratus.codec.Publish;
import dev.stratus.codec.ReasonCode;
import dev.stratus.core.ConnectionId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The listeners against a fake engine, over real loopback sockets. */
@Timeout(60)
class BridgeListenerTest {
  private final RecordingInbound engine = new RecordingInbound();
  private Bridge bridge;

  private Bridge start(BridgeConfig config) throws IOException {
    bridge = new Bridge(config);
    engine.outbound = bridge;
    bridge.start(engine);
    return bridge;
  }

  @AfterEach
  void stop() {
    if (bridge != null) {
      bridge.close();
    }
  }

  private Socket tcp() throws IOException {
    Socket s = new Socket("127.0.0.1", bridge.port(Protocol.TCP));
    s.setSoTimeout(10_000);
    s.setTcpNoDelay(true);
    return s;
  }

  private static byte[] payload(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void tcpPacketsSplitAcrossReadsAndSeveralPerReadArriveInOrder() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (Socket s = tcp()) {
      OutputStream out = s.getOutputStream();
      byte[] connect = Wire.connect(4, "c1");
      // One byte per write: the framer must reassemble across reads.
      for (byte b : connect) {
        out.write(b);
        out.flush();
      }
      ConnectionId id = engine.next(Opened.class).id();
      Connect c = engine.nextPacket(Connect.class);
      assertEquals(MqttVersion.V3_1_1, c.version());
      assertEquals("c1", c.clientId());
      // Three packets in one write, the last one cut in two.
      byte[] three =
          concat(
              Wire.publish(0, 0, "a/b", payload("one"), false),
              Wire.publish(1, 7, "a/b", payload("two"), false),
              Wire.publish(0, 0, "a/c", payload("three"), false));
      out.write(three, 0, three.length - 3);
      out.flush();
      assertEquals("one", new String(engine.nextPacket(Publish.class).payload().toArray()));
      assertEquals("two", new String(engine.nextPacket(Publish.class).payload().toArray()));
      out.write(three, three.length - 3, 3);
      out.flush();
      Publish third = engine.nextPacket(Publish.class);
      assertEquals("a/c", third.topic().toString());

      bridge.send(id, Wire.connAck311());
      assertArrayEquals(Wire.connAck311(), Wire.read(s.getInputStream(), 4));
    }
  }

  @Test
  void largePacketsGrowTheReadBufferAndArriveWhole() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (Socket s = tcp()) {
      byte[] big = new byte[300_000];
      Arrays.fill(big, (byte) 'x');
      s.getOutputStream()
          .write(
              concat(
                  Wire.connect(5, "big"),
                  Wire.publish(0, 0, "t", big, true),
                  Wire.publish(0, 0, "t", payload("after"), true)));
      engine.next(Opened.class);
      engine.nextPacket(Connect.class);
      assertEquals(big.length, engine.nextPacket(Publish.class).payload().toArray().length);
      assertEquals("after", new String(engine.nextPacket(Publish.class).payload().toArray()));
    }
  }

  @Test
  void engineCloseFlushesWhatWasSentFirst() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (Socket s = tcp()) {
      s.getOutputStream().write(Wire.connect(5, "c"));
      ConnectionId id = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      byte[] disconnect = {(byte) 0xE0, 0x01, (byte) 0x8E}; // session taken over
      bridge.send(id, Wire.connAck5());
      bridge.send(id, disconnect);
      bridge.close(id);
      InputStream in = s.getInputStream();
      assertArrayEquals(concat(Wire.connAck5(), disconnect), Wire.read(in, 8));
      assertEquals(-1, in.read());
      engine.awaitLost(id);
      bridge.send(id, Wire.connAck5()); // after close: ignored, no exception
    }
  }

  @Test
  void malformedPacketClosesOnlyThatConnection() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (Socket good = tcp()) {
      good.getOutputStream().write(Wire.connect(4, "good"));
      ConnectionId goodId = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      try (Socket bad = tcp()) {
        bad.getOutputStream().write(Wire.connect(4, "bad"));
        ConnectionId badId = engine.next(Opened.class).id();
        engine.nextPacket(Connect.class);
        // A remaining length of five bytes is malformed [MQTT-1.5.5-1]; the PINGREQ after it
        // must not be read.
        bad.getOutputStream()
            .write(
                new byte[] {
                  0x30, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F, (byte) 0xC0, 0x00
                });
        Failed failed = engine.next(Failed.class);
        assertEquals(badId, failed.id());
        assertEquals(ReasonCode.MALFORMED_PACKET, failed.error().reasonCode());
        engine.awaitLost(badId);
        assertEquals(-1, bad.getInputStream().read());
      }
      good.getOutputStream().write(new byte[] {(byte) 0xC0, 0x00});
      assertEquals(goodId, engine.next(RecordingInbound.Received.class).id());
      bridge.send(goodId, new byte[] {(byte) 0xD0, 0x00});
      assertArrayEquals(new byte[] {(byte) 0xD0, 0x00}, Wire.read(good.getInputStream(), 2));
    }
  }

  @Test
  void oversizePacketIsRefusedBeforeItIsBuffered() throws Exception {
    start(BridgeConfig.loopbackDefaults().withMaximumPacketSize(1024));
    try (Socket s = tcp()) {
      s.getOutputStream().write(Wire.connect(5, "c"));
      ConnectionId id = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      // Only the fixed header of a 2000-byte PUBLISH: the limit applies before the body arrives.
      s.getOutputStream().write(new byte[] {0x30, (byte) 0xD0, 0x0F});
      Failed failed = engine.next(Failed.class);
      assertEquals(ReasonCode.PACKET_TOO_LARGE, failed.error().reasonCode());
      engine.awaitLost(id);
    }
  }

  @Test
  void firstPacketMustBeConnect() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (Socket s = tcp()) {
      s.getOutputStream().write(new byte[] {(byte) 0xC0, 0x00}); // PINGREQ before CONNECT
      ConnectionId id = engine.next(Opened.class).id();
      Failed failed = engine.next(Failed.class);
      assertEquals(id, failed.id());
      engine.awaitLost(id);
    }
  }

  @Test
  void silentConnectionIsClosedAfterTheConnectTimeout() throws Exception {
    start(BridgeConfig.loopbackDefaults().withConnectTimeout(Duration.ofMillis(300)));
    try (Socket s = tcp()) {
      ConnectionId id = engine.next(Opened.class).id();
      engine.awaitLost(id);
      assertEquals(-1, s.getInputStream().read());
    }
  }

  @Test
  void portInUseNamesTheListener() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Bridge b = new Bridge(BridgeConfig.loopbackDefaults().withPorts(0, -1, taken.getLocalPort()));
      BindException e = assertThrows(BindException.class, () -> b.start(engine));
      assertTrue(
          e.getMessage().startsWith("ws 127.0.0.1:" + taken.getLocalPort() + ": "), e.getMessage());
      b.close();
    }
  }

  @Test
  void endpointsDescribeEachListener() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    var lines = bridge.endpoints().stream().map(Bridge.Endpoint::describe).toList();
    assertEquals(
        java.util.List.of(
            "tcp 127.0.0.1:" + bridge.port(Protocol.TCP),
            "ws ws://127.0.0.1:" + bridge.port(Protocol.WS) + "/mqtt"),
        lines);
    assertEquals(-1, bridge.port(Protocol.TLS));
  }

  @Test
  void webSocketPacketsSplitAcrossFramesAndSeveralPerFrame() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (var ws = new Wire.WsClient(bridge.port(Protocol.WS), "/mqtt", "mqtt")) {
      assertTrue(ws.handshakeResponse.startsWith("HTTP/1.1 101 "), ws.handshakeResponse);
      assertTrue(ws.handshakeResponse.contains("Sec-WebSocket-Protocol: mqtt\r\n"));
      byte[] connect = Wire.connect(4, "ws1");
      // CONNECT split across a fragmented message: binary (FIN=0), ping, continuation (FIN=1).
      ws.send(false, 2, Arrays.copyOfRange(connect, 0, 5));
      ws.send(true, 9, payload("p"));
      ws.send(true, 0, Arrays.copyOfRange(connect, 5, connect.length));
      ConnectionId id = engine.next(Opened.class).id();
      assertEquals("ws1", engine.nextPacket(Connect.class).clientId());
      var pong = ws.readFrame();
      assertEquals(0xA, pong.opcode());
      assertArrayEquals(payload("p"), pong.payload());
      // Two packets in one frame, then a packet split over two unfragmented frames.
      byte[] p3 = Wire.publish(0, 0, "x", payload("3"), false);
      ws.send(
          true,
          2,
          concat(
              Wire.publish(0, 0, "x", payload("1"), false),
              Wire.publish(0, 0, "x", payload("2"), false),
              Arrays.copyOf(p3, 2)));
      ws.send(true, 2, Arrays.copyOfRange(p3, 2, p3.length));
      for (String expected : new String[] {"1", "2", "3"}) {
        assertEquals(expected, new String(engine.nextPacket(Publish.class).payload().toArray()));
      }

      bridge.send(id, Wire.connAck311());
      bridge.send(id, new byte[] {(byte) 0xD0, 0x00});
      assertArrayEquals(concat(Wire.connAck311(), new byte[] {(byte) 0xD0, 0x00}), ws.readMqtt(6));
    }
  }

  @Test
  void webSocketTextFrameClosesWith1003() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (var ws = new Wire.WsClient(bridge.port(Protocol.WS), "/mqtt", "mqtt")) {
      ws.send(true, 2, Wire.connect(4, "t"));
      ConnectionId id = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      ws.send(true, 1, Wire.publish(0, 0, "x", payload("as text"), false));
      var close = ws.readFrame();
      assertEquals(0x8, close.opcode());
      assertArrayEquals(new byte[] {0x03, (byte) 0xEB}, close.payload()); // 1003 [MQTT-6.0.0-1]
      assertEquals(-1, ws.in.read());
      engine.awaitLost(id);
    }
  }

  @Test
  void webSocketCloseFrameIsEchoed() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (var ws = new Wire.WsClient(bridge.port(Protocol.WS), "/mqtt", "mqttv3.1")) {
      assertTrue(ws.handshakeResponse.contains("Sec-WebSocket-Protocol: mqttv3.1\r\n"));
      ConnectionId id = engine.next(Opened.class).id();
      ws.send(true, 8, new byte[] {0x03, (byte) 0xE8});
      var close = ws.readFrame();
      assertEquals(0x8, close.opcode());
      assertArrayEquals(new byte[] {0x03, (byte) 0xE8}, close.payload());
      engine.awaitLost(id);
    }
  }

  /**
   * The non-blocking listener collects the opening handshake across reads, and frames the client
   * sends right behind its request (in the same segment) are decoded, not lost.
   */
  @Test
  void webSocketHandshakeSplitAcrossReadsWithAFramePipelinedBehindIt() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    String request =
        "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
    byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
    byte[] frame = WebSocketDecoderTest.clientFrame(true, 2, Wire.connect(4, "split"), 0x5A17C0DE);
    try (Socket s = new Socket("127.0.0.1", bridge.port(Protocol.WS))) {
      s.setSoTimeout(10_000);
      s.setTcpNoDelay(true);
      OutputStream out = s.getOutputStream();
      int[] cuts = {0, 3, 40, bytes.length - 1};
      for (int i = 0; i + 1 < cuts.length; i++) {
        out.write(bytes, cuts[i], cuts[i + 1] - cuts[i]);
        out.flush();
        Thread.sleep(50); // separate segments, so separate reads (not asserted: any split is valid)
      }
      // The request's last byte and the CONNECT frame in one write.
      out.write(concat(Arrays.copyOfRange(bytes, bytes.length - 1, bytes.length), frame));
      ConnectionId id = engine.next(Opened.class).id();
      assertEquals("split", engine.nextPacket(Connect.class).clientId());
      String head = readHead(s.getInputStream());
      assertTrue(head.startsWith("HTTP/1.1 101 "), head);
      bridge.send(id, Wire.connAck311());
      byte[] binary = Wire.read(s.getInputStream(), 6);
      assertArrayEquals(concat(new byte[] {(byte) 0x82, 4}, Wire.connAck311()), binary);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  @Test
  void badWebSocketHandshakeIsRefusedWithoutOpeningAConnection() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (var ws = new Wire.WsClient(bridge.port(Protocol.WS), "/other", "mqtt")) {
      assertTrue(ws.handshakeResponse.startsWith("HTTP/1.1 404 "), ws.handshakeResponse);
      assertEquals(-1, ws.in.read());
    }
    try (var ws = new Wire.WsClient(bridge.port(Protocol.WS), "/mqtt", null)) {
      assertTrue(ws.handshakeResponse.startsWith("HTTP/1.1 400 "), ws.handshakeResponse);
      assertEquals(-1, ws.in.read());
    }
    // The TCP listener still works, and the engine never heard of the refused sockets.
    try (Socket s = tcp()) {
      s.getOutputStream().write(Wire.connect(4, "after"));
      engine.next(Opened.class);
      assertEquals("after", engine.nextPacket(Connect.class).clientId());
    }
  }

  @Test
  void tlsHandshakeWithSelfSignedCertificate(@TempDir Path dir) throws Exception {
    for (String algorithm : new String[] {"RSA", "EC"}) {
      TestCertificates certs = TestCertificates.create(dir, algorithm);
      var context = Tls.serverContext(certs.certificate(), certs.privateKey());
      start(BridgeConfig.loopbackDefaults().withTls(context, 0));
      ConnectionId id;
      try (SSLSocket s =
          (SSLSocket)
              certs
                  .clientContext()
                  .getSocketFactory()
                  .createSocket("127.0.0.1", bridge.port(Protocol.TLS))) {
        s.setSoTimeout(10_000);
        s.startHandshake();
        s.getOutputStream().write(Wire.connect(5, "secure-" + algorithm));
        id = engine.next(Opened.class).id();
        assertTrue(id.value().startsWith("bridge-test-"));
        assertEquals("secure-" + algorithm, engine.nextPacket(Connect.class).clientId());
        bridge.send(id, Wire.connAck5());
        assertArrayEquals(Wire.connAck5(), Wire.read(s.getInputStream(), 5));
      }
      engine.awaitLost(id); // before the next round, so its events cannot mix with this one
      bridge.close();
      engine.events.clear();
    }
  }

  @Test
  void pkcs1RsaKeyIsAccepted(@TempDir Path dir) throws Exception {
    TestCertificates certs = TestCertificates.create(dir, "RSA");
    // Strip the PKCS#8 envelope to get the PKCS#1 form that `openssl genrsa` (1.x) writes.
    byte[] pkcs8 = Tls.pemBody(java.nio.file.Files.readString(certs.privateKey()), "PRIVATE KEY");
    java.nio.ByteBuffer der = java.nio.ByteBuffer.wrap(pkcs8);
    enterDer(der); // PrivateKeyInfo SEQUENCE
    skipDer(der); // version INTEGER
    skipDer(der); // AlgorithmIdentifier SEQUENCE
    byte[] pkcs1 = new byte[enterDer(der)]; // privateKey OCTET STRING holds the PKCS#1 key
    der.get(pkcs1);
    Path pkcs1File = dir.resolve("rsa1.pem");
    java.nio.file.Files.writeString(pkcs1File, Tls.toPem("RSA PRIVATE KEY", pkcs1));
    assertEquals(Tls.readPrivateKey(certs.privateKey()), Tls.readPrivateKey(pkcs1File));
  }

  private static void skipDer(java.nio.ByteBuffer der) {
    int length = enterDer(der);
    der.position(der.position() + length);
  }

  /** Reads a DER tag and length; returns the length, leaving the position at the content. */
  private static int enterDer(java.nio.ByteBuffer der) {
    der.get();
    int first = der.get() & 0xFF;
    if (first < 0x80) {
      return first;
    }
    int length = 0;
    for (int i = 0; i < (first & 0x7F); i++) {
      length = (length << 8) | (der.get() & 0xFF);
    }
    return length;
  }

  @Test
  void drainTellsV5ClientsServerShuttingDown() throws Exception {
    start(BridgeConfig.loopbackDefaults());
    try (Socket v5 = tcp()) {
      v5.getOutputStream().write(Wire.connect(5, "five"));
      ConnectionId id5 = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      Socket v311 = tcp();
      v311.getOutputStream().write(Wire.connect(4, "four"));
      ConnectionId id4 = engine.next(Opened.class).id();
      engine.nextPacket(Connect.class);
      bridge.send(id5, Wire.connAck5());
      bridge.send(id4, Wire.connAck311());
      assertTrue(bridge.drain(Duration.ofSeconds(10)));
      byte[] got5 = v5.getInputStream().readAllBytes();
      // CONNACK, then DISCONNECT with reason 0x8B Server shutting down.
      assertEquals(0xE0, got5[5] & 0xFF);
      assertEquals(0x8B, got5[7] & 0xFF);
      assertArrayEquals(Wire.connAck311(), v311.getInputStream().readAllBytes());
      v311.close();
      // No new connection is accepted after the drain.
      assertThrows(IOException.class, () -> new Socket("127.0.0.1", bridge.port(Protocol.TCP)));
      assertEquals(0, bridge.stats().openConnections());
    }
  }
}
