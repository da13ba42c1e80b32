package server

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"", 0, false}, {"0", 0, false}, {"1024", 1024, false}, {"4KiB", 4096, false}, {"4k", 4096, false},
		{"1.5GiB", 3 << 29, false}, {"2GB", 2e9, false}, {"512 MiB", 512 << 20, false}, {"1T", 1 << 40, false},
		{"-1G", 0, true}, {"lots", 0, true}, {"3 parsecs", 0, true}, {"1e30TB", 0, true},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v", c.in, got, err)
		}
	}
}

func TestParseKeepAlive(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"5m", 5 * time.Minute, false}, {"0", 0, false}, {"-1", -1, false}, {"-5m", -1, false},
		{"90", 90 * time.Second, false}, {"1h30m", 90 * time.Minute, false}, {"soon", 0, true},
	}
	for _, c := range cases {
		got, err := ParseKeepAlive(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseKeepAlive(%q) = %v, %v", c.in, got, err)
		}
	}
	if EnvName("kv-memory") != "NURI_KV_MEMORY" || EnvName("port") != "NURI_PORT" {
		t.Error("EnvName")
	}
}
