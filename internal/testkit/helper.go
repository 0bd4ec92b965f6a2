package testkit

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"testing"
)

// The test binary doubles as stand-in servers that tests start as
// commands under devproxy: a package's TestMain calls RunHelper first.
const (
	// HelperListenEnv makes the binary a stand-in dev server that listens on
	// this address, prints "helper listening on ADDR" and accepts until it is killed.
	HelperListenEnv = "DEVPROXY_TEST_HELPER_LISTEN"
	// HelperOnceEnv makes the binary a backend that answers one request on
	// this address, then exits with status 3.
	HelperOnceEnv = "DEVPROXY_TEST_HELPER_ONCE"
)

// RunHelper turns the process into a stand-in server when one of the
// helper variables is set, and never returns then. Otherwise it returns
// at once and the tests run.
func RunHelper() {
	if addr := os.Getenv(HelperOnceEnv); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			os.Exit(2)
		}
		done := make(chan struct{})
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { // ends with the process
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "once")
			close(done)
		}))
		<-done
		os.Exit(3)
	}
	if addr := os.Getenv(HelperListenEnv); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		fmt.Println("helper listening on", addr)
		for { // accepts until the process is killed
			conn, err := ln.Accept()
			if err != nil {
				os.Exit(1)
			}
			conn.Close()
		}
	}
}

// ListenCommand is a shell command whose child (not the shell itself)
// listens on addr, as npm run dev → node does, and the environment it
// needs: the test binary in its HelperListenEnv role. The package's
// TestMain must call RunHelper.
func ListenCommand(t testing.TB, addr string) (command string, env []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("'%s' & echo spawned; wait", exe), []string{HelperListenEnv + "=" + addr}
}
