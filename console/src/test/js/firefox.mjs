// Drives the console page in Firefox (Debian's firefox-esr) through WebDriver BiDi with
// puppeteer-core: connect over the bridge's standard WebSocket, subscribe to demo/#, publish demo/1
// from the page and demo/2 with mosquitto_pub, see both in the log, see a bad filter refused.
// Run by ConsoleFirefoxTest: node firefox.mjs <consoleUrl> <bridgeWsUrl> <bridgeTcpPort> <screenshotDir>
// "ok" on the last line means every check passed.
import puppeteer from 'puppeteer-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const [consoleUrl, wsUrl, tcpPort, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const timeout = 20000;

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
  headless: true,
});
const problems = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  const textIn = (selector, text) =>
    page.waitForFunction(
      (s, t) => [...document.querySelectorAll(s)].some((e) => e.textContent.includes(t)),
      { timeout },
      selector,
      text,
    );
  const setValue = (selector, value) =>
    page.evaluate(
      (s, v) => {
        const e = document.querySelector(s);
        e.value = v;
        e.dispatchEvent(new Event('input', { bubbles: true }));
        e.dispatchEvent(new Event('change', { bubbles: true }));
      },
      selector,
      value,
    );

  await page.goto(consoleUrl);
  await page.waitForFunction((u) => document.getElementById('url').value === u, { timeout }, wsUrl);

  await setValue('#clientId', 'firefox-e2e');
  await page.click('#connect');
  await textIn('#state', 'connected (MQTT 5)');

  // an invalid filter is refused in the page, and the console stays usable
  await setValue('#subFilter', 'demo/#/x');
  await page.click('#subscribe');
  await page.waitForFunction(() => {
    const e = document.getElementById('subError');
    return e && e.offsetParent !== null && e.textContent.trim().length > 0;
  }, { timeout });

  await setValue('#subFilter', 'demo/#');
  await page.click('#subscribe');
  await textIn('#subs', 'demo/#');

  await setValue('#pubTopic', 'demo/1');
  await setValue('#pubPayload', 'from firefox');
  await page.click('#publish');
  await textIn('#log tr.msg', 'from firefox');

  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', tcpPort, '-q', '1', '-t', 'demo/2', '-m', 'from mosquitto']);
  await textIn('#log tr.msg', 'from mosquitto');
  await page.screenshot({ path: `${shots}/firefox-01-log.png`, fullPage: true });

  if (problems.length > 0) throw new Error(problems.join('; '));
  console.log('ok');
} catch (e) {
  console.log('FAILED: ' + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
