// devproxy status page: route health from status.json (polled), the request
// log from the /__devproxy/feed WebSocket. No dependencies; every value from
// the network is set with textContent, never parsed as HTML.
'use strict';

const maxRows = 1000; // the page keeps this many requests; older ones fall off
const entries = new Map(); // id → entry, insertion-ordered
let selected = null;
let dropped = 0;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

function ago(t) {
  const s = Math.round((Date.now() - new Date(t)) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return s + 's ago';
  if (s < 3600) return Math.round(s / 60) + 'm ago';
  return new Date(t).toLocaleTimeString();
}

function size(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MB';
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' kB';
  return n + ' B';
}

function dur(ms) {
  if (ms >= 1000) return (ms / 1000).toFixed(2) + ' s';
  if (ms >= 10) return Math.round(ms) + ' ms';
  return ms.toFixed(1) + ' ms';
}

// --- routes and config error ------------------------------------------------

async function refreshStatus() {
  let st;
  try {
    st = await (await fetch('status.json', { cache: 'no-store' })).json();
  } catch {
    $('summary').textContent = 'devproxy is not answering';
    return;
  }
  $('summary').textContent = [st.version, `config ${st.config || '(built-in)'}`, `frontend: ${st.frontend}`,
    st.simulate && `simulate: ${st.simulate}`, `up ${st.uptime}`].filter(Boolean).join(' · ');
  $('config-error-box').hidden = !st.config_error;
  $('config-error').textContent = st.config_error || '';
  showPhone(st.phone);
  renderRoutes(st);
  const procs = st.processes || [];
  $('processes-box').hidden = procs.length === 0;
  $('processes').tBodies[0].replaceChildren(...procs.map((p) => el('tr', { 'data-name': p.name, 'data-state': p.state },
    el('td', {}, el('span', { class: 'dot' + (p.state === 'ready' ? ' up' : ' ' + p.state) }), p.state),
    el('td', { class: 'mono' }, p.name),
    el('td', { class: 'mono path' }, p.command),
    el('td', { class: 'num' }, p.pid),
    el('td', { class: p.state === 'exited' ? 's5' : 'dim' }, p.exit || ''))));
  const sel = $('f-route');
  const known = new Set([...sel.options].map((o) => o.value));
  for (const name of [...st.routes.map((r) => r.name), 'static', 'none']) {
    if (!known.has(name)) sel.append(el('option', { value: name }, name));
  }
}

// showPhone fills the "open on your phone" box (https listen with
// allow_remote); the QR codes are SVG drawn by devproxy, no network.
function showPhone(ph) {
  $('phone-box').hidden = !ph;
  if (!ph || $('phone-url').textContent === ph.urls[0]) return;
  $('phone-url').textContent = ph.urls[0];
  $('phone-url').href = ph.urls[0];
  $('phone-qr').src = 'phone-qr.svg?for=url';
  $('phone-ca-steps').hidden = !ph.own_ca;
  $('phone-ca-fig').hidden = !ph.own_ca;
  $('phone-own-ca').hidden = ph.own_ca;
  if (ph.own_ca) {
    $('phone-ca').textContent = ph.ca_url;
    $('phone-ca').href = ph.ca_url;
    $('phone-ca-qr').src = 'phone-qr.svg?for=ca';
  }
}

// --- routes and their switches ------------------------------------------------

const routeRows = new Map(); // name → tr, kept across refreshes so an open select stays open

// describeNetwork is what the file sets for a route: its delay, throttle and fail.
function describeNetwork(r) {
  return [r.delay && `delay ${r.delay}`, r.throttle && `throttle ${r.throttle}`, r.fail && `fail ${r.fail}`].filter(Boolean).join(' · ');
}

function switchSelect(kind, options) {
  return el('select', { 'data-switch': kind, title: kind === 'offline'
    ? 'offline: every request to this route fails (a 503 page, or the connection is dropped)'
    : 'slow: a network preset instead of the delay and throttle the file sets, or none at all' },
  ...options.map(([value, label]) => el('option', { value }, label)));
}

function renderRoutes(st) {
  const body = $('routes').tBodies[0];
  const networkOptions = [['', 'as configured'], ['none', 'full speed'],
    ...st.networks.map((n) => [n.name, `${n.name}: ${n.delay}, ${n.throttle.replace(/, up .*/, '').replace(/^down /, '')}`])];
  const rows = st.routes.map((r) => {
    let tr = routeRows.get(r.name);
    if (!tr) {
      tr = el('tr', { 'data-name': r.name },
        el('td', {}), el('td', { class: 'mono' }), el('td', { class: 'mono' }), el('td', { class: 'dim' }),
        el('td', { class: 'switches' }, switchSelect('offline', [['', 'online'], ['503', 'offline: 503'], ['reset', 'offline: reset']]), ' ',
          switchSelect('network', networkOptions)),
        el('td', {}), el('td', { class: 'dim path' }));
      for (const sel of tr.querySelectorAll('select')) sel.addEventListener('change', () => setSwitch(r.name, tr));
      routeRows.set(r.name, tr);
    }
    const ov = r.override || {};
    tr.dataset.up = String(r.up);
    tr.dataset.override = ov.offline || ov.network ? 'true' : 'false';
    tr.classList.toggle('overridden', tr.dataset.override === 'true');
    const c = tr.cells;
    c[0].replaceChildren(el('span', { class: 'dot' + (r.up ? ' up' : '') }), r.mock ? 'mock' : r.up ? 'up' : 'down');
    c[1].textContent = r.name === 'frontend' ? '/ (frontend)' : r.path;
    c[2].replaceChildren(...(r.mock
      ? [el('span', { class: 'badge' }, 'mock'), ' ' + r.mock, r.target ? el('span', { class: 'dim instead' }, `instead of ${r.target}`) : '']
      : [r.target]));
    c[3].textContent = describeNetwork(r) || '—';
    for (const sel of c[4].querySelectorAll('select')) {
      const want = (sel.dataset.switch === 'offline' ? ov.offline : ov.network) || '';
      if (document.activeElement !== sel) sel.value = want;
      sel.classList.toggle('on', want !== '');
    }
    c[5].textContent = r.mock ? '—' : r.last_answered ? ago(r.last_answered) : '—';
    c[6].textContent = r.up ? '' : (r.down_reason || '').replace(/^dial tcp[46]? /, '');
    return tr;
  });
  for (const name of routeRows.keys()) {
    if (!st.routes.some((r) => r.name === name)) routeRows.delete(name);
  }
  body.replaceChildren(...rows);
  $('overrides-note').hidden = !rows.some((tr) => tr.dataset.override === 'true');
}

// setSwitch sends a route's two switches to devproxy. The X-Devproxy header
// (and the JSON body) make it a request no other site's page can send.
async function setSwitch(name, tr) {
  const [offline, network] = [...tr.querySelectorAll('select')].map((s) => s.value);
  try {
    const res = await fetch('override', {
      method: 'POST', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'X-Devproxy': '1' },
      body: JSON.stringify({ route: name, offline, network }),
    });
    if (!res.ok) throw new Error((await res.json()).error || res.statusText);
    $('switch-error').textContent = '';
  } catch (e) {
    $('switch-error').textContent = `could not switch ${name}: ${e.message}`;
  }
  refreshStatus();
}

// --- request log -------------------------------------------------------------

function matches(e) {
  const route = $('f-route').value, status = $('f-status').value, path = $('f-path').value;
  if (route && e.route !== route) return false;
  if (status === 'err' && e.status < 400) return false;
  if (status === '101' && e.status !== 101) return false;
  if (status && status.length === 1 && String(e.status)[0] !== status) return false;
  return !path || e.path.includes(path);
}

function row(e) {
  const statusText = e.status === 101 ? (e.open ? '101 open' : '101 closed') : e.status === 0 ? 'dropped' : e.status;
  const notes = [e.mock && 'mock', e.simulated, e.error].filter(Boolean).join(' · ');
  const tr = el('tr', { 'data-id': e.id, 'data-status': e.status, 'data-route': e.route },
    el('td', { class: 'dim' }, new Date(e.time).toLocaleTimeString()),
    el('td', { class: 'mono' }, e.method),
    el('td', { class: 'mono path', title: [e.error, e.fix && 'fix: ' + e.fix].filter(Boolean).join('\n') }, e.path),
    el('td', { class: 'mono' }, e.route),
    el('td', { class: 's' + (e.status === 0 ? '5' : String(e.status)[0]) }, statusText, notes ? el('span', { class: 'dim' }, ' · ' + notes) : ''),
    el('td', { class: 'num' }, e.open ? '…' : dur(e.dur_ms)),
    el('td', { class: 'num', title: e.status === 101 ? 'WebSocket messages from ↑ and to ↓ the browser' : '' },
      e.status === 101 ? (e.open ? '—' : `↑${e.messages_in || 0} ↓${e.messages_out || 0} msgs`) : size(e.bytes)));
  if (selected === e.id) tr.classList.add('sel');
  tr.addEventListener('click', () => showDetail(e.id));
  return tr;
}

function renderLog() {
  const shown = [...entries.values()].filter(matches).reverse();
  $('log').tBodies[0].replaceChildren(...shown.map(row));
  $('log-empty').hidden = entries.size > 0;
  $('counts').textContent = `${shown.length} of ${entries.size}` + (dropped ? ` · ${dropped} missed (page too slow)` : '');
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderLog(); });
}

function add(list) {
  for (const e of list) {
    const old = entries.get(e.id);
    if (old && !e.headers && old.headers) e.headers = old.headers;
    entries.delete(e.id); // re-insert: a closed WebSocket moves to its close time
    entries.set(e.id, e);
    if (selected === e.id) showDetail(e.id);
  }
  while (entries.size > maxRows) entries.delete(entries.keys().next().value);
  scheduleRender();
}

// --- detail view ---------------------------------------------------------------

// hop renders one header set, marking what differs from the hop before it.
function hop(title, note, headers, before) {
  const box = el('div', { class: 'hop' }, el('h3', {}, title, ' ', el('small', {}, note || '')));
  if (!headers) {
    box.append(el('p', { class: 'empty' }, 'not captured (no upstream answer)'));
    return box;
  }
  const rows = [];
  const names = Object.keys(headers).sort();
  for (const name of names) {
    const v = headers[name].join('\n');
    let cls = '';
    if (before) {
      if (!(name in before)) cls = 'added';
      else if (before[name].join('\n') !== v) cls = 'changed';
    }
    rows.push(el('tr', { class: cls }, el('td', { class: 'mono' }, name), el('td', { class: 'mono' }, v)));
  }
  if (before) {
    for (const name of Object.keys(before).sort()) {
      if (!(name in headers)) rows.push(el('tr', { class: 'removed' }, el('td', { class: 'mono' }, name), el('td', { class: 'mono' }, before[name].join('\n'))));
    }
  }
  box.append(el('table', {}, el('tbody', {}, ...rows)));
  return box;
}

function showDetail(id) {
  const e = entries.get(id);
  if (!e) return;
  selected = id;
  $('detail').classList.add('open');
  $('detail-title').textContent = `${e.method} ${e.path} → ${e.route} · ${e.status}` + (e.error ? ` · ${e.error}` : '');
  const body = $('detail-body');
  const h = e.headers;
  const fix = e.fix ? el('p', { class: 'fix' }, el('b', {}, 'fix: '), e.fix) : '';
  if (!h) {
    body.replaceChildren(fix, el('p', { class: 'empty' }, 'Headers are captured only while a status page is open; this request came before. Send it again to see them.'));
  } else {
    body.replaceChildren(fix, el('div', { class: 'hops' },
      hop('request from the browser', '', h.request_in, null),
      hop('request to the backend', h.upstream || '', h.request_out, h.request_in),
      hop('response from the backend', '', h.response_in, null),
      hop('response to the browser', '(after devproxy’s rewrites)', h.response_out, h.response_in)));
  }
  for (const tr of $('log').tBodies[0].rows) tr.classList.toggle('sel', Number(tr.dataset.id) === id);
}

// --- feed connection -------------------------------------------------------------

let retry = 500;
function connect() {
  const ws = new WebSocket(new URL('feed', location.href).href.replace(/^http/, 'ws'));
  ws.onopen = () => { retry = 500; $('live').textContent = 'live'; $('live').className = 'on'; };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    dropped = msg.dropped || 0;
    add(msg.entries || []);
  };
  ws.onclose = () => {
    $('live').textContent = 'reconnecting…';
    $('live').className = '';
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 5000);
  };
}

for (const id of ['f-route', 'f-status']) $(id).addEventListener('change', renderLog);
$('f-path').addEventListener('input', renderLog);
$('clear').addEventListener('click', () => {
  // Export HAR then leaves out what was cleared: the log after the newest entry shown.
  const newest = Math.max(0, ...entries.keys());
  $('export-har').href = `har.json?download=1&after=${newest}`;
  entries.clear();
  renderLog();
});
$('detail-close').addEventListener('click', () => { selected = null; $('detail').classList.remove('open'); renderLog(); });
$('routes').addEventListener('click', (ev) => {
  const tr = ev.target.closest('tr[data-name]');
  if (tr) { $('f-route').value = tr.dataset.name; renderLog(); }
});

refreshStatus();
setInterval(refreshStatus, 2000);
connect();
renderLog();
