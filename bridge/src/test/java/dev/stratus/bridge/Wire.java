package dev.stratus.bridge;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Hand-assembled MQTT packets and a raw WebSocket client, so the tests do not trust the codec. */
final class Wire {
  private Wire() {}

  /** CONNECT: protocol name, level, flags (clean), keepalive 60, [v5: no properties], client id. */
  static byte[] connect(int level, String clientId) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, level == 3 ? "MQIsdp" : "MQTT");
    body.write(level);
    body.write(0x02); // clean session / clean start
    body.write(0);
    body.write(60);
    if (level == 5) {
      body.write(0); // property length
    }
    writeString(body, clientId);
    return packet(0x10, body.toByteArray());
  }

  static byte[] publish(int qos, int packetId, String topic, byte[] payload, boolean v5) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, topic);
    if (qos > 0) {
      body.write(packetId >>> 8);
      body.write(packetId);
    }
    if (v5) {
      body.write(0);
    }
    body.writeBytes(payload);
    return packet(0x30 | (qos << 1), body.toByteArray());
  }

  /** 3.1.1 CONNACK, session not present, accepted. */
  static byte[] connAck311() {
    return new byte[] {0x20, 0x02, 0x00, 0x00};
  }

  /** 5.0 CONNACK, session not present, success, no properties. */
  static byte[] connAck5() {
    return new byte[] {0x20, 0x03, 0x00, 0x00, 0x00};
  }

  static byte[] packet(int firstByte, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(firstByte);
    int n = body.length;
    do {
      int digit = n % 128;
      n /= 128;
      out.write(n > 0 ? digit | 0x80 : digit);
    } while (n > 0);
    out.writeBytes(body);
    return out.toByteArray();
  }

  static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write(b.length >>> 8);
    out.write(b.length);
    out.writeBytes(b);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Reads exactly {@code n} bytes. */
  static byte[] read(InputStream in, int n) throws IOException {
    byte[] b = new byte[n];
    new DataInputStream(in).readFully(b);
    return b;
  }

  /** A minimal RFC 6455 client over a plain socket: masked frames out, raw frames in. */
  static final class WsClient implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final String handshakeResponse;

    WsClient(int port, String path, String subprotocols) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(10_000);
      in = socket.getInputStream();
      out = socket.getOutputStream();
      String request =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              + (subprotocols == null ? "" : "Sec-WebSocket-Protocol: " + subprotocols + "\r\n")
              + "\r\n";
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (true) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.write(b);
        byte[] h = head.toByteArray();
        int n = h.length;
        if (n >= 4
            && h[n - 4] == '\r'
            && h[n - 3] == '\n'
            && h[n - 2] == '\r'
            && h[n - 1] == '\n') {
          break;
        }
      }
      handshakeResponse = head.toString(StandardCharsets.ISO_8859_1);
    }

    void send(boolean fin, int opcode, byte[] payload) throws IOException {
      out.write(WebSocketDecoderTest.clientFrame(fin, opcode, payload, 0x5A17C0DE));
      out.flush();
    }

    /** One server frame: opcode and payload. Server frames are never masked. */
    record Frame(int opcode, boolean fin, byte[] payload) {}

    Frame readFrame() throws IOException {
      byte[] h = read(in, 2);
      if ((h[1] & 0x80) != 0) {
        throw new IOException("server frame is masked");
      }
      long len = h[1] & 0x7F;
      if (len == 126) {
        byte[] l = read(in, 2);
        len = ((l[0] & 0xFF) << 8) | (l[1] & 0xFF);
      } else if (len == 127) {
        byte[] l = read(in, 8);
        len = java.nio.ByteBuffer.wrap(l).getLong();
      }
      return new Frame(h[0] & 0x0F, (h[0] & 0x80) != 0, read(in, (int) len));
    }

    /** Reads binary frames until {@code n} MQTT bytes have arrived. */
    byte[] readMqtt(int n) throws IOException {
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      while (got.size() < n) {
        Frame f = readFrame();
        if (f.opcode() != 2) {
          throw new IOException("expected a binary frame, got opcode " + f.opcode());
        }
        got.writeBytes(f.payload());
      }
      return Arrays.copyOf(got.toByteArray(), got.size());
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
