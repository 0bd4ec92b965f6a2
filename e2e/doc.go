// Package e2e holds devproxy's end-to-end tests: real headless Chromium,
// driven by playwright-core (testdata/driver.mjs), loading pages through a
// real devproxy in front of real backends and dev servers (Vite). It has no
// code of its own beside the tests; see browser_test.go for the harness.
package e2e
