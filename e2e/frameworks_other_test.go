//go:build !unix

package e2e

// stopFrameworks has nothing to stop: the framework matrix runs on unix only
// (its apps are stopped by process group).
func stopFrameworks() {}
