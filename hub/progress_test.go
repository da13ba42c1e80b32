package hub

import (
	"strings"
	"testing"
	"time"
)

func TestProgressPrinter(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var sb strings.Builder
		now := time.Unix(1000, 0)
		pp := &ProgressPrinter{W: &sb, TTY: tty, Interval: time.Second, Now: func() time.Time { return now }}
		const total = 100 << 20
		for i := int64(0); i <= 10; i++ {
			pp.Update(Progress{Name: "model.gguf", Done: i * 5 << 20, Total: total})
			now = now.Add(time.Second)
		}
		pp.Update(Progress{Name: "model.gguf", Done: total, Total: total, Finished: true})
		pp.Update(Progress{Name: "config.json", Done: 10, Total: 10, Resumed: 10, Finished: true})
		out := sb.String()
		for _, want := range []string{"model.gguf", "50.0 MiB of 100.0 MiB (50%), 5.0 MiB/s, ETA 10s", "done, 100.0 MiB", "config.json: already downloaded"} {
			if tty && strings.Contains(want, " of ") {
				want = " 50% "
			}
			if !strings.Contains(out, want) {
				t.Errorf("tty=%v: output lacks %q:\n%s", tty, want, out)
			}
		}
		if strings.Contains(out, "\r") != tty {
			t.Errorf("tty=%v: carriage returns present = %v", tty, !tty)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536 << 20: "1.5 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
