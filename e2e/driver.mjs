// driver.mjs: a headless Chromium session driven line by line from Go
// (devproxy/browser_test.go). Each stdin line is a JSON command; each
// stdout line is the JSON answer {ok, value} or {ok: false, error}.
//
// Commands:
//   {"op":"goto","url":U}             navigate; value = HTTP status of the main document
//   {"op":"eval","js":CODE}           run CODE as the body of an async function in the page; value = its result
//   {"op":"waitFor","js":CODE,"timeoutMs":N}  poll CODE (synchronous) until it returns a truthy value; value = that value
//   {"op":"console"}                  value = console messages and page errors seen so far ({type,text})
//   {"op":"screenshot","path":P}      full-page PNG
//   {"op":"close"}                    close the browser and exit
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
// No network beyond loopback on these machines: background services must stay off.
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const userDataDir = mkdtempSync(join(tmpdir(), 'devproxy-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, { executablePath, args, headless: true });
const page = context.pages()[0] || await context.newPage();
const messages = [];
page.on('console', (m) => messages.push({ type: m.type(), text: m.text() }));
page.on('pageerror', (e) => messages.push({ type: 'pageerror', text: String(e) }));

const send = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
send({ ok: true, value: 'ready' });

const run = async (cmd) => {
  switch (cmd.op) {
    case 'goto': {
      const res = await page.goto(cmd.url, { waitUntil: 'load', timeout: cmd.timeoutMs || 20000 });
      return res ? res.status() : 0;
    }
    case 'eval':
      return await page.evaluate(`(async () => { ${cmd.js} })()`);
    case 'waitFor': {
      const h = await page.waitForFunction(new Function(cmd.js), null, { timeout: cmd.timeoutMs || 10000, polling: 50 });
      return await h.jsonValue();
    }
    case 'console':
      return messages;
    case 'screenshot':
      await page.screenshot({ path: cmd.path, fullPage: true });
      return cmd.path;
    case 'close':
      await context.close();
      send({ ok: true, value: 'closed' });
      process.exit(0);
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
};

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  try {
    send({ ok: true, value: await run(JSON.parse(line)) ?? null });
  } catch (e) {
    send({ ok: false, error: String(e && e.message || e) });
  }
}
await context.close();
