// A one-file Express 5 app for devproxy's browser tests
// (e2e/frameworks_express_test.go): express-session for the login, csrf-sync
// (the maintained synchroniser-token middleware) for CSRF, a login form, a
// home page, a CSRF-protected JSON POST, a logout form, redirects and a
// server-sent event stream. It prints "listening on 127.0.0.1:PORT" once it
// accepts connections:
//
//   node serve.mjs
//
// The same router is mounted twice: at /express, for a plain devproxy route
// with that prefix, and at /, for a strip_prefix route, where the public
// prefix arrives in the X-Forwarded-Prefix header devproxy sends. Links and
// redirects are built from that prefix and req.baseUrl (the mount path).
// The page at / reads the token from the XSRF-TOKEN cookie (Path=/).
import express from 'express';
import session from 'express-session';
import { csrfSync } from 'csrf-sync';

const app = express();
app.set('trust proxy', 'loopback'); // X-Forwarded-* from devproxy on this machine
app.use(session({ secret: 'devproxy-e2e-not-secret', resave: false, saveUninitialized: true }));
app.use(express.urlencoded({ extended: false }));
app.use(express.json());
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req) => req.body?._csrf || req.headers['x-csrf-token'],
});

const api = express.Router();
api.use((req, res, next) => {
  // The public path of this mount: the prefix devproxy stripped, if any, then the mount path.
  req.publicBase = (req.get('X-Forwarded-Prefix') || '') + req.baseUrl;
  res.cookie('XSRF-TOKEN', generateToken(req), { path: '/', sameSite: 'lax' });
  next();
});
api.use(csrfSynchronisedProtection);

const page = (body) => `<!doctype html><html><head><link rel="icon" href="data:,"><title>express</title></head><body>${body}</body></html>`;
const escapeHTML = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

api.get('/login', (req, res) => {
  res.send(page(`<form id="login" method="post" action="${req.publicBase}/login">` +
    `<input type="hidden" name="_csrf" value="${generateToken(req)}">` +
    '<input id="username" name="username"><button id="submit">Sign in</button></form>'));
});
api.post('/login', (req, res) => {
  req.session.user = req.body.username;
  res.redirect(`${req.publicBase}/`);
});
api.get('/', (req, res) => {
  if (!req.session.user) return res.redirect(`${req.publicBase}/login`);
  res.send(page(`<p id="who">signed in as ${escapeHTML(req.session.user)}</p><a id="me" href="${req.publicBase}/me">me</a>` +
    `<form id="logout" method="post" action="${req.publicBase}/logout"><input type="hidden" name="_csrf" value="${generateToken(req)}">` +
    '<button id="signout">Sign out</button></form>'));
});
api.get('/me', (req, res) => res.json({ user: req.session.user || null }));
api.post('/echo', (req, res) => res.json({ user: req.session.user || null, got: req.body ?? null }));
api.post('/logout', (req, res) => {
  req.session.user = undefined;
  res.redirect(`${req.publicBase}/login`);
});
api.get('/events', (req, res) => {
  res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  res.write('data: hello\n\n');
  const tick = setInterval(() => res.write(': keep-alive\n\n'), 100);
  req.on('close', () => clearInterval(tick)); // devproxy closed the connection
});

app.use('/express', api);
app.use('/', api);

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
