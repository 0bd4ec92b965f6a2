// Package project is what devproxy learns from a frontend project: the dev
// server (Vite and what runs on it, Angular, Create React App,
// webpack-dev-server, Next.js), its port and start script, the proxy routes
// it already has and the hot-reload socket paths it uses, read from
// package.json and the dev server's config as text; and the devproxy.toml
// that init writes from it. It never runs project code and never writes files.
package project
