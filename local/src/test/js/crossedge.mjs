// MQTT.js across the two edges of ./stratus local: MQTT.js with the text-profile adapter
// (clients/js/src/index.js) on the API Gateway emulator, mosquitto_pub/mosquitto_sub and plain
// MQTT.js on the bridge. Run by CrossEdgeMqttJsTest:
//   node crossedge.mjs <apigwUrl> <bridgeTcpPort> <bridgeWsUrl>
// Prints "ok <check>" per check passed and "ok" last; exits 1 with the reason on the first failure.
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { spawn, execFileSync } from 'node:child_process';
import { textProfile } from '../../../../clients/js/src/index.js';

const [apigw, tcpPort, bridgeWs] = process.argv.slice(2);
const run = `${process.pid}`;
const timeout = 20_000;
const deadline = setTimeout(() => fail('timed out after 120 s'), 120_000);
const opened = [];
const children = [];

function fail(reason) {
  console.log('FAILED: ' + reason);
  for (const c of children) c.kill();
  process.exit(1);
}

function check(condition, what) {
  if (!condition) throw new Error(what);
}

function within(promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error('timed out: ' + what)), timeout)),
  ]);
}

/**
 * Connects MQTT.js, with its inbox and its close attached before CONNACK (messages queued for a
 * session arrive right after it): on the API Gateway edge with the text-profile adapter over the
 * ws package, or on the bridge's WebSocket as a standard client (subprotocol mqtt).
 */
async function open(edge, clientId, options = {}) {
  const client = mqtt.connect(edge === 'apigw' ? apigw : bridgeWs, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: timeout,
    ...(edge === 'apigw' ? { createWebsocket: textProfile({ WebSocket }) } : {}),
    ...options,
  });
  opened.push(client);
  const inbox = messages(client);
  const ended = { disconnect: null, closed: false };
  client.on('disconnect', (packet) => { ended.disconnect = packet; });
  const closed = new Promise((resolve) => client.on('close', () => { ended.closed = true; resolve(); }));
  const connack = await within(new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  }), `${clientId} connects on ${edge}`);
  return { client, inbox, connack, ended, closed };
}

async function onApiGateway(clientId, options = {}) {
  return (await open('apigw', clientId, options)).client;
}

function messages(client) {
  const got = [];
  const waiters = [];
  client.on('message', (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
    for (const w of [...waiters]) w();
  });
  return {
    got,
    async until(n, what) {
      await within(
        new Promise((resolve) => {
          const w = () => {
            if (got.length >= n) {
              waiters.splice(waiters.indexOf(w), 1);
              resolve();
            }
          };
          waiters.push(w);
          w();
        }),
        what,
      );
      return got;
    },
  };
}

/**
 * mosquitto_sub on the bridge's TCP listener, printing "qos retain topic payload" per message.
 * It gives no sign once subscribed, so `ready` publishes probes from `probe` (an API Gateway
 * client) until one arrives: from then on the subscription is in place.
 */
async function mosquittoSub(filter, probe, probeTopic) {
  const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', tcpPort, '-V', 'mqttv5', '-q', '2',
    '-i', `msub-${run}-${children.length}`, '-t', filter, '-F', '%q %r %t %p']);
  children.push(p);
  const lines = [];
  const waiters = [];
  let buffered = '';
  p.stdout.on('data', (d) => {
    buffered += d.toString();
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const [qos, retain, topic, ...rest] = buffered.slice(0, i).split(' ');
      buffered = buffered.slice(i + 1);
      lines.push({ qos: Number(qos), retain: retain === '1', topic, payload: rest.join(' ') });
      for (const w of [...waiters]) w();
    }
  });
  const seen = (pred) => within(new Promise((resolve) => {
    const w = () => { if (lines.some(pred)) { waiters.splice(waiters.indexOf(w), 1); resolve(); } };
    waiters.push(w);
    w();
  }), `mosquitto_sub ${filter}`);
  let probing = true;
  const probes = (async () => {
    while (probing) {
      probe.publish(probeTopic, 'probe', { qos: 0 });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await seen((l) => l.topic === probeTopic);
  probing = false;
  await probes;
  return {
    messages: () => lines.filter((l) => l.topic !== probeTopic),
    async until(n, what) {
      await within(new Promise((resolve) => {
        const w = () => {
          if (lines.filter((l) => l.topic !== probeTopic).length >= n) {
            waiters.splice(waiters.indexOf(w), 1);
            resolve();
          }
        };
        waiters.push(w);
        w();
      }), what);
      return lines.filter((l) => l.topic !== probeTopic);
    },
    stop: () => p.kill(),
  };
}

function mosquittoPub(topic, payload, qos, ...extra) {
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', tcpPort, '-V', 'mqttv5', '-q', String(qos),
    '-i', `mpub-${run}`, '-t', topic, '-m', payload, ...extra], { timeout });
}

const byTopic = (a, b) => a.topic.localeCompare(b.topic);

try {
  // 1. API Gateway (MQTT.js + adapter) -> bridge (mosquitto_sub), QoS 0, 1 and 2
  {
    const pub = await onApiGateway(`js-pub-${run}`);
    const sub = await mosquittoSub(`up/${run}/#`, pub, `up/${run}/probe`);
    for (const qos of [0, 1, 2]) await pub.publishAsync(`up/${run}/q${qos}`, `up-${qos}`, { qos });
    const got = (await sub.until(3, 'apigw -> bridge')).sort(byTopic);
    for (const qos of [0, 1, 2]) {
      const m = got[qos];
      check(m.topic === `up/${run}/q${qos}` && m.payload === `up-${qos}` && m.qos === qos,
        `apigw -> bridge QoS ${qos}: ${JSON.stringify(m)}`);
    }
    sub.stop();
    await pub.endAsync();
    console.log('ok apigw->bridge qos 0 1 2');
  }

  // 2. bridge (mosquitto_pub) -> API Gateway (MQTT.js + adapter), QoS 0, 1 and 2
  {
    const sub = await onApiGateway(`js-sub-${run}`);
    const inbox = messages(sub);
    const granted = await sub.subscribeAsync(`down/${run}/#`, { qos: 2 });
    check(granted[0].qos === 2, 'granted ' + JSON.stringify(granted));
    for (const qos of [0, 1, 2]) mosquittoPub(`down/${run}/q${qos}`, `down-${qos}`, qos);
    const got = (await inbox.until(3, 'bridge -> apigw')).sort(byTopic);
    for (const qos of [0, 1, 2]) {
      const m = got[qos];
      check(m.topic === `down/${run}/q${qos}` && m.payload === `down-${qos}` && m.qos === qos,
        `bridge -> apigw QoS ${qos}: ${JSON.stringify(m)}`);
    }
    await sub.endAsync();
    console.log('ok bridge->apigw qos 0 1 2');
  }

  // 3. Retained messages cross the edges and match wildcard filters [MQTT-3.3.1-6]
  {
    mosquittoPub(`ret/${run}/a/temp`, 'from-bridge-a', 1, '-r');
    mosquittoPub(`ret/${run}/b/temp`, 'from-bridge-b', 1, '-r');
    mosquittoPub(`ret/${run}/b/other`, 'not-matching', 1, '-r');
    const late = await onApiGateway(`js-late-${run}`);
    const inbox = messages(late);
    await late.subscribeAsync(`ret/${run}/+/temp`, { qos: 1 });
    const got = (await inbox.until(2, 'retained on apigw')).sort(byTopic);
    check(got.map((m) => m.payload).join() === 'from-bridge-a,from-bridge-b' && got.every((m) => m.retain),
      'retained on apigw: ' + JSON.stringify(got));
    await late.publishAsync(`ret2/${run}/x/y`, 'from-apigw', { qos: 1, retain: true });
    await late.endAsync();
    const out = execFileSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', tcpPort, '-V', 'mqttv5', '-q', '1',
      '-t', `ret2/${run}/#`, '-C', '1', '-W', '20', '-F', '%r %t %p'], { timeout }).toString().trim();
    check(out === `1 ret2/${run}/x/y from-apigw`, 'retained on the bridge: ' + out);
    await new Promise((r) => setTimeout(r, 300)); // none of the other retained topics follow
    check(inbox.got.length === 2, 'a retained message outside the filter: ' + JSON.stringify(inbox.got));
    console.log('ok retained wildcard both ways');
  }

  // 4. An abrupt close on the API Gateway edge publishes the will on the bridge [MQTT-3.1.2-8]
  {
    const doomed = await onApiGateway(`js-will-${run}`, {
      will: { topic: `will/${run}/gone`, payload: Buffer.from('js client lost'), qos: 1, retain: false },
    });
    const sub = await mosquittoSub(`will/${run}/#`, doomed, `will/${run}/probe`);
    doomed.stream.destroy(); // the socket goes away without DISCONNECT
    const got = await sub.until(1, 'will');
    check(got[0].topic === `will/${run}/gone` && got[0].payload === 'js client lost' && got[0].qos === 1,
      'will: ' + JSON.stringify(got));
    sub.stop();
    doomed.end(true);
    console.log('ok will on abrupt close');
  }

  // 5. A persistent session moves between the edges with what was queued while it was away
  // [MQTT-3.1.2-5]: API Gateway -> bridge -> API Gateway
  {
    const id = `js-roamer-${run}`;
    const keep = { clean: false, properties: { sessionExpiryInterval: 300 } };
    const a = await open('apigw', id, keep);
    await a.client.subscribeAsync(`roam/${run}/#`, { qos: 1 });
    await a.client.endAsync();
    mosquittoPub(`roam/${run}/1`, 'while-away-1', 1);
    const b = await open('bridge', id, keep);
    check(b.connack.sessionPresent === true, 'no session on the bridge: ' + JSON.stringify(b.connack));
    const got1 = await b.inbox.until(1, 'queued message on the bridge');
    check(got1[0].topic === `roam/${run}/1` && got1[0].payload === 'while-away-1' && got1[0].qos === 1,
      'queued on the bridge: ' + JSON.stringify(got1));
    await b.client.endAsync();
    mosquittoPub(`roam/${run}/2`, 'while-away-2', 1);
    const c = await open('apigw', id, keep);
    check(c.connack.sessionPresent === true, 'no session back on API Gateway: ' + JSON.stringify(c.connack));
    const got2 = await c.inbox.until(1, 'queued message on API Gateway');
    check(got2[0].topic === `roam/${run}/2` && got2[0].payload === 'while-away-2',
      'queued on API Gateway: ' + JSON.stringify(got2));
    // the subscription came along too: a live message still arrives
    mosquittoPub(`roam/${run}/3`, 'live', 1);
    await c.inbox.until(2, 'live message after moving back');
    await c.client.endAsync({ properties: { sessionExpiryInterval: 0 } }).catch(() => c.client.end(true));
    console.log('ok persistent session moves between edges');
  }

  // 6. Takeover across the edges: the older connection is closed, an MQTT 5 one with DISCONNECT
  // 0x8E Session taken over [MQTT-3.1.4-3]
  {
    const id = `js-twin-${run}`;
    const first = await open('apigw', id);
    const second = await open('bridge', id);
    await within(first.closed, 'the API Gateway connection closed by the takeover');
    check(first.ended.disconnect && first.ended.disconnect.reasonCode === 0x8e,
      'API Gateway client told ' + JSON.stringify(first.ended.disconnect));
    const third = await open('apigw', id);
    await within(second.closed, 'the bridge connection closed by the takeover');
    check(second.ended.disconnect && second.ended.disconnect.reasonCode === 0x8e,
      'bridge client told ' + JSON.stringify(second.ended.disconnect));
    check(!third.ended.closed, 'the newest connection stays open');
    await third.client.endAsync();
    console.log('ok takeover across edges');
  }

  // 7. A standard MQTT.js client (subprotocol mqtt) is refused at the API Gateway handshake: the
  // edge speaks only the text profile (docs/text-profile.md, 400 at $connect)
  {
    const plain = mqtt.connect(apigw, { clientId: `js-plain-${run}`, reconnectPeriod: 0, connectTimeout: timeout });
    // MQTT.js reports a refused upgrade only on its stream (the client itself just closes)
    let refusal = null;
    plain.stream.on('error', (e) => { refusal = e.message; });
    const outcome = await within(new Promise((resolve) => {
      plain.once('connect', () => resolve('connected'));
      plain.once('close', () => resolve('closed: ' + refusal));
    }), 'the plain client is refused');
    plain.end(true);
    check(outcome === 'closed: Unexpected server response: 400', 'plain MQTT.js on API Gateway: ' + outcome);
    console.log('ok standard mqtt subprotocol refused on apigw (' + outcome + ')');
  }

  clearTimeout(deadline);
  console.log('ok');
  process.exit(0);
} catch (e) {
  fail(e.stack || String(e));
}
