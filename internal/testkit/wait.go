package testkit

import (
	"testing"
	"time"
)

// pollInterval is how often PollUntil re-checks a condition.
const pollInterval = 10 * time.Millisecond

// PollUntil re-checks cond until it holds or timeout passes and reports
// whether it held. It is for conditions that send no event to wait on: a
// port closing, goroutines exiting, another process writing a file.
func PollUntil(timeout time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
			if cond() {
				return true
			}
		}
	}
}

// WaitUntil is PollUntil that fails the test, naming what did not happen.
func WaitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !PollUntil(timeout, cond) {
		t.Fatalf("%s: not within %s", what, timeout)
	}
}

// Receive waits for a value on ch, failing the test after timeout.
func Receive[T any](t testing.TB, ch <-chan T, timeout time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("%s: not within %s", what, timeout)
		var zero T
		return zero
	}
}
