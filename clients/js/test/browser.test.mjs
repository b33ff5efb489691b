// MQTT.js 5.16.0's browser bundles with the adapter in headless Chromium (playwright-core, the
// system chromium), against real brokers behind the test gateway: the classic <script> files
// (mqtt.min.js + dist/stratus-mqtt-text-profile.js) and the ES modules (mqtt.esm.js + src/index.js).
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startGateway, startMosquitto, PACKET_TYPES, SUBPROTOCOL } from './gateway.mjs';

// Every test stops by itself: a connection the gateway closed leaves MQTT.js waiting for acks.
const test = (name, options, fn) =>
  fn ? nodeTest(name, { timeout: 30000, ...options }, fn) : nodeTest(name, { timeout: 30000 }, options);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const FILES = {
  '/mqtt.min.js': 'node_modules/mqtt/dist/mqtt.min.js',
  '/mqtt.esm.js': 'node_modules/mqtt/dist/mqtt.esm.js',
  '/stratus-mqtt-text-profile.js': 'dist/stratus-mqtt-text-profile.js',
  '/index.js': 'src/index.js',
};
const PAGES = {
  '/classic.html':
    '<!doctype html><script src="/mqtt.min.js"></script><script src="/stratus-mqtt-text-profile.js"></script>' +
    '<script>window.lib = { mqtt: window.mqtt, createWebsocket: StratusTextProfile.createWebsocket, textProfile: StratusTextProfile.textProfile };</script>',
  '/module.html':
    '<!doctype html><script type="module">import mqtt from "/mqtt.esm.js";' +
    'import { createWebsocket, textProfile } from "/index.js";' +
    'window.lib = { mqtt, createWebsocket, textProfile };</script>',
};

let http;
let origin;
let browser;
let mosquitto;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`,
  );
  http = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (PAGES[path]) return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGES[path]);
    if (FILES[path]) {
      return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(ROOT + FILES[path]));
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${http.address().port}`;
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  mosquitto = await startMosquitto();
});

after(async () => {
  if (browser) await browser.close();
  if (http) await new Promise((resolve) => http.close(resolve));
  if (mosquitto) await mosquitto.stop();
});

async function openPage(kind) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  await page.goto(`${origin}/${kind}.html`);
  await page.waitForFunction(() => window.lib !== undefined);
  return { page, errors };
}

/** v3.1.1 / v5 PUBLISH QoS 1 of exactly `size` bytes on topic "big" (3-byte Remaining Length). */
function bigPayloadLength(size, version) {
  return size - 1 - 3 - (2 + 3) - 2 - (version === 5 ? 1 : 0);
}

/** Runs in the page: connect, subscribe, QoS 0/1/2 round trips, a 95,985-byte packet. */
async function scenario({ url, version, bigLength }) {
  const { mqtt, createWebsocket } = window.lib;
  const client = mqtt.connect(url, { protocolVersion: version, createWebsocket, reconnectPeriod: 0 });
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  const received = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, length: payload.length, text: payload.length < 100 ? payload.toString() : '', qos: packet.qos }));
  await new Promise((resolve, reject) => client.subscribe('room/#', { qos: 2 }, (e) => (e ? reject(e) : resolve())));
  await new Promise((resolve, reject) => client.subscribe('big', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  const until = (n) =>
    new Promise((resolve) => {
      const check = () => (received.length >= n ? resolve() : setTimeout(check, 5));
      check();
    });
  for (const qos of [0, 1, 2]) {
    await new Promise((resolve, reject) => client.publish('room/q' + qos, 'from the browser at qos ' + qos, { qos }, (e) => (e ? reject(e) : resolve())));
    await until(qos + 1);
  }
  await new Promise((resolve, reject) => client.publish('big', 'a'.repeat(bigLength), { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  await until(4);
  await new Promise((resolve) => client.end(false, {}, resolve));
  return received;
}

for (const [kind, brokerName, version] of [
  ['classic', 'aedes', 4],
  ['classic', 'mosquitto', 5],
  ['module', 'mosquitto', 5],
  ['module', 'aedes', 4],
]) {
  test(`Chromium, ${kind} scripts, ${brokerName} MQTT ${version === 5 ? '5' : '3.1.1'}: QoS 0/1/2 and a 95,985-byte packet`, async () => {
    const gw = await startGateway({ broker: brokerName === 'aedes' ? 'aedes' : mosquitto, frames: 'alternate' });
    const { page, errors } = await openPage(kind);
    try {
      const bigLength = bigPayloadLength(95985, version);
      const received = await page.evaluate(scenario, { url: gw.url, version, bigLength });
      assert.deepEqual(
        received.slice(0, 3).map((m) => [m.topic, m.text, m.qos]),
        [0, 1, 2].map((q) => ['room/q' + q, 'from the browser at qos ' + q, q]),
      );
      assert.deepEqual([received[3].topic, received[3].length], ['big', bigLength]);
      assert.deepEqual(errors, []);

      const conn = gw.connections[0];
      await conn.closed;
      assert.deepEqual(conn.violations, []);
      assert.equal(conn.protocol, SUBPROTOCOL);
      assert.deepEqual(
        conn.messages.map((m) => m.seq),
        conn.messages.map((_, i) => i + 1),
      );
      const types = conn.messages.flatMap((m) => m.packets.map((p) => PACKET_TYPES[p[0] >> 4]));
      assert.equal(types[0], 'connect');
      for (const t of ['subscribe', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'disconnect']) {
        assert.ok(types.includes(t), t + ' in ' + types);
      }
      assert.ok(conn.messages.some((m) => m.packets.some((p) => p.length === 95985)), 'the 95,985-byte packet went as one');
      assert.ok(conn.sent.some((m) => m.binary) && conn.sent.some((m) => !m.binary), 'text and binary frames both reached the page');
    } finally {
      await page.close();
      await gw.close();
    }
  });
}

test('Chromium: a 96,001-byte packet is refused (onError gets the reason, the client closes) and never sent', async () => {
  const gw = await startGateway({ broker: 'aedes' });
  const { page, errors } = await openPage('classic');
  try {
    const result = await page.evaluate(
      async ({ url, length }) => {
        const { mqtt, textProfile } = window.lib;
        const hooked = [];
        const client = mqtt.connect(url, {
          protocolVersion: 4,
          createWebsocket: textProfile({ onError: (e) => hooked.push(e.code + ' ' + e.message) }),
          reconnectPeriod: 0,
        });
        await new Promise((resolve) => client.once('connect', resolve));
        const closed = new Promise((resolve) => client.once('close', resolve));
        client.publish('big', 'a'.repeat(length), { qos: 1 });
        await closed;
        client.end(true);
        return hooked;
      },
      { url: gw.url, length: bigPayloadLength(95986, 4) },
    );
    assert.equal(result.length, 1, JSON.stringify(result));
    assert.match(result[0], /^ERR_STRATUS_PACKET_TOO_LARGE MQTT packet of 95986 bytes exceeds the text profile limit of 95985/);
    const conn = gw.connections[0];
    await conn.closed;
    assert.deepEqual(conn.violations, []);
    assert.ok(!conn.messages.some((m) => m.packets.some((p) => p[0] >> 4 === 3)), 'no PUBLISH sent');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await gw.close();
  }
});

test('Chromium: a server message that is not base64 surfaces an error and closes, nothing reaches MQTT.js', async () => {
  const gw = await startGateway({ broker: 'aedes' });
  const { page, errors } = await openPage('module');
  try {
    await page.evaluate(async (url) => {
      const { mqtt, textProfile } = window.lib;
      window.hooked = [];
      window.packets = [];
      const client = mqtt.connect(url, {
        protocolVersion: 4,
        createWebsocket: textProfile({ onError: (e) => window.hooked.push(e.code + ' ' + e.message) }),
        reconnectPeriod: 0,
      });
      await new Promise((resolve) => client.once('connect', resolve));
      window.closed = new Promise((resolve) => client.once('close', resolve));
      client.on('packetreceive', (p) => window.packets.push(p.cmd));
    }, gw.url);
    gw.connections[0].sendRaw('<html>502 Bad Gateway</html>');
    const result = await page.evaluate(async () => {
      await window.closed;
      return { hooked: window.hooked, packets: window.packets };
    });
    assert.deepEqual(result.packets, []);
    assert.equal(
      result.hooked.length,
      1,
      JSON.stringify({ hooked: result.hooked, gatewayViolations: gw.connections.map((c) => c.violations) }),
    );
    assert.match(result.hooked[0], /^ERR_STRATUS_MALFORMED_MESSAGE the server sent a text message that is not base64/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await gw.close();
  }
});
