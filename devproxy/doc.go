// Package devproxy is the runtime core: one origin in front of a frontend
// (a dev server or a static build) and its backends, routing each request
// by the longest matching prefix, forwarding HTTP and WebSockets with
// Origin and Host checks, rewriting cookies, redirects and CORS so answers
// work at devproxy's origin, hot-reloading the route table, and showing
// all of it on a live status page. It never reads os.Args or exits the
// process: the cli package drives it.
package devproxy
