// driver.mjs: one headless Chromium shared by every browser test of a Go
// test binary (e2e/browser_test.go), driven over stdin/stdout with one JSON
// object per line. Each test opens its own page in its own browser context
// (own cookies, cache and storage), so tests can run in parallel on one
// browser. Requests are answered as they finish, not in order: each answer
// carries the id of its request.
//
// Requests: {"id": N, "op": OP, ...}; answers: {"id": N, "ok": true, "value": V}
// or {"id": N, "ok": false, "error": "..."}.
//
//   {"op":"newPage"}                         value = a page id for the ops below
//   {"op":"goto","page":P,"url":U}           navigate; value = HTTP status of the main document
//   {"op":"eval","page":P,"js":CODE}         run CODE as the body of an async function in the page; value = its result
//   {"op":"waitFor","page":P,"js":CODE,"timeoutMs":N}  poll CODE (synchronous) until truthy; value = that value
//   {"op":"console","page":P}                value = console messages and page errors seen so far ({type,text})
//   {"op":"websockets","page":P}             value = the URL of every WebSocket the page opened so far
//   {"op":"waitConsole","page":P,"from":N,"match":S,"timeoutMs":T}
//                                            value = the first message from index N on whose text contains S
//   {"op":"fill","page":P,"selector":S,"value":V}  type V into the input S
//   {"op":"submit","page":P,"selector":S}    click S and wait for the navigation it starts; value = its HTTP status
//   {"op":"url","page":P}                    value = the page's URL
//   {"op":"cookies","page":P}                value = the context's cookies ({name,value,path,httpOnly,...})
//   {"op":"screenshot","page":P,"path":F}    full-page PNG
//   {"op":"download","page":P,"selector":S,"path":F}  click S and save the download it starts to F; value = its suggested name
//   {"op":"newPageFromHAR","har":F}          a page in a new context that answers every request from the HAR file F
//                                            (Playwright's routeFromHAR; requests not in it fail); value = a page id
//   {"op":"closePage","page":P}              close the page and its context
//   {"op":"close"}                           close the browser and exit
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
// No network beyond loopback on these machines: background services must stay off.
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const browser = await chromium.launch({ executablePath, args, headless: true });
const pages = new Map(); // page id → { context, page, messages }
let nextPage = 1;

const send = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
send({ id: 0, ok: true, value: 'ready' });

const pageOf = (cmd) => {
  const p = pages.get(cmd.page);
  if (!p) throw new Error(`no page ${cmd.page}`);
  return p;
};

// track records a new page's console messages, errors and WebSockets and returns its id.
const track = (context, page) => {
  const messages = [];
  const sockets = [];
  page.on('console', (m) => messages.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => messages.push({ type: 'pageerror', text: String(e) }));
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const id = nextPage++;
  pages.set(id, { context, page, messages, sockets });
  return id;
};

const run = async (cmd) => {
  switch (cmd.op) {
    case 'newPage': {
      const context = await browser.newContext();
      return track(context, await context.newPage());
    }
    case 'goto': {
      const res = await pageOf(cmd).page.goto(cmd.url, { waitUntil: 'load', timeout: cmd.timeoutMs || 20000 });
      return res ? res.status() : 0;
    }
    case 'eval':
      return await pageOf(cmd).page.evaluate(`(async () => { ${cmd.js} })()`);
    case 'waitFor': {
      const h = await pageOf(cmd).page.waitForFunction(new Function(cmd.js), null, { timeout: cmd.timeoutMs || 10000, polling: 50 });
      return await h.jsonValue();
    }
    case 'console':
      return pageOf(cmd).messages;
    case 'websockets':
      return pageOf(cmd).sockets;
    case 'waitConsole': {
      const p = pageOf(cmd);
      const deadline = Date.now() + (cmd.timeoutMs || 10000);
      for (;;) {
        const i = p.messages.findIndex((m, k) => k >= (cmd.from || 0) && m.text.includes(cmd.match));
        if (i >= 0) return { index: i, ...p.messages[i] };
        if (Date.now() > deadline) throw new Error(`no console message containing ${JSON.stringify(cmd.match)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    case 'fill':
      await pageOf(cmd).page.fill(cmd.selector, cmd.value, { timeout: cmd.timeoutMs || 10000 });
      return null;
    case 'submit': {
      const { page } = pageOf(cmd);
      const [res] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load', timeout: cmd.timeoutMs || 20000 }),
        page.click(cmd.selector, { timeout: cmd.timeoutMs || 10000 }),
      ]);
      return res ? res.status() : 0;
    }
    case 'url':
      return pageOf(cmd).page.url();
    case 'cookies':
      return await pageOf(cmd).context.cookies();
    case 'screenshot':
      await pageOf(cmd).page.screenshot({ path: cmd.path, fullPage: true });
      return cmd.path;
    case 'download': {
      const { page } = pageOf(cmd);
      const [dl] = await Promise.all([
        page.waitForEvent('download', { timeout: cmd.timeoutMs || 10000 }),
        page.click(cmd.selector, { timeout: cmd.timeoutMs || 10000 }),
      ]);
      await dl.saveAs(cmd.path);
      return dl.suggestedFilename();
    }
    case 'newPageFromHAR': {
      const context = await browser.newContext();
      await context.routeFromHAR(cmd.har, { notFound: 'abort' });
      return track(context, await context.newPage());
    }
    case 'closePage': {
      const p = pages.get(cmd.page);
      pages.delete(cmd.page);
      if (p) await p.context.close();
      return null;
    }
    case 'close':
      await browser.close();
      send({ id: cmd.id, ok: true, value: 'closed' });
      process.exit(0);
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
};

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  // Not awaited: a slow page must not hold up the other tests' pages.
  run(cmd).then(
    (value) => send({ id: cmd.id, ok: true, value: value ?? null }),
    (e) => send({ id: cmd.id, ok: false, error: String(e && e.message || e) }),
  );
}
await browser.close();
