package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/store"
)

func post(t *testing.T, url, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const chatBody = `{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}`

// TestOverload: more requests than the queue holds get 429 with
// Retry-After; the server stays healthy and serves again afterwards.
func TestOverload(t *testing.T) {
	slow := func(r *engine.Request) string { return "one two three four five six" }
	_, hs := testServer(t, func(c *Config) { c.NewEngine = fakeFactory(slow, 50*time.Millisecond, 2, nil) })
	const n = 8
	var wg sync.WaitGroup
	codes := make([]int, n)
	retry := make([]string, n)
	bodies := make([]string, n)
	for i := range n {
		wg.Go(func() {
			resp, body := post(t, hs.URL+"/v1/chat/completions", `{"model": "tiny", "messages": [{"role": "user", "content": "hi"}]}`)
			codes[i], retry[i], bodies[i] = resp.StatusCode, resp.Header.Get("Retry-After"), body
		})
	}
	wg.Wait()
	ok, limited := 0, 0
	for i, c := range codes {
		switch c {
		case 200:
			ok++
		case 429:
			limited++
			if retry[i] == "" || !strings.Contains(bodies[i], "rate_limit") {
				t.Fatalf("429 without Retry-After or OpenAI error: %q %s", retry[i], bodies[i])
			}
		default:
			t.Fatalf("status %d: %s", c, bodies[i])
		}
	}
	if ok < 2 || limited < 1 {
		t.Fatalf("%d ok, %d limited of %d", ok, limited, n)
	}
	if code, _ := get(t, hs.URL+"/health"); code != 200 {
		t.Fatalf("health %d after overload", code)
	}
	if resp, body := post(t, hs.URL+"/v1/chat/completions", chatBody); resp.StatusCode != 200 {
		t.Fatalf("after overload: %d %s", resp.StatusCode, body)
	}
	// Ollama and Anthropic clients see the same status in their shapes.
	resp, body := post(t, hs.URL+"/api/chat", `{"model": "tiny", "messages": []}`)
	if resp.StatusCode != 200 {
		t.Fatalf("ollama load: %d %s", resp.StatusCode, body)
	}
}

// TestDisconnectCancels: a client that goes away mid-stream cancels its
// request in the engine.
func TestDisconnectCancels(t *testing.T) {
	made := make(chan *fakeEngine, 1)
	long := func(r *engine.Request) string { return strings.Repeat("word ", 200) }
	_, hs := testServer(t, func(c *Config) { c.NewEngine = fakeFactory(long, 20*time.Millisecond, 0, made) })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hs.URL+"/v1/chat/completions",
		strings.NewReader(`{"model": "tiny", "stream": true, "messages": [{"role": "user", "content": "hi"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(resp.Body)
	for range 4 {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	resp.Body.Close()
	f := <-made
	waitFor(t, func() bool { return f.cancelled.Load() == 1 })
}

// TestAPIKey: --api-key guards the APIs (Bearer or x-api-key), not /health.
func TestAPIKey(t *testing.T) {
	_, hs := testServer(t, func(c *Config) {
		c.APIKey = "sekret"
		c.NewEngine = fakeFactory(func(*engine.Request) string { return "ok" }, 0, 0, nil)
	})
	cases := []struct {
		path, body string
		header     []string
		want       int
	}{
		{"/v1/chat/completions", chatBody, nil, 401},
		{"/v1/chat/completions", chatBody, []string{"Authorization", "Bearer wrong"}, 401},
		{"/v1/chat/completions", chatBody, []string{"Authorization", "Bearer sekret"}, 200},
		{"/v1/messages", `{"model": "tiny", "max_tokens": 3, "messages": [{"role": "user", "content": "hi"}]}`, []string{"x-api-key", "sekret"}, 200},
		{"/v1/messages", `{"model": "tiny", "max_tokens": 3, "messages": [{"role": "user", "content": "hi"}]}`, nil, 401},
		{"/api/chat", `{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "stream": false}`, nil, 401},
	}
	for _, c := range cases {
		resp, body := post(t, hs.URL+c.path, c.body, c.header...)
		if resp.StatusCode != c.want {
			t.Fatalf("%s %v: %d %s", c.path, c.header, resp.StatusCode, body)
		}
		if c.want == 401 && c.path == "/v1/messages" && !strings.Contains(body, `"authentication_error"`) {
			t.Fatalf("anthropic 401 shape: %s", body)
		}
	}
	if code, _ := get(t, hs.URL+"/health"); code != 200 {
		t.Fatalf("health needs no key, got %d", code)
	}
}

// TestUsersAndUsage: once accounts exist a user's API key is required, and
// each request is recorded for that user in the store.
func TestUsersAndUsage(t *testing.T) {
	s, hs := testServer(t, func(c *Config) {
		c.NewEngine = fakeFactory(func(*engine.Request) string { return "fine thanks" }, 0, 0, nil)
	})
	svc := auth.NewService(s.store, auth.Options{Argon2: auth.Argon2Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}})
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, "mina", "correct horse battery", store.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := svc.CreateAPIKey(ctx, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	s.usersMu.Lock()
	s.usersAt = time.Time{}
	s.usersMu.Unlock()
	if resp, body := post(t, hs.URL+"/v1/chat/completions", chatBody); resp.StatusCode != 401 {
		t.Fatalf("anonymous with users: %d %s", resp.StatusCode, body)
	}
	if resp, body := post(t, hs.URL+"/v1/chat/completions", chatBody, "Authorization", "Bearer "+key); resp.StatusCode != 200 {
		t.Fatalf("with the user's key: %d %s", resp.StatusCode, body)
	}
	if err := s.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	buckets, err := s.store.AggregateUsage(ctx, store.UsageQuery{Period: store.Day, ByModel: true, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(buckets) != 1 || buckets[0].Requests != 1 || buckets[0].UniqueUsers != 1 || buckets[0].UniqueAPIKeys != 1 || buckets[0].CompletionTokens < 1 || buckets[0].Model != "tiny" {
		t.Fatalf("usage %+v", buckets)
	}
}

// TestMetrics: vLLM-compatible gauges and Nuri's histograms.
func TestMetrics(t *testing.T) {
	_, hs := testServer(t, nil)
	if resp, body := post(t, hs.URL+"/v1/chat/completions", chatBody); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// The engine publishes its gauges from its loop, which may not have
	// retired the finished request yet when the response ends: poll until
	// it has.
	var code int
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, body = get(t, hs.URL+"/metrics")
		if code != 200 {
			t.Fatal(code)
		}
		if strings.Contains(body, `vllm:num_requests_running{model_name="tiny"} 0`) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`vllm:num_requests_waiting{model_name="tiny"} 0`,
		`vllm:num_requests_running{model_name="tiny"} 0`,
		`vllm:kv_cache_usage_perc{model_name="tiny"} `,
		`vllm:cache_config_info{model_name="tiny",block_size="16",num_gpu_blocks="`,
		`vllm:generation_tokens_total{model_name="tiny"} `,
		`nuri_time_to_first_token_seconds_bucket{model_name="tiny",le="+Inf"} 1`,
		`nuri_generation_tokens_count{model_name="tiny"} 1`,
		`nuri_http_requests_total{endpoint="/v1/chat/completions",code="200"} 1`,
		`nuri_preemptions_total{model_name="tiny",mode="swap"} 0`,
		`nuri_preemptions_total{model_name="tiny",mode="recompute"} 0`,
		`nuri_swap_used_bytes{model_name="tiny"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "vllm:kv_cache_usage_perc{") {
			var v float64
			if _, err := fmtSscan(line[strings.LastIndex(line, " ")+1:], &v); err != nil || v < 0 || v > 1 {
				t.Errorf("kv usage %q", line)
			}
		}
	}
}

func fmtSscan(s string, v *float64) (int, error) {
	return 1, json.Unmarshal([]byte(s), v)
}

// TestModelManager: models load on first use, the memory budget evicts the
// idle one, and keep-alive unloads.
func TestModelManager(t *testing.T) {
	s, hs := testServer(t, func(c *Config) {
		c.NewEngine = fakeFactory(func(*engine.Request) string { return "hi" }, 0, 0, nil)
		c.KVMemory = 1 << 20
		c.MemoryBudget = 20 << 20 // room for one tiny model (about 10 MiB with its KV; 16 MiB estimated before loading)
		c.KeepAlive = 200 * time.Millisecond
	})
	if len(s.Running()) != 0 {
		t.Fatal("nothing should be loaded yet")
	}
	for _, m := range []string{"tiny", "tiny2", "tiny"} {
		body := strings.Replace(chatBody, `"tiny"`, `"`+m+`"`, 1)
		if resp, b := post(t, hs.URL+"/v1/chat/completions", body); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", m, resp.StatusCode, b)
		}
		run := s.Running()
		var used int64
		for _, i := range run {
			used += i.Memory
		}
		if used > 20<<20 || len(run) != 1 {
			t.Fatalf("after %s: %d bytes loaded, over the budget", m, used)
		}
		found := false
		for _, i := range run {
			found = found || i.Name == m
		}
		if !found {
			t.Fatalf("after %s: loaded %+v", m, run)
		}
	}
	waitFor(t, func() bool { return len(s.Running()) == 0 })
}

// TestShutdownDrains: a request in flight when shutdown starts finishes.
func TestShutdownDrains(t *testing.T) {
	dir := tinyModels(t)
	st, err := store.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(context.Background(), Config{ModelsDir: dir, KeepAlive: time.Minute, Store: st, NoHubListing: true, Logf: t.Logf,
		NewEngine: fakeFactory(func(*engine.Request) string { return "a b c d e f g h" }, 30*time.Millisecond, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, l) }()
	url := "http://" + l.Addr().String()
	done := make(chan string, 1)
	go func() {
		resp, body := post(t, url+"/v1/chat/completions", `{"model": "tiny", "messages": [{"role": "user", "content": "hi"}]}`)
		done <- resp.Status + " " + body
	}()
	waitFor(t, func() bool { return len(s.Running()) == 1 })
	time.Sleep(50 * time.Millisecond)
	stop()
	if got := <-done; !strings.HasPrefix(got, "200") || !strings.Contains(got, "a b c d e f g h") {
		t.Fatalf("in-flight request: %s", got)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
