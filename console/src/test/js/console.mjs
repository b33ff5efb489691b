// Drives the console page in Chromium (Debian's /usr/bin/chromium) against a real bridge.
// Run by ConsoleBrowserTest: node console.mjs <consoleUrl> <bridgeWsUrl> <bridgeTcpPort> <screenshotDir>
// Protocol with the test: this script prints "STOP-BRIDGE" and waits for "stopped" on stdin;
// "ok" on the last line means every check passed.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';

const [consoleUrl, wsUrl, tcpPort, shots, securedUrl, token] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const stdin = createInterface({ input: process.stdin });
const lines = [];
let waiting = null;
stdin.on('line', (l) => { lines.push(l); if (waiting) waiting(); });
async function awaitLine(text) {
  while (!lines.includes(text)) await new Promise((r) => { waiting = r; });
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
const problems = [];
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
const timeout = 15000;
const expectText = async (selector, text) => {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout });
};
const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

try {
  await page.goto(consoleUrl);
  await page.waitForFunction((u) => document.getElementById('url').value === u, wsUrl, { timeout });

  // the API Gateway edge without the text-profile adapter served: the page says so
  await page.selectOption('#edge', { label: 'API Gateway (text profile)' });
  if ((await page.inputValue('#url')) !== 'ws://127.0.0.1:9/') throw new Error('API Gateway URL not prefilled');
  await page.click('#connect');
  await expectText('#connError', 'text-profile adapter (/clients/stratus-mqtt.js) could not be loaded');
  await page.selectOption('#edge', { label: 'bridge WebSocket (standard MQTT)' });
  if ((await page.inputValue('#url')) !== wsUrl) throw new Error('bridge URL not restored');

  // a wrong password: the CONNACK reason is shown, for MQTT 5 and 3.1.1
  await page.fill('#clientId', 'console-e2e');
  await page.fill('#username', 'alice');
  await page.fill('#password', 'wrong');
  await page.click('#connect');
  await expectText('#connError', '0x86 Bad User Name or Password');
  await shot('01-wrong-password-v5');
  await page.selectOption('#version', '4');
  await page.click('#connect');
  await expectText('#connError', 'bad user name or password');
  await expectText('#state', 'not connected');

  // connect for real over the bridge's standard WebSocket, MQTT 5
  await page.selectOption('#version', '5');
  await page.fill('#password', 'secret');
  await page.click('#connect');
  await expectText('#state', 'connected (MQTT 5)');
  if (await page.locator('#connError').isVisible()) throw new Error('error still shown after connecting');

  // an invalid filter is explained before anything is sent
  await page.fill('#subFilter', 'demo/#/x');
  await page.click('#subscribe');
  await expectText('#subError', "'#' must be a whole level and the last one");
  await shot('02-invalid-filter');
  // a filter the server refuses: its SUBACK reason is shown
  await page.fill('#subFilter', 'forbidden/#');
  await page.click('#subscribe');
  await expectText('#subError', 'The broker refused "forbidden/#"');
  await expectText('#subError', 'Not authorized');

  await page.fill('#subFilter', 'demo/#');
  await page.selectOption('#subQos', '1');
  await page.click('#subscribe');
  await expectText('#subs li', 'demo/# (QoS 1)');
  if (await page.locator('#subError').isVisible()) throw new Error('subscribe error still shown');

  // demo/1 from the console, with MQTT 5 properties
  await page.fill('#pubTopic', 'demo/1');
  await page.fill('#pubPayload', 'from the console');
  await page.click('#v5props summary');
  await page.fill('#pubContentType', 'text/plain');
  await page.fill('#pubUserProps', 'origin=console');
  await page.click('#publish');
  await expectText('#log tr.msg', 'from the console');

  // demo/2 from mosquitto_pub over TCP
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', tcpPort, '-V', 'mqttv311', '-u', 'alice', '-P', 'secret',
    '-i', 'mosquitto-e2e', '-q', '1', '-t', 'demo/2', '-m', '{"from":"mosquitto","n":2}']);
  await expectText('#log tr.msg', '"from":"mosquitto"');
  const topics = await page.locator('#log tr.msg td.topic').allTextContents();
  if (!topics.includes('demo/1') || !topics.includes('demo/2')) throw new Error('log topics: ' + topics);

  // the log filter and the payload formats
  await page.fill('#logFilter', 'demo/2');
  await page.waitForFunction(() => document.querySelectorAll('#log tr.msg').length === 1, null, { timeout });
  await page.selectOption('#logFormat', 'json');
  await expectText('#log tr.msg td.payload', '"from": "mosquitto"');
  await page.selectOption('#logFormat', 'hex');
  await expectText('#log tr.msg td.payload', '7b 22 66 72');
  await shot('03-log-filtered-hex');
  await page.fill('#logFilter', '');
  await page.selectOption('#logFormat', 'text');

  // a retained message shows in the retained view and can be deleted there
  await page.fill('#pubTopic', 'demo/retained/temp');
  await page.fill('#pubPayload', '{"celsius":21}');
  await page.check('#pubRetain');
  await page.click('#publish');
  await expectText('#log tr.msg', 'celsius');
  await page.click('[data-tab="retained"]');
  await page.locator('#retainedTree li[data-topic="demo"] a').click({ timeout });
  await page.locator('#retainedTree li[data-topic="demo/retained"] a').click({ timeout });
  await page.locator('#retainedTree li[data-topic="demo/retained/temp"] button').click({ timeout });
  await expectText('#retainedPayload', '{"celsius":21}');
  await shot('04-retained');
  await page.click('#retainedDelete');
  await expectText('#retainedDeleted', 'Deleted the retained message of demo/retained/temp');
  const after = await page.evaluate(async () => (await fetch('api/retained?topic=demo/retained/temp')).status);
  if (after !== 404) throw new Error('retained message still there: ' + after);

  // the clients view shows this browser with its edge
  await page.click('[data-tab="clients"]');
  await expectText('#clientsTable tr', 'console-e2e');
  const row = await page.locator('#clientsTable tr', { hasText: 'console-e2e' }).textContent();
  if (!/bridge-.*\/ws/.test(row) || !row.includes('alice')) throw new Error('client row: ' + row);
  await shot('05-clients');
  await page.click('[data-tab="sessions"]');
  await expectText('#sessionsTable tr', 'console-e2e');
  await page.click('#sessionsTable tr:has-text("console-e2e")');
  await expectText('#subscriptionsTable tr', 'demo/#');
  if ((await page.inputValue('#subsClient')) !== 'console-e2e') throw new Error('subscriptions not of the session clicked');
  await page.fill('#subsClient', 'nobody');
  await page.click('#subsClientForm button');
  await page.waitForFunction(() => document.querySelectorAll('#subscriptionsTable tbody tr').length === 0, null, { timeout });
  await page.fill('#subsClient', '');
  await page.click('#subsClientForm button');
  await expectText('#subscriptionsTable tr', 'demo/#');
  await page.click('[data-tab="counters"]');
  await page.locator('#charts .chart').first().waitFor({ timeout });
  await expectText('#charts .legend', 'connections');
  await shot('06-counters');

  // a narrow window: one column, nothing wider than the viewport
  await page.setViewportSize({ width: 390, height: 900 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) throw new Error('page wider than a narrow window by ' + overflow + ' px');
  await shot('07-narrow');
  await page.setViewportSize({ width: 1280, height: 1000 });

  // the broker goes away: the state and a message say so, and the console stays usable
  console.log('STOP-BRIDGE');
  await awaitLine('stopped');
  await expectText('#state', 'connection lost');
  await expectText('#connError', 'connection to the broker was lost');
  await shot('08-broker-gone');
  await page.fill('#subFilter', 'demo/#');
  await page.click('#subscribe');
  await expectText('#subError', 'Not connected');
  await page.click('#connect');
  await expectText('#connError', 'Could not reach');
  if (await page.locator('#connect').isDisabled()) throw new Error('connect button stays disabled');
  await shot('09-reconnect-refused');

  // the broker is back: Connect works again and the page is fully usable
  console.log('START-BRIDGE');
  await awaitLine('started');
  await page.click('#connect');
  await expectText('#state', 'connected (MQTT 5)');
  if (await page.locator('#connError').isVisible()) throw new Error('error still shown after reconnecting');
  await page.fill('#subFilter', 'demo/#');
  await page.click('#subscribe');
  await expectText('#subs li', 'demo/# (QoS 1)');
  await page.uncheck('#pubRetain');
  await page.fill('#pubTopic', 'demo/3');
  await page.fill('#pubPayload', 'after the restart');
  await page.click('#publish');
  await expectText('#log tr.msg', 'after the restart');
  await shot('10-reconnected');

  // a console whose admin API needs a bearer token: the page asks, then shows the broker
  const secured = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  secured.on('pageerror', (e) => problems.push('page error: ' + e.message));
  await secured.goto(securedUrl);
  await secured.locator('#adminError').filter({ hasText: 'needs credentials' }).waitFor({ timeout });
  if ((await secured.locator('#edge option').count()) !== 2) throw new Error('edge choices missing without admin access');
  await secured.fill('#adminAuth', 'wrong-token-000000000');
  await secured.locator('#adminAuth').dispatchEvent('change');
  await secured.locator('#adminError').filter({ hasText: 'needs credentials' }).waitFor({ timeout });
  await secured.fill('#adminAuth', token);
  await secured.locator('#adminAuth').dispatchEvent('change');
  await secured.locator('#mode').filter({ hasText: 'admin: token' }).waitFor({ timeout });
  await secured.click('[data-tab="clients"]');
  await secured.locator('#clientsTable tr').filter({ hasText: 'console-e2e' }).waitFor({ timeout });
  if (await secured.locator('#adminError').isVisible()) throw new Error('admin error still shown');
  await secured.screenshot({ path: `${shots}/11-bearer.png`, fullPage: true });

  if (problems.length) throw new Error(problems.join('\n'));
  console.log('ok');
} catch (e) {
  await shot('failure').catch(() => {});
  console.log('FAILED: ' + (e.stack || e));
  process.exitCode = 1;
} finally {
  await browser.close();
  stdin.close();
}
