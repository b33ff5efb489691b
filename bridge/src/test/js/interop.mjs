// MQTT.js against a broker URL, for each protocol version given: QoS 0/1/2 round trips, retained
// delivery on a wildcard subscription. Prints "ok <url> v<version>" per pass; exits 1 with the
// reason on the first failure. Usage: node interop.mjs URL [URL...]  (mqtt://... or ws://.../mqtt)
import mqtt from 'mqtt';

const deadline = setTimeout(() => fail('timed out after 30 s'), 30_000);

function fail(reason) {
  console.error('FAIL ' + reason);
  process.exit(1);
}

function connect(url, protocolVersion, clientId) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion, clientId, reconnectPeriod: 0, connectTimeout: 10_000 });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

function expectMessages(client, count) {
  return new Promise((resolve) => {
    const got = [];
    client.on('message', (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
      if (got.length === count) resolve(got);
    });
  });
}

async function check(url, version) {
  const run = `${version}-${process.pid}-${Date.now()}`;
  const sub = await connect(url, version, `js-sub-${run}`);
  const pub = await connect(url, version, `js-pub-${run}`);
  const granted = await sub.subscribeAsync(`js/${run}/q/#`, { qos: 2 });
  if (granted[0].qos !== 2) fail(`${url} v${version}: granted QoS ${granted[0].qos}, wanted 2`);
  const arriving = expectMessages(sub, 3);
  for (const qos of [0, 1, 2]) {
    await pub.publishAsync(`js/${run}/q/${qos}`, `payload-${qos}`, { qos });
  }
  const got = (await arriving).sort((a, b) => a.qos - b.qos);
  for (const qos of [0, 1, 2]) {
    const m = got[qos];
    if (m.topic !== `js/${run}/q/${qos}` || m.payload !== `payload-${qos}` || m.qos !== qos) {
      fail(`${url} v${version}: QoS ${qos} delivery wrong: ${JSON.stringify(m)}`);
    }
  }
  // Retained messages reach a later subscriber through a wildcard filter.
  await pub.publishAsync(`js/${run}/r/a`, 'kept-a', { qos: 1, retain: true });
  await pub.publishAsync(`js/${run}/r/b`, 'kept-b', { qos: 1, retain: true });
  const late = await connect(url, version, `js-late-${run}`);
  const retained = expectMessages(late, 2);
  await late.subscribeAsync(`js/${run}/r/+`, { qos: 1 });
  const kept = (await retained).sort((a, b) => a.topic.localeCompare(b.topic));
  if (kept.map((m) => m.payload).join() !== 'kept-a,kept-b' || !kept.every((m) => m.retain)) {
    fail(`${url} v${version}: retained delivery wrong: ${JSON.stringify(kept)}`);
  }
  for (const c of [sub, pub, late]) await c.endAsync();
  console.log(`ok ${url} v${version}`);
}

for (const url of process.argv.slice(2)) {
  for (const version of [4, 5]) {
    try {
      await check(url, version);
    } catch (e) {
      fail(`${url} v${version}: ${e.message}`);
    }
  }
}
clearTimeout(deadline);
