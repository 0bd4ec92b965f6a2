// Package testkit holds the test helpers more than one devproxy package
// uses: waiting on conditions with deadlines, recording logs and output,
// free loopback ports, stand-in server processes, and the rule for
// prerequisites (skip on a laptop, fail in CI). It imports no devproxy
// package, so every package's tests can use it; product code never does.
package testkit
