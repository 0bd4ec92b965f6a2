package devproxy

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/devproxy/devproxy/internal/testkit"
)

func TestProbeDialsOncePerBackendAndCaches(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// accepted receives the dialler's address of each connection.
	accepted := make(chan string, 10)
	go func() { // exits when ln is closed
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- conn.RemoteAddr().String()
			conn.Close()
		}
	}()
	dead := testkit.FreeAddr(t)
	p := newProber()
	addr := ln.Addr().String()
	for range 2 { // the second call is answered from the cache
		got := p.check(context.Background(), []string{addr, addr, dead})
		if !got[addr].up || got[dead].up || got[dead].err == "" {
			t.Fatalf("check = %+v, want %s up and %s down with a reason", got, addr, dead)
		}
	}
	// Connections are accepted in order: once a marker dialled now is
	// accepted, every probe dial has been too.
	marker, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	probes := 0
	for {
		select {
		case from := <-accepted:
			if from == marker.LocalAddr().String() {
				if probes != 1 {
					t.Errorf("the live backend was dialled %d times for two checks within probeCacheFor, want 1", probes)
				}
				return
			}
			probes++
		case <-time.After(5 * time.Second):
			t.Fatal("the marker connection was never accepted")
		}
	}
}
