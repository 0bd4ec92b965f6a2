package devproxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/devproxy/config"
)

func TestListenPortInUseNamesTheKey(t *testing.T) {
	t.Parallel()
	lns, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lns[0].Close()
	_, err = Listen(lns[0].Addr().String())
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Listen on a used port: %v", err)
	}
}

func TestListenLocalhostBindsBothFamilies(t *testing.T) {
	t.Parallel()
	lns, err := Listen("localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var got []string
	for _, ln := range lns {
		got = append(got, ln.Addr().String())
	}
	if len(lns) != 2 || !strings.HasPrefix(got[0], "127.0.0.1:") || !strings.HasPrefix(got[1], "[::1]:") {
		t.Fatalf("Listen(localhost:0) = %v, want 127.0.0.1 and [::1] on one port", got)
	}
	if p4, p6 := got[0][strings.LastIndexByte(got[0], ':'):], got[1][strings.LastIndexByte(got[1], ':'):]; p4 != p6 {
		t.Errorf("ports differ: %s vs %s", p4, p6)
	}
	port := got[0][strings.LastIndexByte(got[0], ':'):]
	if u := URL(&config.Config{Listen: "localhost:0"}, lns); u != fmt.Sprintf("http://localhost%s/", port) {
		t.Errorf("URL = %q", u)
	}
	if u := URL(&config.Config{Listen: "localhost:0", HTTPS: true}, lns); u != fmt.Sprintf("https://localhost%s/", port) {
		t.Errorf("URL of an https listen = %q", u)
	}
}
