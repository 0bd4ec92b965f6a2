// pageload.mjs: the browser side of `go run ./bench -only pageload`. One
// headless Chromium (Debian's, through e2e/testdata's playwright-core); for
// each job on stdin ({"url": U, "warm": N}) a fresh browser context loads U
// until the generated app says every module ran (window.__done, set by the
// entry module, whose body runs after all its imports), then reloads it N
// times. Prints {"cold": ms, "warm": [ms...], "ran": n, "proto": p} per job.
// Times are performance.now() at that moment: from navigation start.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(process.env.E2E_TESTDATA + '/package.json');
const { chromium } = require('playwright-core');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
send({ ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const job = JSON.parse(line);
  const context = await browser.newContext();
  const page = await context.newPage();
  const load = async (navigate) => {
    await navigate();
    await page.waitForFunction('window.__done !== undefined', null, { timeout: 120000, polling: 5 });
    return await page.evaluate(() => ({ t: window.__done, ran: window.__ran,
      proto: performance.getEntriesByType('navigation')[0].nextHopProtocol }));
  };
  try {
    const cold = await load(() => page.goto(job.url, { waitUntil: 'commit', timeout: 120000 }));
    const warm = [];
    for (let i = 0; i < job.warm; i++) {
      warm.push((await load(() => page.reload({ waitUntil: 'commit', timeout: 120000 }))).t);
    }
    send({ cold: cold.t, warm, ran: cold.ran, proto: cold.proto });
  } catch (e) {
    send({ error: String(e && e.message || e) });
  }
  await context.close();
}
await browser.close();
