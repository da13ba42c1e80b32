package ollama

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		set  bool
		bad  bool
	}{
		{`"5m"`, 5 * time.Minute, true, false},
		{`300`, 300 * time.Second, true, false},
		{`"300"`, 300 * time.Second, true, false},
		{`0`, 0, true, false},
		{`-1`, -1, true, false},
		{`"-1m"`, -1, true, false},
		{`null`, 0, false, false},
		{`"soon"`, 0, true, true},
		{`true`, 0, true, true},
	}
	for _, c := range cases {
		var d Duration
		err := json.Unmarshal([]byte(c.in), &d)
		if (err != nil) != c.bad || !c.bad && (d.D != c.want || d.Set != c.set) {
			t.Errorf("%s: %+v, %v", c.in, d, err)
		}
	}
}

func TestOptions(t *testing.T) {
	var none *options
	o, err := none.toOptions(nil)
	if err != nil || o.Sampling.Temperature != 0.8 || o.Sampling.TopK != 40 || o.Sampling.RepeatPenalty != 1.1 {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	var op options
	if err := json.Unmarshal([]byte(`{"temperature": 0, "num_predict": 7, "stop": ["x"], "seed": 5, "top_k": 1}`), &op); err != nil {
		t.Fatal(err)
	}
	o, err = op.toOptions(json.RawMessage(`"json"`))
	if err != nil || o.Sampling.Temperature != 0 || o.MaxTokens != 7 || o.Stop[0] != "x" || o.Sampling.Seed != 5 || !o.JSON {
		t.Fatalf("%+v, %v", o, err)
	}
	o, err = op.toOptions(json.RawMessage(`{"type": "object"}`))
	if err != nil || string(o.Schema) != `{"type": "object"}` {
		t.Fatalf("schema: %+v, %v", o, err)
	}
	if _, err := op.toOptions(json.RawMessage(`"yaml"`)); err == nil {
		t.Fatal("format yaml accepted")
	}
}
