package server

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// ParseSize reads a byte count: a plain number or one with a unit (K, M,
// G, T with an optional "i" and "B"; KB = 1000, KiB = 1024, K = 1024).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" || t == "0" {
		return 0, nil
	}
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 512MiB or 8GB", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "ki": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mi": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gi": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "ti": 1 << 40, "tb": 1e12,
	}
	m, ok := mult[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q", s, t[i:])
	}
	b := v * m
	if b > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(b), nil
}

// ParseKeepAlive reads a keep-alive: a duration ("5m", "1h30m"), a number
// of seconds, or a negative value for "never unload".
func ParseKeepAlive(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		if v < 0 {
			return -1, nil
		}
		if v == 0 {
			return 0, nil
		}
		return time.Duration(v * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("keep-alive %q: want a duration such as 5m, seconds, or -1 for never", s)
	}
	if d < 0 {
		return -1, nil
	}
	return d, nil
}

// DefaultMemoryBudget is three quarters of the machine's memory (0 when it
// cannot be read: no budget).
func DefaultMemoryBudget() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb * 1024 / 4 * 3
				}
			}
		}
	}
	return 0
}

// EnvName is the environment variable that sets a flag's default:
// --kv-memory reads NURI_KV_MEMORY.
func EnvName(flag string) string {
	return "NURI_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
