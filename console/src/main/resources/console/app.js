// The console page: an MQTT.js client driven by the forms, and the broker views read from the
// admin API (/api/...). Plain ES module, no build step; MQTT.js comes from vendor/mqtt.min.js
// (window.mqtt) and the API Gateway text-profile adapter from /clients/stratus-mqtt.js.
import { filterProblem, topicProblem, reasonText, formatPayload, base64ToBytes } from './mqtt-rules.js';
import { drawChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const LOG_LIMIT = 500;
// Where the admin API is: next to the page by default; a page hosted elsewhere (S3) names it in
// <meta name="stratus-admin-api" content="https://admin.example.com/api/">.
const API_BASE = document.querySelector('meta[name="stratus-admin-api"]')?.content || 'api/';
let client = null;
let everConnected = false;
let userClosed = false;
let info = null;
const messages = [];

function show(el, text) {
  const e = $(el);
  e.textContent = text ?? '';
  e.hidden = !text;
}

function setState(kind, text) {
  const s = $('state');
  s.className = 'state ' + kind;
  s.textContent = text;
  const busy = kind === 'connected' || kind === 'connecting';
  $('connect').disabled = busy;
  $('disconnect').disabled = !busy;
}

// ---- connect -------------------------------------------------------------------------------

function edgeKind() {
  const opt = $('edge').selectedOptions[0];
  return opt ? opt.dataset.kind : 'ws';
}

async function connect(ev) {
  ev.preventDefault();
  show('connError', '');
  if (client) {
    client.end(true);
    client = null;
  }
  const url = $('url').value.trim();
  if (!/^wss?:\/\//.test(url)) {
    show('connError', 'The URL must start with ws:// or wss://');
    return;
  }
  const version = Number($('version').value);
  const keepalive = Number($('keepalive').value);
  if (!Number.isInteger(keepalive) || keepalive < 0 || keepalive > 65535) {
    show('connError', 'Keepalive must be a whole number of seconds from 0 to 65535');
    return;
  }
  const options = {
    protocolVersion: version,
    clientId: $('clientId').value || 'console-' + Math.random().toString(16).slice(2, 10),
    clean: $('clean').checked,
    keepalive,
    reconnectPeriod: 0, // reconnecting is the user's choice: the page shows why it stopped
    connectTimeout: 10000,
  };
  if ($('username').value) options.username = $('username').value;
  if ($('password').value) options.password = $('password').value;
  const willTopic = $('willTopic').value;
  if (willTopic) {
    const p = topicProblem(willTopic);
    if (p) {
      show('connError', 'Will topic: ' + p);
      return;
    }
    options.will = { topic: willTopic, payload: $('willPayload').value, qos: Number($('willQos').value), retain: $('willRetain').checked };
  }
  if (edgeKind() === 'apigw') {
    try {
      const adapter = await import('/clients/stratus-mqtt.js');
      options.createWebsocket = adapter.createWebsocket;
    } catch (e) {
      show('connError', 'The text-profile adapter (/clients/stratus-mqtt.js) could not be loaded: ' + e.message);
      return;
    }
  }
  everConnected = false;
  userClosed = false;
  setState('connecting', 'connecting…');
  let c;
  try {
    c = window.mqtt.connect(url, options);
  } catch (e) {
    setState('failed', 'not connected');
    show('connError', 'Cannot connect: ' + e.message);
    return;
  }
  client = c;
  let refused = null;
  c.on('connect', (connack) => {
    if (c !== client) return;
    everConnected = true;
    show('connError', '');
    setState('connected', `connected (MQTT ${version === 5 ? '5' : '3.1.1'}) as ${options.clientId}`);
    $('v5props').hidden = version !== 5;
    renderSubs();
    if (connack && connack.sessionPresent) addNote('session present: the broker resumed the session');
  });
  c.on('error', (err) => {
    if (c !== client) return;
    if (typeof err.code === 'number') {
      refused = 'Connection refused by the broker: ' + reasonText(err.code, version !== 5);
    } else {
      refused = err.message;
    }
    show('connError', refused);
  });
  c.on('disconnect', (packet) => {
    if (c !== client) return;
    const rc = packet && packet.reasonCode;
    refused = 'The broker disconnected this client' + (rc ? ': ' + reasonText(rc) : '');
    show('connError', refused);
  });
  c.on('close', () => {
    if (c !== client) return;
    if (userClosed) {
      setState('disconnected', 'disconnected');
      return;
    }
    setState('failed', everConnected ? 'connection lost' : 'not connected');
    if (!refused) {
      show('connError', everConnected
        ? 'The connection to the broker was lost (the broker went away or closed the socket). Press Connect to reconnect.'
        : 'Could not reach ' + url + ': is the broker running and the URL right?');
    }
    c.end(true);
    client = null;
    subscriptions.clear();
    renderSubs();
  });
  c.on('message', (topic, payload, packet) => addMessage(topic, payload, packet));
}

function disconnect() {
  if (!client) return;
  userClosed = true;
  client.end(false, {}, () => setState('disconnected', 'disconnected'));
}

// ---- subscribe -------------------------------------------------------------------------------

const subscriptions = new Map(); // filter -> granted qos

function renderSubs() {
  const ul = $('subs');
  ul.replaceChildren();
  for (const [filter, qos] of subscriptions) {
    const li = document.createElement('li');
    li.textContent = `${filter} (QoS ${qos})`;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = '×';
    b.title = 'unsubscribe ' + filter;
    b.setAttribute('aria-label', 'unsubscribe ' + filter);
    b.onclick = () => unsubscribe(filter);
    li.append(b);
    ul.append(li);
  }
}

function requireClient(errorEl) {
  if (!client || !client.connected) {
    show(errorEl, 'Not connected: connect first.');
    return false;
  }
  return true;
}

function subscribe(ev) {
  ev.preventDefault();
  show('subError', '');
  const filter = $('subFilter').value;
  const problem = filterProblem(filter);
  if (problem) {
    show('subError', `Invalid topic filter "${filter}": ${problem}`);
    return;
  }
  if (!requireClient('subError')) return;
  const qos = Number($('subQos').value);
  client.subscribe(filter, { qos }, (err, granted) => {
    if (err) {
      // MQTT.js reports a v5 SUBACK failure as an error; show its reason code when it carries one
      const code = typeof err.code === 'number' ? err.code : granted && granted[0] && granted[0].qos;
      const why = typeof code === 'number' && code >= 0x80 ? `SUBACK ${reasonText(code)}` : err.message;
      show('subError', `The broker refused "${filter}": ${why}`);
      return;
    }
    const g = granted && granted[0];
    if (g && g.qos >= 0x80) {
      const v5 = client.options.protocolVersion === 5;
      show('subError', `The broker refused "${filter}" (SUBACK ${v5 ? reasonText(g.qos) : '0x80 Failure'})`);
      return;
    }
    subscriptions.set(filter, g ? g.qos : qos);
    renderSubs();
  });
}

function unsubscribe(filter) {
  if (!requireClient('subError')) return;
  client.unsubscribe(filter, (err) => {
    if (err) {
      show('subError', `Unsubscribe from "${filter}" failed: ${err.message}`);
      return;
    }
    subscriptions.delete(filter);
    renderSubs();
  });
}

// ---- publish -------------------------------------------------------------------------------

function publish(ev) {
  ev.preventDefault();
  show('pubError', '');
  const topic = $('pubTopic').value;
  const problem = topicProblem(topic);
  if (problem) {
    show('pubError', `Invalid topic "${topic}": ${problem}`);
    return;
  }
  if (!requireClient('pubError')) return;
  const opts = { qos: Number($('pubQos').value), retain: $('pubRetain').checked };
  if (client.options.protocolVersion === 5) {
    const properties = {};
    if ($('pubContentType').value) properties.contentType = $('pubContentType').value;
    if ($('pubResponseTopic').value) {
      const p = topicProblem($('pubResponseTopic').value);
      if (p) {
        show('pubError', 'Response topic: ' + p + ' [MQTT-3.3.2-14]');
        return;
      }
      properties.responseTopic = $('pubResponseTopic').value;
    }
    if ($('pubCorrelation').value) properties.correlationData = new TextEncoder().encode($('pubCorrelation').value);
    if ($('pubExpiry').value) {
      const s = Number($('pubExpiry').value);
      if (!Number.isInteger(s) || s < 1 || s > 4294967295) {
        show('pubError', 'Message expiry must be a whole number of seconds from 1 to 4294967295');
        return;
      }
      properties.messageExpiryInterval = s;
    }
    const lines = $('pubUserProps').value.split('\n').filter((l) => l.trim() !== '');
    if (lines.length) {
      properties.userProperties = {};
      for (const line of lines) {
        const eq = line.indexOf('=');
        if (eq <= 0) {
          show('pubError', `User property "${line}" is not name=value`);
          return;
        }
        const k = line.slice(0, eq);
        const v = line.slice(eq + 1);
        const prev = properties.userProperties[k];
        properties.userProperties[k] = prev === undefined ? v : [].concat(prev, v);
      }
    }
    if (Object.keys(properties).length) opts.properties = properties;
  }
  client.publish(topic, $('pubPayload').value, opts, (err, packet) => {
    if (err) show('pubError', 'Publish failed: ' + err.message);
    else if (packet && packet.reasonCode >= 0x80) show('pubError', 'The broker refused the message: ' + reasonText(packet.reasonCode));
  });
}

// ---- message log ---------------------------------------------------------------------------

function addNote(text) {
  addRow({ time: new Date(), topic: '—', qos: '', retain: false, note: text });
}

function addMessage(topic, payload, packet) {
  addRow({ time: new Date(), topic, qos: packet.qos, retain: packet.retain, payload: new Uint8Array(payload), properties: packet.properties });
}

function addRow(m) {
  messages.push(m);
  if (messages.length > LOG_LIMIT) messages.shift();
  renderLog();
}

function renderLog() {
  const filter = $('logFilter').value.toLowerCase();
  const format = $('logFormat').value;
  const body = $('log').tBodies[0];
  const rows = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    const text = m.note ?? formatPayload(m.payload, format);
    if (filter && !m.topic.toLowerCase().includes(filter) && !text.toLowerCase().includes(filter)) continue;
    const tr = document.createElement('tr');
    tr.className = m.note ? 'note' : 'msg';
    tr.dataset.topic = m.topic;
    const cells = [m.time.toLocaleTimeString(), m.topic, String(m.qos), m.retain ? 'R' : '', text];
    cells.forEach((c, j) => {
      const td = document.createElement('td');
      td.textContent = c;
      if (j === 1) td.className = 'topic';
      if (j === 4) td.className = 'payload';
      if (j === 4 && m.properties && Object.keys(m.properties).length) td.title = JSON.stringify(m.properties);
      tr.append(td);
    });
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

// ---- admin API -----------------------------------------------------------------------------

function authHeader() {
  const v = $('adminAuth').value;
  if (!v) return {};
  return { Authorization: v.includes(':') ? 'Basic ' + btoa(v) : 'Bearer ' + v };
}

async function api(path, options = {}) {
  let res;
  try {
    res = await fetch(API_BASE + path, { ...options, headers: { 'X-Stratus-Console': '1', ...authHeader() } });
  } catch (e) {
    throw new Error('the admin API is unreachable (' + e.message + ')');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // reported below with the status
  }
  if (!res.ok) throw new Error((body && body.error) || `HTTP ${res.status}`);
  show('adminError', '');
  return body;
}

function adminFailed(e) {
  show('adminError', 'Admin API: ' + e.message);
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  tr.append(td);
}

const cursors = {};

async function loadList(kind, more = false) {
  const path = { clients: 'connections', sessions: 'sessions', subscriptions: 'subscriptions' }[kind];
  const table = { clients: 'clientsTable', sessions: 'sessionsTable', subscriptions: 'subscriptionsTable' }[kind];
  const cursor = more ? cursors[kind] : null;
  const client = kind === 'subscriptions' ? $('subsClient').value : '';
  const page = await api(path + (client ? '?client=' + encodeURIComponent(client)
    : cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
  const body = $(table).tBodies[0];
  if (!more) body.replaceChildren();
  for (const it of page.items) {
    const tr = document.createElement('tr');
    if (kind === 'clients') {
      [it.clientId ?? '(no CONNECT yet)', it.edge, it.username, it.version, it.remoteAddress, it.connectedSince].forEach((t) => cell(tr, t));
    } else if (kind === 'sessions') {
      tr.title = 'show the subscriptions of ' + it.clientId;
      tr.className = 'link';
      tr.onclick = () => { $('subsClient').value = it.clientId; selectTab('subscriptions'); };
      const expiry = it.connected ? `${it.expirySeconds} s after disconnect` : (it.expiresAt === 'never' ? 'never' : it.expiresAt);
      [it.clientId, it.connected ? 'connected' : 'offline', expiry, String(it.queued), `${it.inFlightOut} / ${it.inFlightIn}`].forEach((t) => cell(tr, t));
    } else {
      const opts = [it.noLocal && 'no local', it.retainAsPublished && 'retain as published', `retain handling ${it.retainHandling}`, it.subscriptionId && `id ${it.subscriptionId}`].filter(Boolean).join(', ');
      [it.clientId, it.filter, String(it.qos), opts].forEach((t) => cell(tr, t));
    }
    body.append(tr);
  }
  cursors[kind] = page.next;
  document.querySelector(`[data-more="${kind}"]`).hidden = !page.next;
}

// retained browser: a path of levels; null = root
let retainedPath = null;

async function loadRetained(more = false) {
  const q = [];
  if (retainedPath !== null) q.push('prefix=' + encodeURIComponent(retainedPath));
  if (more && cursors.retained) q.push('cursor=' + encodeURIComponent(cursors.retained));
  const page = await api('retained/tree' + (q.length ? '?' + q.join('&') : ''));
  const crumbs = $('retainedPath');
  crumbs.replaceChildren();
  const root = document.createElement('a');
  root.textContent = '(root)';
  root.onclick = () => { retainedPath = null; loadRetained().catch(adminFailed); };
  crumbs.append(root);
  if (retainedPath !== null) {
    const levels = retainedPath.split('/');
    levels.forEach((l, i) => {
      const a = document.createElement('a');
      a.textContent = '/ ' + (l === '' ? '(empty)' : l);
      a.onclick = () => { retainedPath = levels.slice(0, i + 1).join('/'); loadRetained().catch(adminFailed); };
      crumbs.append(a);
    });
  }
  const ul = $('retainedTree');
  if (!more) ul.replaceChildren();
  if (!more && page.hasMessage) ul.append(treeItem(retainedPath, '(this topic)', 1, true, false));
  for (const c of page.children) {
    ul.append(treeItem(c.topic, c.level === '' ? '(empty)' : c.level, c.messages, c.hasMessage, c.messages > (c.hasMessage ? 1 : 0)));
  }
  if (!more && page.children.length === 0 && !page.hasMessage) {
    const li = document.createElement('li');
    li.textContent = 'no retained messages here';
    ul.append(li);
  }
  cursors.retained = page.next;
  document.querySelector('[data-more="retained"]').hidden = !page.next;
}

function treeItem(topic, label, count, hasMessage, hasChildren) {
  const li = document.createElement('li');
  li.dataset.topic = topic;
  const name = document.createElement(hasChildren ? 'a' : 'span');
  name.textContent = label;
  if (hasChildren) name.onclick = () => { retainedPath = topic; loadRetained().catch(adminFailed); };
  li.append(name);
  const n = document.createElement('small');
  n.textContent = hasChildren ? `${count} message${count === 1 ? '' : 's'}` : '';
  li.append(n);
  if (hasMessage) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = 'show';
    b.setAttribute('aria-label', 'show retained ' + topic);
    b.onclick = () => showRetained(topic).catch(adminFailed);
    li.append(b);
  }
  return li;
}

async function showRetained(topic) {
  const m = await api('retained?topic=' + encodeURIComponent(topic));
  const d = $('retainedDetail');
  d.hidden = false;
  d.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = m.topic;
  const meta = document.createElement('div');
  meta.textContent = `QoS ${m.qos}, ${m.size} bytes` + (m.origin ? `, from ${m.origin}` : '') + (m.expiresAt ? `, expires ${m.expiresAt}` : '');
  const pre = document.createElement('pre');
  pre.id = 'retainedPayload';
  pre.textContent = formatPayload(base64ToBytes(m.payloadBase64), $('logFormat').value);
  const props = document.createElement('pre');
  props.textContent = Object.keys(m.properties).length ? JSON.stringify(m.properties, null, 2) : '';
  const del = document.createElement('button');
  del.id = 'retainedDelete';
  del.type = 'button';
  del.textContent = 'Delete retained message';
  del.onclick = async () => {
    try {
      await api('retained?topic=' + encodeURIComponent(m.topic), { method: 'DELETE' });
      d.replaceChildren();
      const done = document.createElement('p');
      done.id = 'retainedDeleted';
      done.textContent = `Deleted the retained message of ${m.topic} (nothing was published).`;
      d.append(done);
      await loadRetained();
    } catch (e) {
      adminFailed(e);
    }
  };
  d.append(h, meta, pre, props, del);
}

async function loadStats() {
  const s = await api('stats');
  const box = $('charts');
  for (const [name, e] of Object.entries(s.engines)) {
    let chart = box.querySelector(`[data-engine="${CSS.escape(name)}"]`);
    if (!chart) {
      chart = document.createElement('div');
      chart.className = 'chart';
      chart.dataset.engine = name;
      chart.innerHTML = '<div class="legend"></div><canvas width="360" height="110"></canvas>';
      box.append(chart);
    }
    const last = e.samples[e.samples.length - 1];
    const legend = chart.querySelector('.legend');
    legend.textContent = '';
    const title = document.createElement('b');
    title.textContent = name;
    legend.append(title);
    const parts = last
      ? [`connections ${last.connections}`, `in ${last.inPerSecond.toFixed(1)}/s`, `out ${last.outPerSecond.toFixed(1)}/s`, `dropped ${last.dropped}`]
      : ['no sample yet'];
    if (e.error) parts.push('error: ' + e.error);
    for (const p of parts) {
      const sp = document.createElement('span');
      sp.textContent = p;
      legend.append(sp);
    }
    drawChart(chart.querySelector('canvas'), e.samples);
  }
}

let activeTab = 'counters';

function refreshActive() {
  const job = activeTab === 'counters' ? loadStats()
    : activeTab === 'retained' ? loadRetained()
      : loadList(activeTab);
  return job.catch(adminFailed);
}

function selectTab(tab) {
  activeTab = tab;
  for (const b of document.querySelectorAll('.tabs button')) b.classList.toggle('active', b.dataset.tab === tab);
  for (const t of document.querySelectorAll('.tab')) t.hidden = t.id !== 'tab-' + tab;
  refreshActive();
}

async function init() {
  $('connectForm').addEventListener('submit', connect);
  $('disconnect').addEventListener('click', disconnect);
  $('subscribeForm').addEventListener('submit', subscribe);
  $('publishForm').addEventListener('submit', publish);
  $('logFilter').addEventListener('input', renderLog);
  $('logFormat').addEventListener('change', renderLog);
  $('logClear').addEventListener('click', () => { messages.length = 0; renderLog(); });
  $('refresh').addEventListener('click', refreshActive);
  $('subsClientForm').addEventListener('submit', (ev) => { ev.preventDefault(); loadList('subscriptions').catch(adminFailed); });
  $('adminAuth').addEventListener('change', () => { sessionStorage.setItem('stratus-admin', $('adminAuth').value); init2(); });
  $('adminAuth').value = sessionStorage.getItem('stratus-admin') || '';
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => selectTab(b.dataset.tab));
  for (const b of document.querySelectorAll('[data-more]')) {
    b.addEventListener('click', () => (b.dataset.more === 'retained' ? loadRetained(true) : loadList(b.dataset.more, true)).catch(adminFailed));
  }
  $('edge').addEventListener('change', () => { $('url').value = $('edge').selectedOptions[0].dataset.url || ''; });
  $('version').addEventListener('change', () => { $('v5props').hidden = $('version').value !== '5'; });
  await init2();
  // counters refresh on their own; the lists only on demand (each refresh reads the stores)
  setInterval(() => { if (activeTab === 'counters' && !document.hidden) loadStats().catch(adminFailed); }, 2000);
}

// The edges the server announced (prefilled URLs), or both kinds with empty URLs when the admin
// API is not readable (yet): connecting as a client never depends on admin credentials.
function fillEdges(edges) {
  const sel = $('edge');
  const announced = edges.length > 0;
  if (sel.options.length && (!announced || sel.dataset.announced)) return;
  sel.replaceChildren();
  const list = announced ? edges : [
    { kind: 'ws', label: 'bridge WebSocket (standard MQTT)', url: '' },
    { kind: 'apigw', label: 'API Gateway (text profile)', url: '' },
  ];
  for (const e of list) {
    const o = document.createElement('option');
    o.textContent = e.label;
    o.dataset.kind = e.kind;
    o.dataset.url = e.url;
    sel.append(o);
  }
  if (announced) sel.dataset.announced = '1';
  if (!$('url').value && sel.selectedOptions[0]) $('url').value = sel.selectedOptions[0].dataset.url || '';
}

async function init2() {
  try {
    info = await api('info');
  } catch (e) {
    fillEdges([]);
    adminFailed(e);
    return;
  }
  $('mode').textContent = (info.developmentMode ? 'development mode · ' : '') + 'admin: ' + info.principal;
  fillEdges(info.edges);
  refreshActive();
}

init();
