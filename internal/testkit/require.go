package testkit

import (
	"os"
	"testing"
)

// Require skips the test with one line naming what to install when ok is
// false, unless the CI environment variable is set: then a missing
// prerequisite fails the run, so CI can never pass by skipping.
func Require(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("missing prerequisite (CI is set, so this fails instead of skipping): %s", what)
	}
	t.Skipf("skipped: %s", what)
}
