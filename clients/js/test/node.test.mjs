// MQTT.js 5.16.0 in Node with the adapter (the `ws` package injected as WebSocket) against real
// brokers behind the test gateway: Aedes (MQTT 3.1.1) and mosquitto (3.1.1 and 5).
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import { textProfile, SUBPROTOCOL, MAX_PACKET_BYTES } from '../src/index.js';
import { startGateway, startMosquitto, PACKET_TYPES } from './gateway.mjs';

// Every test stops by itself: a connection the gateway closed leaves MQTT.js waiting for acks.
const test = (name, options, fn) =>
  fn ? nodeTest(name, { timeout: 30000, ...options }, fn) : nodeTest(name, { timeout: 30000 }, options);

let mosquitto;
before(async () => {
  mosquitto = await startMosquitto();
});
after(async () => {
  await mosquitto.stop();
});

/** createWebsocket that also counts MQTT.js's writes into the adapter. */
function counting(options = {}) {
  const inner = textProfile({ WebSocket, ...options });
  const stats = { writes: 0, sockets: [] };
  const createWebsocket = (url, protocols, opts) => {
    const socket = inner(url, protocols, opts);
    const send = socket.send.bind(socket);
    socket.send = (data, o, cb) => {
      stats.writes++;
      return send(data, o, cb);
    };
    stats.sockets.push(socket);
    return socket;
  };
  return { createWebsocket, stats };
}

function types(message) {
  return message.packets.map((p) => PACKET_TYPES[p[0] >> 4]);
}

/** Every client message on the connection: consecutive sequence numbers from 1, whole packets. */
function assertWellFormed(conn) {
  assert.deepEqual(conn.violations, []);
  assert.equal(conn.protocol, SUBPROTOCOL);
  assert.deepEqual(
    conn.messages.map((m) => m.seq),
    conn.messages.map((_, i) => i + 1),
  );
}

function nextMessage(client, topic) {
  return new Promise((resolve) => {
    const on = (t, payload, packet) => {
      if (t !== topic) return;
      client.removeListener('message', on);
      resolve({ payload, packet });
    };
    client.on('message', on);
  });
}

const brokers = [
  ['aedes', 4, 'text'],
  ['aedes', 4, 'binary'],
  ['mosquitto', 4, 'alternate'],
  ['mosquitto', 5, 'alternate'],
];

for (const [brokerName, version, frames] of brokers) {
  for (const forceNativeWebSocket of [false, true]) {
    const path = forceNativeWebSocket ? "MQTT.js's browser path (forceNativeWebSocket)" : "MQTT.js's Node path";
    test(`${brokerName} MQTT ${version === 5 ? '5' : '3.1.1'}, server frames ${frames}, ${path}: subscribe, publish and receive QoS 0/1/2`, async () => {
      const gw = await startGateway({ broker: brokerName === 'aedes' ? 'aedes' : mosquitto, frames });
      const { createWebsocket, stats } = counting();
      try {
        const client = await mqtt.connectAsync(gw.url, {
          protocolVersion: version,
          createWebsocket,
          forceNativeWebSocket,
          reconnectPeriod: 0,
          clientId: 'js-' + version + '-' + frames + (forceNativeWebSocket ? '-native' : ''),
        });
        const granted = await client.subscribeAsync('room/#', { qos: 2 });
        assert.deepEqual(
          granted.map((g) => g.qos),
          [2],
        );
        for (const qos of [0, 1, 2]) {
          const received = nextMessage(client, 'room/q' + qos);
          await client.publishAsync('room/q' + qos, 'payload at qos ' + qos, { qos });
          const { payload, packet } = await received;
          assert.equal(payload.toString(), 'payload at qos ' + qos);
          assert.equal(packet.qos, qos);
        }
        await client.endAsync();

        assert.equal(gw.connections.length, 1);
        const conn = gw.connections[0];
        await conn.closed;
        assertWellFormed(conn);
        // CONNECT alone first [MQTT-3.1.0-1], written by MQTT.js in pieces and sent as one packet.
        assert.deepEqual(types(conn.messages[0]), ['connect']);
        const sentTypes = conn.messages.flatMap(types);
        for (const t of ['subscribe', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'disconnect']) {
          assert.ok(sentTypes.includes(t), t + ' sent: ' + sentTypes);
        }
        if (!forceNativeWebSocket) {
          // The Node path writes each packet in several pieces: fewer messages than writes.
          assert.ok(stats.writes > conn.messages.length, `${stats.writes} writes, ${conn.messages.length} messages`);
        }
        if (frames !== 'text') assert.ok(conn.sent.some((m) => m.binary), 'binary frames were sent');
        if (frames !== 'binary') assert.ok(conn.sent.some((m) => !m.binary), 'text frames were sent');
        assert.equal(stats.sockets[0].messagesReceived, conn.sent.length);
      } finally {
        await gw.close();
      }
    });
  }
}

test('packets written in one tick are coalesced into few messages, each of whole packets', async () => {
  const gw = await startGateway({ broker: 'aedes' });
  const { createWebsocket, stats } = counting();
  try {
    const client = await mqtt.connectAsync(gw.url, { protocolVersion: 4, createWebsocket, reconnectPeriod: 0 });
    await client.subscribeAsync('burst/#', { qos: 0 });
    const count = 50;
    const got = new Promise((resolve) => {
      const seen = [];
      client.on('message', (t, p) => {
        seen.push(p.toString());
        if (seen.length === count) resolve(seen);
      });
    });
    const before = gw.connections[0].messages.length;
    for (let i = 0; i < count; i++) client.publish('burst/' + i, 'm' + i, { qos: 0 });
    assert.deepEqual(
      await got,
      Array.from({ length: count }, (_, i) => 'm' + i),
    );
    await client.endAsync();
    const conn = gw.connections[0];
    await conn.closed;
    assertWellFormed(conn);
    const burst = conn.messages.slice(before).filter((m) => types(m).includes('publish'));
    const publishes = burst.flatMap(types).filter((t) => t === 'publish').length;
    assert.equal(publishes, count);
    assert.ok(burst.length < count, `${count} publishes in ${burst.length} messages`);
    assert.ok(stats.writes >= count * 2, `MQTT.js wrote ${stats.writes} pieces`);
  } finally {
    await gw.close();
  }
});

/** A v3.1.1 PUBLISH QoS 1 of exactly `size` bytes: 1 + remaining length bytes + topic + id + payload. */
function payloadForPacketSize(topic, size) {
  const varHeader = 2 + Buffer.byteLength(topic) + 2;
  for (let rlBytes = 1; rlBytes <= 4; rlBytes++) {
    const remaining = size - 1 - rlBytes;
    if (remaining < 128 ** rlBytes && remaining >= (rlBytes === 1 ? 0 : 128 ** (rlBytes - 1))) {
      return Buffer.alloc(remaining - varHeader, 0x61);
    }
  }
  throw new Error('no payload size');
}

test('a packet of exactly 95,985 bytes goes through, alone in its message', async () => {
  const gw = await startGateway({ broker: 'aedes', frames: 'alternate' });
  try {
    const client = await mqtt.connectAsync(gw.url, {
      protocolVersion: 4,
      createWebsocket: textProfile({ WebSocket }),
      reconnectPeriod: 0,
    });
    await client.subscribeAsync('big', { qos: 1 });
    const payload = payloadForPacketSize('big', MAX_PACKET_BYTES);
    const received = nextMessage(client, 'big');
    await client.publishAsync('big', payload, { qos: 1 });
    assert.ok((await received).payload.equals(payload));
    await client.endAsync();
    const conn = gw.connections[0];
    await conn.closed;
    assertWellFormed(conn);
    const big = conn.messages.filter((m) => m.packets.some((p) => p.length === MAX_PACKET_BYTES));
    assert.equal(big.length, 1);
    assert.equal(big[0].packets.length, 1);
    assert.equal(big[0].text.length, String(big[0].seq).length + 1 + 127980);
    assert.ok(conn.sent.some((m) => m.packets.some((p) => p.length === MAX_PACKET_BYTES)), 'delivered back');
  } finally {
    await gw.close();
  }
});

for (const forceNativeWebSocket of [false, true]) {
  test(`a packet of 96,001 bytes is refused with an error and never sent (forceNativeWebSocket ${forceNativeWebSocket})`, async () => {
    const gw = await startGateway({ broker: 'aedes' });
    try {
      const hooked = [];
      const client = await mqtt.connectAsync(gw.url, {
        protocolVersion: 4,
        createWebsocket: textProfile({ WebSocket, onError: (e) => hooked.push(e) }),
        forceNativeWebSocket,
        reconnectPeriod: 0,
      });
      const errors = [];
      client.on('error', (e) => errors.push(e));
      const closed = new Promise((resolve) => client.once('close', resolve));
      client.publish('big', payloadForPacketSize('big', MAX_PACKET_BYTES + 1), { qos: 1 });
      await closed;
      assert.deepEqual(
        hooked.map((e) => e.code),
        ['ERR_STRATUS_PACKET_TOO_LARGE'],
      );
      assert.match(hooked[0].message, /95986 bytes exceeds the text profile limit of 95985/);
      if (!forceNativeWebSocket) {
        // MQTT.js's Node path re-emits coded stream errors on the client; its browser path reports
        // every socket error as a bare close, hence the onError option.
        assert.deepEqual(
          errors.map((e) => e.code),
          ['ERR_STRATUS_PACKET_TOO_LARGE'],
        );
      }
      const conn = gw.connections[0];
      await conn.closed;
      assertWellFormed(conn);
      assert.ok(!conn.messages.flatMap(types).includes('publish'), 'the oversize PUBLISH was not sent');
      client.end(true);
    } finally {
      await gw.close();
    }
  });
}

test('maxPacketBytes lowers the limit and cannot raise it above 95,985', async () => {
  assert.throws(
    () => textProfile({ WebSocket, maxPacketBytes: MAX_PACKET_BYTES + 1 })('ws://127.0.0.1:1/x', ['mqtt'], {}),
    (err) => err.code === 'ERR_STRATUS_INVALID_OPTION',
  );
  const gw = await startGateway({ broker: 'aedes' });
  try {
    const hooked = [];
    const client = await mqtt.connectAsync(gw.url, {
      protocolVersion: 4,
      createWebsocket: textProfile({ WebSocket, maxPacketBytes: 1000, onError: (e) => hooked.push(e) }),
      reconnectPeriod: 0,
    });
    client.on('error', () => {});
    await client.publishAsync('small', Buffer.alloc(900), { qos: 1 });
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.publish('small', Buffer.alloc(1000), { qos: 1 }); // 1 + 2 + (2 + 5) + 2 + 1000 = 1012 bytes
    await closed;
    assert.match(hooked[0].message, /packet of 1012 bytes exceeds the text profile limit of 1000 bytes/);
    client.end(true);
  } finally {
    await gw.close();
  }
});

const malformed = [
  ['a text message that is not base64', 'this is not base64!'],
  ['an empty text message', ''],
  ['base64 that ends inside a packet', Buffer.from([0x30, 0x0a, 0x00, 0x01, 0x74]).toString('base64')],
  ['a binary frame that ends inside a packet', Buffer.from([0x30, 0x0a, 0x00])],
];
for (const [what, frame] of malformed) {
  test(`${what} from the server surfaces an error and closes, and nothing of it reaches MQTT.js`, async () => {
    const gw = await startGateway({ broker: 'aedes' });
    const { createWebsocket, stats } = counting();
    try {
      const client = await mqtt.connectAsync(gw.url, { protocolVersion: 4, createWebsocket, reconnectPeriod: 0 });
      await client.subscribeAsync('x', { qos: 0 });
      const error = new Promise((resolve) => client.once('error', resolve));
      const closed = new Promise((resolve) => client.once('close', resolve));
      const packets = [];
      client.on('packetreceive', (p) => packets.push(p.cmd));
      gw.connections[0].sendRaw(frame);
      const err = await error;
      assert.equal(err.code, 'ERR_STRATUS_MALFORMED_MESSAGE');
      assert.match(err.message, /not base64|empty message|ends inside an MQTT packet/);
      await closed;
      assert.deepEqual(packets, []);
      assert.equal(stats.sockets[0].readyState, WebSocket.CLOSED);
      client.end(true);
    } finally {
      await gw.close();
    }
  });
}

test('a server that does not select mqtt-base64.stratus.dev fails the connection clearly', async () => {
  const gw = await startGateway({ broker: 'aedes', selectProtocol: false });
  try {
    const client = mqtt.connect(gw.url, {
      protocolVersion: 4,
      createWebsocket: textProfile({ WebSocket }),
      reconnectPeriod: 0,
    });
    const err = await new Promise((resolve) => client.once('error', resolve));
    assert.equal(err.code, 'ERR_STRATUS_SUBPROTOCOL');
    assert.match(err.message, /mqtt-base64\.stratus\.dev/);
    client.end(true);
    for (const conn of gw.connections) assert.deepEqual(conn.messages, []);
  } finally {
    await gw.close();
  }
});

test('without a WebSocket implementation the error says how to inject one', () => {
  assert.equal(typeof globalThis.WebSocket, 'undefined', 'Node 20 has no global WebSocket by default');
  assert.throws(
    () => textProfile()('ws://127.0.0.1:1/x', ['mqtt'], {}),
    (err) => err.code === 'ERR_STRATUS_NO_WEBSOCKET' && /pass one/.test(err.message),
  );
});

test("globalThis.WebSocket (Node's built-in undici client) with the default createWebsocket export", {
  skip: process.allowedNodeEnvironmentFlags.has('--experimental-websocket')
    ? false
    : 'this Node has no built-in WebSocket client (needs Node 20.10+)',
}, async () => {
  // Node 20 exposes its WebSocket only behind a flag: run the scenario in a child process.
  const gw = await startGateway({ broker: mosquitto, frames: 'alternate' });
  const noProtocol = await startGateway({ broker: 'aedes', selectProtocol: false });
  try {
    const script = fileURLToPath(new URL('./fixtures/native-websocket.mjs', import.meta.url));
    const run = await new Promise((resolve) => {
      import('node:child_process').then(({ spawn }) => {
        const child = spawn(process.execPath, ['--experimental-websocket', script, gw.url, noProtocol.url]);
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('exit', (code) => resolve({ code, out }));
      });
    });
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^received hello over native WebSocket$/m);
    assert.match(run.out, /^refused ERR_STRATUS_SUBPROTOCOL$/m);
    assertWellFormed(gw.connections[0]);
  } finally {
    await gw.close();
    await noProtocol.close();
  }
});

test('dist/stratus-mqtt-text-profile.js is generated from src/index.js and loads with require', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const check = spawnSync(process.execPath, ['scripts/build.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const cjs = spawnSync(
    process.execPath,
    ['-e', "const m = require('./dist/stratus-mqtt-text-profile.js'); console.log(m.SUBPROTOCOL, m.MAX_PACKET_BYTES, typeof m.createWebsocket, typeof m.textProfile)"],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(cjs.stdout.trim(), 'mqtt-base64.stratus.dev 95985 function function', cjs.stderr);
});
