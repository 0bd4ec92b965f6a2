package devproxy

import (
	"sync"
	"sync/atomic"
)

// onceLogMax bounds a route's one-time log memory: a client sending
// endless distinct Origins must not grow it without limit.
const onceLogMax = 1024

// onceLog remembers which one-time log lines a route has written, so a
// cookie rewritten on every response is explained once, not per request.
// It lives on the compiled route, so a config reload explains again.
type onceLog struct {
	seen sync.Map
	n    atomic.Int32
}

// first reports whether key is new, remembering it.
func (o *onceLog) first(key string) bool {
	if _, ok := o.seen.Load(key); ok || o.n.Load() >= onceLogMax {
		return false
	}
	if _, loaded := o.seen.LoadOrStore(key, struct{}{}); loaded {
		return false
	}
	o.n.Add(1)
	return true
}
