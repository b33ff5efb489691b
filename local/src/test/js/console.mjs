// The web console of ./stratus local in Chromium (Debian's /usr/bin/chromium), over both edges.
// Run by LocalStackJsTest:
//   node console.mjs <consoleUrl> <apigwUrl> <bridgeWsUrl> <bridgeTcpPort> <screenshotDir>
// Protocol with the test: prints "STOP-BRIDGE" and waits for "stopped" on stdin, then
// "STOP-APIGW" and waits for "stopped" again; "ok" on the last line means every check passed.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';

const [consoleUrl, apigwUrl, wsUrl, tcpPort, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const stdin = createInterface({ input: process.stdin });
let answers = 0;
let waiting = null;
stdin.on('line', (l) => { if (l === 'stopped') answers++; if (waiting) waiting(); });
async function stopped(n) {
  while (answers < n) await new Promise((r) => { waiting = r; });
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
const problems = [];
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
const timeout = 20000;
const expectText = async (selector, text) => {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout });
};
const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const edgeLabel = { apigw: 'API Gateway (text profile)', ws: 'bridge WebSocket (standard MQTT)' };

/** demo/# on one edge: demo/1 from the page, demo/2 from mosquitto_pub, a retained message. */
async function onEdge(edge, url, n) {
  await page.selectOption('#edge', { label: edgeLabel[edge] });
  if ((await page.inputValue('#url')) !== url) throw new Error(`${edge} URL not prefilled: ` + (await page.inputValue('#url')));
  await page.fill('#clientId', `console-${edge}`);
  await page.click('#connect');
  await expectText('#state', 'connected (MQTT 5)');
  if (await page.locator('#connError').isVisible()) throw new Error('error shown after connecting on ' + edge);

  // an invalid filter is explained before anything is sent [MQTT-4.7.1-1]
  await page.fill('#subFilter', 'demo/#/x');
  await page.click('#subscribe');
  await expectText('#subError', "'#' must be a whole level and the last one");
  await shot(`${n}1-${edge}-invalid-filter`);

  await page.fill('#subFilter', 'demo/#');
  await page.selectOption('#subQos', '1');
  await page.click('#subscribe');
  await expectText('#subs li', 'demo/# (QoS 1)');
  if (await page.locator('#subError').isVisible()) throw new Error('subscribe error still shown on ' + edge);

  await page.fill('#pubTopic', 'demo/1');
  await page.fill('#pubPayload', `from the console on ${edge}`);
  await page.uncheck('#pubRetain');
  await page.click('#publish');
  await expectText('#log tr.msg', `from the console on ${edge}`);

  // demo/2 from mosquitto_pub over the bridge's TCP listener
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', tcpPort, '-V', 'mqttv5', '-i', `mosquitto-${edge}`,
    '-q', '1', '-t', 'demo/2', '-m', `mosquitto to ${edge}`]);
  await expectText('#log tr.msg', `mosquitto to ${edge}`);
  const rows = await page.locator('#log tr.msg').allTextContents();
  for (const want of [`from the console on ${edge}`, `mosquitto to ${edge}`]) {
    const row = rows.find((r) => r.includes(want));
    if (!row || !row.includes(want.startsWith('from') ? 'demo/1' : 'demo/2')) throw new Error('log rows: ' + rows.join(' | '));
  }
  await shot(`${n}2-${edge}-log`);

  // a retained message published from the page shows in the retained view
  await page.fill('#pubTopic', `demo/retained/${edge}`);
  await page.fill('#pubPayload', `{"edge":"${edge}"}`);
  await page.check('#pubRetain');
  await page.click('#publish');
  await expectText('#log tr.msg', `{"edge":"${edge}"}`);
  await page.uncheck('#pubRetain');
  await page.click('[data-tab="retained"]');
  await page.locator('#retainedPath').getByText('(root)').click({ timeout }); // from the top
  await page.locator('#retainedTree li[data-topic="demo"] a').click({ timeout });
  await page.locator('#retainedTree li[data-topic="demo/retained"] a').click({ timeout });
  await page.locator(`#retainedTree li[data-topic="demo/retained/${edge}"] button`).click({ timeout });
  await expectText('#retainedPayload', `{"edge":"${edge}"}`);
  await shot(`${n}3-${edge}-retained`);

  // the clients view shows this browser's connection with its edge
  await page.click('[data-tab="clients"]');
  await expectText('#clientsTable tr', `console-${edge}`);
}

try {
  await page.goto(consoleUrl);
  // the bridge's WebSocket is the first edge, prefilled
  await page.waitForFunction((u) => document.getElementById('url').value === u, wsUrl, { timeout });

  await onEdge('apigw', apigwUrl, 1);
  await page.click('#disconnect');
  await expectText('#state', 'disconnected');
  await page.click('#logClear');
  await onEdge('ws', wsUrl, 2);

  // the counters come from the bridge's engine and the handler containers' engines
  await page.click('[data-tab="counters"]');
  await page.locator('#charts .chart').first().waitFor({ timeout });
  await expectText('#charts [data-engine="bridge"] .legend', 'connections');
  await expectText('#charts [data-engine="functions"] .legend', 'connections');
  await shot('30-counters');

  // the bridge goes away under the page: the state and a message say so
  console.log('STOP-BRIDGE');
  await stopped(1);
  await expectText('#state', 'connection lost');
  await expectText('#connError', 'connection to the broker was lost');
  await page.click('#connect');
  await expectText('#connError', 'Could not reach');
  await shot('31-bridge-gone');

  // the API Gateway edge still works, then goes away too
  await page.selectOption('#edge', { label: edgeLabel.apigw });
  await page.click('#connect');
  await expectText('#state', 'connected (MQTT 5)');
  console.log('STOP-APIGW');
  await stopped(2);
  await expectText('#state', 'connection lost');
  await expectText('#connError', 'connection to the broker was lost');
  await page.click('#connect');
  await expectText('#connError', 'Could not reach');
  if (await page.locator('#connect').isDisabled()) throw new Error('connect button stays disabled');
  await shot('32-apigw-gone');

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
