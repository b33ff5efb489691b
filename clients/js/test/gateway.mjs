// Test-only text-profile gateway: a WebSocket server speaking docs/text-profile.md in front of a
// real broker (Aedes in this process, or mosquitto over TCP for MQTT 5, which Aedes does not
// support). It checks what the adapter must guarantee and records it for the tests:
// - subprotocol mqtt-base64.stratus.dev selected;
// - every client message is `<seq>:<base64>` with seq 1, 2, 3, ... on each connection;
// - every client message holds only whole MQTT packets, none over 95,985 bytes.
// Violations are recorded in `connection.violations` and close the connection, as the real
// server does. Towards the client it frames the broker's bytes into whole packets and sends them
// as base64 text, or as binary frames (`frames: 'binary'`), or alternating (`'alternate'`).
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { Aedes } from 'aedes';

export const SUBPROTOCOL = 'mqtt-base64.stratus.dev';
export const MAX_PACKET_BYTES = 95985;
export const MAX_MESSAGE_CHARS = 128000;

/**
 * Splits bytes into whole MQTT packets (written independently of the adapter's framer, so the
 * test does not check the adapter with its own code). Returns { packets, rest }.
 */
export function splitPackets(buf) {
  const packets = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    let remaining = 0;
    let i = 1;
    let complete = false;
    for (let shift = 0; i <= 4 && at + i < buf.length; i++, shift += 7) {
      remaining += (buf[at + i] & 0x7f) * 2 ** shift;
      if ((buf[at + i] & 0x80) === 0) {
        complete = true;
        break;
      }
    }
    if (!complete) {
      if (i > 4) throw new Error('malformed Remaining Length');
      break;
    }
    const total = 1 + i + remaining;
    if (buf.length - at < total) break;
    packets.push(buf.subarray(at, at + total));
    at += total;
  }
  return { packets, rest: buf.subarray(at) };
}

export const PACKET_TYPES = [
  'reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
];

const SEQUENCED = /^(0|[1-9][0-9]*):(.*)$/s;

/**
 * Starts a gateway on 127.0.0.1 and a free port.
 * @param {object} options
 * @param {'aedes'|{host:string,port:number}} [options.broker] where MQTT bytes go
 * @param {'text'|'binary'|'alternate'} [options.frames] how the broker's packets are sent back
 * @param {boolean} [options.selectProtocol] false: accept the upgrade without selecting the profile
 */
export async function startGateway(options = {}) {
  const broker = options.broker || 'aedes';
  const frames = options.frames || 'text';
  const aedes = broker === 'aedes' ? await Aedes.createBroker() : null;
  const connections = [];
  const http = createServer((req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({
    server: http,
    handleProtocols: (protocols) =>
      options.selectProtocol === false ? false : protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false,
  });

  wss.on('connection', (ws) => {
    const conn = {
      protocol: ws.protocol,
      messages: [], // { seq, text, packets: [Buffer] } as received from the client
      sent: [], // { binary, packets: [Buffer] } as sent to the client
      violations: [],
      ws,
      closed: new Promise((resolve) => ws.on('close', resolve)),
      /** Sends a raw frame to the client (for malformed-message tests). */
      sendRaw: (data) => ws.send(data),
    };
    connections.push(conn);
    const violate = (why) => {
      conn.violations.push(why);
      ws.close(1008, why.slice(0, 100));
    };

    // Broker side: a duplex whose writes are the broker's output and whose reads are our input.
    let pendingOut = Buffer.alloc(0);
    let flushScheduled = false;
    let messageCount = 0;
    const flushOut = () => {
      flushScheduled = false;
      const { packets, rest } = splitPackets(pendingOut);
      pendingOut = Buffer.from(rest);
      // Several consecutive packets share a message (the profile allows it), within the limit.
      let batch = [];
      let size = 0;
      const emit = () => {
        if (batch.length === 0 || ws.readyState !== ws.OPEN) return;
        const bytes = Buffer.concat(batch);
        const binary = frames === 'binary' || (frames === 'alternate' && messageCount % 2 === 1);
        messageCount++;
        conn.sent.push({ binary, packets: batch });
        ws.send(binary ? bytes : bytes.toString('base64'), { binary });
        batch = [];
        size = 0;
      };
      for (const p of packets) {
        if (p.length > MAX_PACKET_BYTES) {
          conn.violations.push('broker packet over the limit, not deliverable: ' + p.length);
          continue;
        }
        if (size + p.length > MAX_PACKET_BYTES) emit();
        batch.push(Buffer.from(p));
        size += p.length;
      }
      emit();
    };
    let toBroker;
    if (aedes) {
      toBroker = new Duplex({
        read() {},
        write(chunk, enc, cb) {
          pendingOut = Buffer.concat([pendingOut, chunk]);
          if (!flushScheduled) {
            flushScheduled = true;
            setImmediate(flushOut);
          }
          cb();
        },
        final(cb) {
          ws.close();
          cb();
        },
      });
      aedes.handle(toBroker);
    } else {
      toBroker = net.connect(broker.port, broker.host);
      toBroker.on('data', (chunk) => {
        pendingOut = Buffer.concat([pendingOut, chunk]);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushOut);
        }
      });
      toBroker.on('end', () => ws.close());
      toBroker.on('error', () => ws.terminate());
    }
    const toBrokerInput = (bytes) => (aedes ? toBroker.push(bytes) : toBroker.write(bytes));

    let expectedSeq = 1;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return violate('binary frame from the client');
      const text = data.toString('utf8');
      if (text.length > MAX_MESSAGE_CHARS + 12) return violate('message over the limit: ' + text.length);
      const m = SEQUENCED.exec(text);
      if (!m) return violate('message without a sequence prefix');
      const seq = Number(m[1]);
      if (seq !== expectedSeq) return violate('sequence ' + seq + ' where ' + expectedSeq + ' was expected');
      expectedSeq++;
      const b64 = m[2];
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return violate('not base64');
      const bytes = Buffer.from(b64, 'base64');
      let split;
      try {
        split = splitPackets(bytes);
      } catch (err) {
        return violate(err.message);
      }
      if (split.rest.length > 0) return violate('message ends inside a packet');
      if (split.packets.some((p) => p.length > MAX_PACKET_BYTES)) return violate('packet over the limit');
      conn.messages.push({ seq, text, packets: split.packets.map((p) => Buffer.from(p)) });
      toBrokerInput(bytes);
    });
    ws.on('close', () => {
      if (aedes) toBroker.push(null);
      else toBroker.end();
    });
  });

  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address();
  return {
    url: `ws://127.0.0.1:${port}/stage`,
    port,
    connections,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => http.close(resolve));
      if (aedes) await new Promise((resolve) => aedes.close(resolve));
    },
  };
}

/** Starts mosquitto on 127.0.0.1 and a free port (for MQTT 5); resolves when it accepts connections. */
export async function startMosquitto() {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const dir = mkdtempSync(path.join(tmpdir(), 'stratus-js-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const bin = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) || 'mosquitto';
  const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  for (let attempt = 0; ; attempt++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (proc.exitCode !== null || attempt > 100) {
      proc.kill();
      throw new Error('mosquitto did not start: ' + stderr);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: '127.0.0.1',
    port,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on('exit', resolve);
        proc.kill();
      }),
  };
}
