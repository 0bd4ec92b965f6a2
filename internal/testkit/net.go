package testkit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// FreeAddr returns a loopback address with a port nothing listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// WaitHTTP polls url until it answers (any status), failing after timeout.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	WaitUntil(t, timeout, url+" answering", func() bool {
		res, err := client.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return true
	})
}

// WaitPortFree dials addr until nothing accepts, failing after a deadline.
func WaitPortFree(t testing.TB, addr string) {
	t.Helper()
	WaitUntil(t, 10*time.Second, addr+" free (the process group must not outlive Stop)", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if conn != nil {
			conn.Close()
		}
		return err != nil && errors.Is(err, syscall.ECONNREFUSED)
	})
}

// ServeUntilDone runs serve on its own goroutine until the test ends: the
// cleanup cancels serve's context and waits up to stopTimeout for it to
// return, without an error.
func ServeUntilDone(t testing.TB, stopTimeout time.Duration, serve func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }() // exits when the cleanup cancels ctx
	t.Cleanup(func() {
		cancel()
		if err := Receive(t, done, stopTimeout, "Serve returning after its context was cancelled"); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}
