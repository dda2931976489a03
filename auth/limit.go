package auth

import (
	"sync"
	"time"
)

// limiter counts failed logins per key (a username or a client address)
// within a window that starts at a key's first failure: at the limit, the
// key is refused until its window ends. It keeps no entry longer than its
// window, and at most maxKeys entries.
type limiter struct {
	mu   sync.Mutex
	keys map[string]*window
}

// window is one key's failures since start.
type window struct {
	start    time.Time
	failures int
}

// maxKeys bounds the limiter's memory; beyond it, new keys are not
// counted until old windows end (the persistent account lockout still
// holds).
const maxKeys = 100_000

func newLimiter() *limiter { return &limiter{keys: map[string]*window{}} }

// blocked reports whether key has reached limit failures within the
// window of length span that is open at now.
func (l *limiter) blocked(key string, limit int, span time.Duration, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.keys[key]
	if !ok {
		return false
	}
	if now.Sub(w.start) >= span {
		delete(l.keys, key)
		return false
	}
	return w.failures >= limit
}

// fail counts one failure of key at now.
func (l *limiter) fail(key string, span time.Duration, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.keys[key]
	if ok && now.Sub(w.start) >= span {
		ok = false
	}
	if !ok {
		if len(l.keys) >= maxKeys {
			l.sweep(span, now)
			if len(l.keys) >= maxKeys {
				return
			}
		}
		w = &window{start: now}
		l.keys[key] = w
	}
	w.failures++
}

// reset forgets key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// sweep removes the windows that have ended; l.mu is held.
func (l *limiter) sweep(span time.Duration, now time.Time) {
	for k, w := range l.keys {
		if now.Sub(w.start) >= span {
			delete(l.keys, k)
		}
	}
}
