package dev.stratus.loadgen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The WebSocket client against a scripted server on loopback: handshake, masking, framing. */
class WebSocketTransportTest {

  /** What the scripted server saw. */
  private record Seen(byte[] clientPayload, boolean masked, byte[] pong) {}

  private interface Script {
    Seen run(Socket socket, InputStream in, OutputStream out) throws Exception;
  }

  private static CompletableFuture<Seen> serve(
      ServerSocket server, String protocol, Script script) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Socket s = server.accept()) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            String key = null;
            for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
              if (line.toLowerCase().startsWith("sec-websocket-key:")) {
                key = line.substring(line.indexOf(':') + 1).trim();
              }
            }
            String accept =
                Base64.getEncoder()
                    .encodeToString(
                        MessageDigest.getInstance("SHA-1")
                            .digest(
                                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                    .getBytes(StandardCharsets.US_ASCII)));
            out.write(
                ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: "
                        + accept
                        + "\r\n"
                        + (protocol == null ? "" : "Sec-WebSocket-Protocol: " + protocol + "\r\n")
                        + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return script.run(s, in, out);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("end of stream in the request");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  /** Reads one client frame; returns {opcode, masked?1:0} and the unmasked payload. */
  private static byte[] readClientFrame(DataInputStream in, boolean[] masked, int[] opcode)
      throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    opcode[0] = b0 & 0x0F;
    masked[0] = (b1 & 0x80) != 0;
    long length = b1 & 0x7F;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] mask = new byte[4];
    if (masked[0]) {
      in.readFully(mask);
    }
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    for (int i = 0; i < payload.length; i++) {
      payload[i] ^= mask[i & 3];
    }
    return payload;
  }

  private static byte[] serverFrame(int opcode, boolean fin, byte[] payload) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      f.write(payload.length);
    } else {
      f.write(126);
      f.write(payload.length >>> 8);
      f.write(payload.length & 0xFF);
    }
    f.writeBytes(payload);
    return f.toByteArray();
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed + i * 7);
    }
    return b;
  }

  @Test
  void masksWritesAndJoinsFramesIntoOneStream() throws Exception {
    byte[] sent = bytes(300, 1);
    byte[] part1 = bytes(3, 50);
    byte[] part2 = bytes(200, 90);
    byte[] part3 = bytes(5, 17);
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Seen> seen =
          serve(
              server,
              "mqtt",
              (socket, in, out) -> {
                DataInputStream data = new DataInputStream(in);
                boolean[] masked = new boolean[1];
                int[] opcode = new int[1];
                byte[] payload = readClientFrame(data, masked, opcode);
                assertEquals(2, opcode[0], "binary frame");
                // A ping first, then a message split over two frames and two TCP writes, then
                // a 16-bit length frame, then close.
                out.write(serverFrame(0x9, true, "hi".getBytes(StandardCharsets.US_ASCII)));
                byte[] first = serverFrame(0x2, false, part1);
                out.write(first, 0, 1);
                out.flush();
                Thread.sleep(20);
                out.write(first, 1, first.length - 1);
                out.write(serverFrame(0x0, true, part2));
                out.write(serverFrame(0x2, true, part3));
                out.flush();
                byte[] pong = readClientFrame(data, new boolean[1], opcode);
                assertEquals(0xA, opcode[0], "pong");
                out.write(serverFrame(0x8, true, new byte[0]));
                out.flush();
                return new Seen(payload, masked[0], pong);
              });
      BrokerUrl url = BrokerUrl.parse("ws://127.0.0.1:" + server.getLocalPort() + "/mqtt");
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      try (Transport ws = Transport.open(url, 64)) {
        ws.write(sent, 0, sent.length);
        byte[] buffer = new byte[7]; // small on purpose: payloads are read in pieces
        int n;
        while ((n = ws.read(buffer, 0, buffer.length)) > 0) {
          received.write(buffer, 0, n);
        }
      }
      Seen s = seen.get(10, TimeUnit.SECONDS);
      assertTrue(s.masked(), "client frames must be masked [RFC 6455 §5.3]");
      assertArrayEquals(sent, s.clientPayload());
      assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), s.pong());
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      expected.writeBytes(part1);
      expected.writeBytes(part2);
      expected.writeBytes(part3);
      assertArrayEquals(expected.toByteArray(), received.toByteArray());
    }
  }

  @Test
  void refusesABrokerThatDoesNotSelectSubprotocolMqtt() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Seen> seen = serve(server, null, (socket, in, out) -> null);
      BrokerUrl url = BrokerUrl.parse("ws://127.0.0.1:" + server.getLocalPort() + "/mqtt");
      IOException e = assertThrows(IOException.class, () -> Transport.open(url, 64));
      assertTrue(e.getMessage().contains("subprotocol"), e.getMessage());
      seen.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTextFrameIsABrokerBug() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Seen> seen =
          serve(
              server,
              "mqtt",
              (socket, in, out) -> {
                out.write(serverFrame(0x1, true, "x".getBytes(StandardCharsets.US_ASCII)));
                out.flush();
                in.read(); // wait for the client to give up
                return null;
              });
      BrokerUrl url = BrokerUrl.parse("ws://127.0.0.1:" + server.getLocalPort() + "/mqtt");
      try (Transport ws = Transport.open(url, 64)) {
        IOException e = assertThrows(IOException.class, () -> ws.read(new byte[8], 0, 8));
        assertTrue(e.getMessage().contains("MQTT-6.0.0-1"), e.getMessage());
      }
      seen.get(10, TimeUnit.SECONDS);
    }
  }
}
