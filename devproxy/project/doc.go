// Package project is what `devproxy init` learns from a frontend project:
// the dev server (Vite, Create React App, webpack-dev-server, Next.js), its
// port and start script, and the proxy routes it already has, read from
// package.json and the dev server's config as text, and the devproxy.toml
// that says so. It never runs project code and never writes files.
package project
