//go:build devproxyprofile

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// profileEnv names a directory to write cpu.pprof and allocs.pprof into
// while devproxy runs. It exists for `go run ./bench -profile DIR`, which
// builds devproxy with -tags devproxyprofile; a normal build has no
// profiling code at all (noprofile.go).
const profileEnv = "DEVPROXY_PROFILE"

// startProfiling starts the CPU profile when profileEnv is set and returns
// the function that writes both profiles; call it before exiting.
func startProfiling() (stop func()) {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return func() {}
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "devproxy: profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		fmt.Fprintln(os.Stderr, "devproxy: profile:", err)
		cpu.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		runtime.GC() // the allocs profile reports as of the last GC
		if f, err := os.Create(filepath.Join(dir, "allocs.pprof")); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
}
