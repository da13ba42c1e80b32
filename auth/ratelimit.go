package auth

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// LoginLimiter counts failed logins per key (client address, user name) in
// a fixed window and refuses further attempts once a key reaches its limit,
// until the window ends. It lives in memory: each replica counts alone.
type LoginLimiter struct {
	mu      sync.Mutex
	max     int
	window  time.Duration
	maxKeys int
	now     func() time.Time
	entries map[string]*limitEntry
}

type limitEntry struct {
	failures int
	start    time.Time
}

// NewLoginLimiter allows up to max failures per key within window.
func NewLoginLimiter(max int, window time.Duration) *LoginLimiter {
	return &LoginLimiter{max: max, window: window, maxKeys: 100000, now: time.Now, entries: map[string]*limitEntry{}}
}

// Allow reports whether key may try again, and if not, how long it must wait.
func (l *LoginLimiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		return true, 0
	}
	now := l.now()
	if end := e.start.Add(l.window); !now.Before(end) {
		delete(l.entries, key)
		return true, 0
	} else if e.failures >= l.max {
		return false, end.Sub(now)
	}
	return true, 0
}

// Fail records a failed attempt for key.
func (l *LoginLimiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e := l.entries[key]
	if e == nil || !now.Before(e.start.Add(l.window)) {
		if len(l.entries) >= l.maxKeys {
			l.sweep(now)
		}
		e = &limitEntry{start: now}
		l.entries[key] = e
	}
	e.failures++
}

// Reset forgets key, after a successful login.
func (l *LoginLimiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// sweep drops finished windows; if the table is still full (a flood of
// distinct keys), it drops the oldest half so memory stays bounded.
func (l *LoginLimiter) sweep(now time.Time) {
	for k, e := range l.entries {
		if !now.Before(e.start.Add(l.window)) {
			delete(l.entries, k)
		}
	}
	if len(l.entries) < l.maxKeys {
		return
	}
	cut := now.Add(-l.window / 2)
	for k, e := range l.entries {
		if e.start.Before(cut) {
			delete(l.entries, k)
		}
	}
	if len(l.entries) >= l.maxKeys {
		clear(l.entries)
	}
}

// clientKey reduces a remote address to the unit an attacker controls: the
// IPv4 address, or the /64 network of an IPv6 address.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return "ip:" + host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}
