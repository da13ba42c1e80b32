package sample

import (
	"math"
	"testing"
)

func TestGreedy(t *testing.T) {
	for _, tc := range []struct {
		logits []float32
		want   int32
	}{
		{[]float32{0, 3, 1}, 1},
		{[]float32{2, 2, 1}, 0}, // ties: lowest id
		{[]float32{float32(math.Inf(-1)), -5, -7}, 1},
	} {
		if got := Greedy(tc.logits); got != tc.want {
			t.Errorf("Greedy(%v) = %d, want %d", tc.logits, got, tc.want)
		}
		s := New(Params{})
		if got := s.Sample(append([]float32(nil), tc.logits...), nil); got != tc.want {
			t.Errorf("zero Params sample = %d, want greedy %d", got, tc.want)
		}
	}
}

func draw(p Params, logits []float32, n int) []int {
	s := New(p)
	counts := make([]int, len(logits))
	for i := 0; i < n; i++ {
		counts[s.Sample(append([]float32(nil), logits...), nil)]++
	}
	return counts
}

func TestSeedRepeatable(t *testing.T) {
	logits := []float32{1, 2, 3, 2.5, 0.5}
	p := Params{Temperature: 1, Seed: 42}
	a, b := New(p), New(p)
	for i := 0; i < 200; i++ {
		x := a.Sample(append([]float32(nil), logits...), nil)
		y := b.Sample(append([]float32(nil), logits...), nil)
		if x != y {
			t.Fatalf("step %d: %d vs %d with the same seed", i, x, y)
		}
	}
	c := draw(Params{Temperature: 1, Seed: 1}, logits, 300)
	d := draw(Params{Temperature: 1, Seed: 2}, logits, 300)
	same := true
	for i := range c {
		same = same && c[i] == d[i]
	}
	if same {
		t.Error("different seeds gave identical counts")
	}
}

// TestDistribution: at temperature 1 with no truncation the draw frequencies
// follow softmax(logits).
func TestDistribution(t *testing.T) {
	logits := []float32{0, 1, 2, math.Ln2}
	const n = 40000
	counts := draw(Params{Temperature: 1, Seed: 7}, logits, n)
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l))
	}
	for i, l := range logits {
		p := math.Exp(float64(l)) / z
		got := float64(counts[i]) / n
		if math.Abs(got-p) > 4*math.Sqrt(p*(1-p)/n)+1e-3 {
			t.Errorf("token %d: frequency %.4f, want %.4f", i, got, p)
		}
	}
}

func TestTruncation(t *testing.T) {
	logits := []float32{5, 4, 3, 2, 1, 0}
	for _, tc := range []struct {
		name    string
		p       Params
		allowed int // tokens 0..allowed-1 may appear
	}{
		{"top-k 2", Params{Temperature: 1, TopK: 2}, 2},
		{"top-p", Params{Temperature: 1, TopP: 0.7}, 2},   // p0≈0.64, p0+p1≈0.87
		{"min-p", Params{Temperature: 1, MinP: 0.1}, 3},   // e^-2≈0.14 stays, e^-3≈0.05 goes
		{"low temperature", Params{Temperature: 0.05}, 1}, // effectively greedy
		{"top-k 1", Params{Temperature: 5, TopK: 1}, 1},
	} {
		counts := draw(tc.p, logits, 3000)
		for i := tc.allowed; i < len(counts); i++ {
			if counts[i] != 0 {
				t.Errorf("%s: token %d drawn %d times", tc.name, i, counts[i])
			}
		}
		for i := 0; i < tc.allowed; i++ {
			if counts[i] == 0 && tc.name != "low temperature" {
				t.Errorf("%s: token %d never drawn", tc.name, i)
			}
		}
	}
}

func TestPenalties(t *testing.T) {
	base := []float32{2, -2, 1, 0.5}
	hist := []int32{0, 1, 0}
	s := New(Params{RepeatPenalty: 2, PresencePenalty: 0.5, FrequencyPenalty: 0.25})
	l := append([]float32(nil), base...)
	s.penalize(l, hist)
	want := []float32{1 - 0.5 - 2*0.25, -2*2 - 0.5 - 0.25, 1, 0.5}
	for i := range want {
		if math.Abs(float64(l[i]-want[i])) > 1e-6 {
			t.Errorf("token %d: %g, want %g", i, l[i], want[i])
		}
	}
	// The window only looks at the last RepeatLastN tokens.
	s = New(Params{PresencePenalty: 1, RepeatLastN: 1})
	l = append([]float32(nil), base...)
	s.penalize(l, hist)
	if l[1] != base[1] || l[0] != base[0]-1 {
		t.Errorf("window: %v", l)
	}
	// Ids outside the vocabulary in the history are ignored.
	s.penalize(l, []int32{-1, 99})
}

func TestLogSoftmax(t *testing.T) {
	logits := []float32{1, 2, 3}
	out := make([]float32, 3)
	LogSoftmax(out, logits)
	var sum float64
	for _, v := range out {
		sum += math.Exp(float64(v))
	}
	if math.Abs(sum-1) > 1e-6 || !(out[2] > out[1]) {
		t.Fatalf("log-softmax %v sums to %g", out, sum)
	}
}

func TestAllMasked(t *testing.T) {
	inf := float32(math.Inf(-1))
	s := New(Params{Temperature: 1})
	if got := s.Sample([]float32{inf, inf, inf}, nil); got < 0 || got > 2 {
		t.Fatalf("all -Inf gave %d", got)
	}
}
