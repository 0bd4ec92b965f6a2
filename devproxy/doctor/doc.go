// Package doctor is the CORS doctor: it replays a page's fetch() as
// Chromium would, by the Fetch standard's rules, and says what the browser
// will print, why, whose side must change and the fix, with config
// snippets for common stacks. Everything but Run (which sends the
// browser's requests) is pure; it never changes what devproxy serves.
package doctor
