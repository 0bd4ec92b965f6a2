//go:build !devproxyprofile

package main

// startProfiling is a no-op in a normal build; see profile.go.
func startProfiling() (stop func()) { return func() {} }
