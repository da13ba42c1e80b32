package hub

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ProgressPrinter renders download progress: a redrawn bar with speed and
// ETA on a terminal, or a plain line every few seconds otherwise.
type ProgressPrinter struct {
	W        io.Writer
	TTY      bool
	Interval time.Duration    // between plain lines; 0 = 5s
	Now      func() time.Time // clock, for tests; nil = time.Now

	mu    sync.Mutex
	name  string
	start time.Time
	base  int64 // bytes present when the file started
	last  time.Time
	speed float64 // bytes per second, smoothed
	prevT time.Time
	prevN int64
	width int // of the last bar drawn
}

// NewProgressPrinter returns a Progress callback writing to w.
func NewProgressPrinter(w io.Writer, tty bool) func(Progress) {
	p := &ProgressPrinter{W: w, TTY: tty}
	return p.Update
}

func (pp *ProgressPrinter) now() time.Time {
	if pp.Now != nil {
		return pp.Now()
	}
	return time.Now()
}

// Update takes one progress report.
func (pp *ProgressPrinter) Update(p Progress) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	now := pp.now()
	if p.Name != pp.name {
		pp.name, pp.start, pp.base, pp.speed = p.Name, now, p.Done, 0
		pp.prevT, pp.prevN, pp.last = now, p.Done, time.Time{}
		if p.Finished && p.Resumed == p.Done {
			fmt.Fprintf(pp.W, "%s: already downloaded (%s)\n", p.Name, humanBytes(p.Done))
			return
		}
		if !pp.TTY {
			switch {
			case p.Finished:
			case p.Done > 0:
				fmt.Fprintf(pp.W, "%s: resuming at %s of %s\n", p.Name, humanBytes(p.Done), humanTotal(p.Total))
			default:
				fmt.Fprintf(pp.W, "%s: downloading %s\n", p.Name, humanTotal(p.Total))
			}
		}
	}
	if dt := now.Sub(pp.prevT).Seconds(); dt >= 0.5 {
		inst := float64(p.Done-pp.prevN) / dt
		if pp.speed == 0 {
			pp.speed = inst
		} else {
			pp.speed = 0.7*pp.speed + 0.3*inst
		}
		pp.prevT, pp.prevN = now, p.Done
	}
	if p.Finished {
		elapsed := now.Sub(pp.start)
		avg := 0.0
		if s := elapsed.Seconds(); s > 0 {
			avg = float64(p.Done-pp.base) / s
		}
		msg := fmt.Sprintf("%s: done, %s in %s (%s/s)", p.Name, humanBytes(p.Done), humanDuration(elapsed), humanBytes(int64(avg)))
		if pp.TTY {
			fmt.Fprintf(pp.W, "\r%s\r%s\n", strings.Repeat(" ", pp.width), msg)
		} else {
			fmt.Fprintln(pp.W, msg)
		}
		pp.name = ""
		return
	}
	if pp.TTY {
		line := pp.barLine(p)
		pad := ""
		w := utf8.RuneCountInString(line)
		if n := pp.width - w; n > 0 {
			pad = strings.Repeat(" ", n)
		}
		pp.width = w
		fmt.Fprintf(pp.W, "\r%s%s", line, pad)
		return
	}
	interval := pp.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if pp.last.IsZero() {
		pp.last = now
		return
	}
	if now.Sub(pp.last) >= interval {
		pp.last = now
		fmt.Fprintf(pp.W, "%s: %s of %s%s%s\n", p.Name, humanBytes(p.Done), humanTotal(p.Total), pp.percent(p), pp.rate(p))
	}
}

func (pp *ProgressPrinter) percent(p Progress) string {
	if p.Total <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%d%%)", p.Done*100/p.Total)
}

func (pp *ProgressPrinter) rate(p Progress) string {
	if pp.speed <= 0 {
		return ""
	}
	s := fmt.Sprintf(", %s/s", humanBytes(int64(pp.speed)))
	if p.Total > 0 && p.Done < p.Total {
		eta := time.Duration(float64(p.Total-p.Done) / pp.speed * float64(time.Second))
		s += ", ETA " + humanDuration(eta)
	}
	return s
}

func (pp *ProgressPrinter) barLine(p Progress) string {
	name := p.Name
	if len(name) > 40 {
		name = "…" + name[len(name)-39:]
	}
	const width = 24
	bar := strings.Repeat("·", width)
	pct := ""
	if p.Total > 0 {
		filled := int(p.Done * width / p.Total)
		filled = min(max(filled, 0), width)
		bar = strings.Repeat("█", filled) + strings.Repeat("·", width-filled)
		pct = fmt.Sprintf("%3d%% ", p.Done*100/p.Total)
	}
	return fmt.Sprintf("%s %s%s %s/%s%s", name, pct, bar, humanBytes(p.Done), humanTotal(p.Total), pp.rate(p))
}

func humanTotal(n int64) string {
	if n < 0 {
		return "?"
	}
	return humanBytes(n)
}

// humanBytes formats a byte count with binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

func humanDuration(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// FormatSize formats a byte count for people, with binary units.
func FormatSize(n int64) string { return humanBytes(n) }
