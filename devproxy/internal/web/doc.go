// Package web is devproxy's shared vocabulary: one definition each of what
// an origin is, which hosts are this machine, header tokens, the Fetch
// standard's safelists and host:port spelling, used by every other package.
// It holds no state, starts no goroutines and never imports another devproxy
// package.
package web
