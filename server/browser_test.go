package server

// End-to-end browser test: the real server (engine, tiny random-weight
// model with the real Qwen3 tokenizer, accounts, usage) driven through
// its chat page in headless Chromium. It runs only with
// NURI_BROWSER_TESTS=1; NURI_CHROMIUM names the browser when it is not
// "chromium" on PATH, and screenshots go to NURI_ARTIFACTS (default: a new
// temporary directory, printed in the log).
//
//	NURI_BROWSER_TESTS=1 NURI_ARTIFACTS=/tmp/shots go test ./server -run Browser -v

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/engine"
	"github.com/nuri-ai/nuri/internal/browsertest"
	"github.com/nuri-ai/nuri/model"
	"github.com/nuri-ai/nuri/server/backend"
	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/tokenizer"
)

// paced wraps a real engine and passes its events on no faster than one
// per delay, so that the page can stop an answer half-way (the tiny model
// alone finishes before it could react). Every answer runs to its token
// limit (at most maxTokens): a random-weight model samples its end-of-turn
// token only by chance (any change in float rounding moves where), and an
// answer that ended after a few tokens could not be stopped half-way.
type paced struct {
	backend.Engine
	delay     time.Duration
	maxTokens int
	requests  *atomic.Int64
}

func (p *paced) Submit(ctx context.Context, r *engine.Request) (<-chan engine.Event, error) {
	if r.MaxTokens == 0 || r.MaxTokens > p.maxTokens {
		r.MaxTokens = p.maxTokens
	}
	r.StopTokens = nil
	in, err := p.Engine.Submit(ctx, r)
	if err != nil {
		return nil, err
	}
	p.requests.Add(1)
	out := make(chan engine.Event)
	go func() {
		defer close(out)
		for ev := range in {
			if !ev.Done {
				select {
				case <-time.After(p.delay):
				case <-ctx.Done():
				}
			}
			out <- ev // the server reads every event, the last one included
		}
	}()
	return out, nil
}

func TestBrowserEndToEnd(t *testing.T) {
	browsertest.Enabled(t)
	artifacts := browsertest.Artifacts(t, "nuri-e2e-artifacts-")

	bg := context.Background()
	dir := tinyModels(t)
	dbPath := filepath.Join(t.TempDir(), "nuri.db")
	st, err := store.Open(bg, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cheap := auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	alice, err := auth.NewService(st, auth.Options{Argon2: cheap}).CreateUser(bg, "alice", "password-alice", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	s, err := New(bg, Config{
		ModelsDir: dir, KeepAlive: time.Minute, KVMemory: 4 << 20, Context: 1024, Threads: 1,
		Store: st, NoHubListing: true, Logf: t.Logf,
		NewEngine: func(m *model.Model, tok *tokenizer.Tokenizer, cfg engine.Config) (backend.Engine, error) {
			e, err := engine.New(m, tok, cfg)
			if err != nil {
				return nil, err
			}
			return &paced{Engine: e, delay: 40 * time.Millisecond, maxTokens: 60, requests: &requests}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer func() {
		hs.Close()
		s.Close(bg)
	}()

	ctx, cancel := browsertest.Start(t, 150*time.Second)
	defer cancel()
	d := browsertest.NewDriver(t, ctx, artifacts)

	type act = browsertest.Act
	step, shot, js := d.Step, d.Shot, browsertest.JS
	until := func(expr string) act { return browsertest.Until(expr, 30*time.Second) }
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	selectValue := func(sel, v string) act {
		return js(fmt.Sprintf(`(e => { e.value = %q; e.dispatchEvent(new Event('change')); })(document.querySelector(%q))`, v, sel))
	}
	var text string
	var count int
	var ok bool
	evalText := func(expr string) act { return store1(chromedp.Evaluate[string](expr), &text) }
	done := `!document.querySelector('.msg.streaming') && !document.getElementById('send').hidden`

	step("login",
		chromedp.Navigate(hs.URL+"/"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "alice"),
		chromedp.SendKeys(css("#password"), "password-alice"),
		waitLoad(browsertest.Click("#login-btn")),
		until(`document.body.dataset.ready === 'true'`),
		until(`[...document.getElementById('model').options].map(o => o.value).join(',') === 'tiny,tiny2'`),
		shot("e2e-01-logged-in"),
	)

	// A streamed answer from the real engine: text arrives in pieces.
	step("chat",
		selectValue("#model", "tiny"),
		chromedp.SendKeys(css("#composer-input"), "Hello, Nuri!"),
		chromedp.KeyEvent("\r"),
		until(`(document.querySelector('.msg.streaming .msg-body') || {innerText: ''}).innerText.length > 0`),
		store1(chromedp.Evaluate[int](`document.querySelector('.msg.streaming .msg-body').innerText.length`), &count),
		until(done),
		evalText(`document.querySelector('#messages article.assistant .msg-body').innerText`),
		shot("e2e-02-answer"),
	)
	if len(text) <= count || strings.TrimSpace(text) == "" {
		t.Errorf("answer did not stream: %d characters while streaming, %d at the end", count, len(text))
	}

	// Stop the next answer half-way.
	step("stop",
		chromedp.SendKeys(css("#composer-input"), "Tell me more."),
		chromedp.KeyEvent("\r"),
		until(`(document.querySelector('.msg.streaming .msg-body') || {innerText: ''}).innerText.length > 20`),
		browsertest.Click("#stop"),
		until(done),
		evalText(`document.getElementById('status').textContent`),
		shot("e2e-03-stopped"),
	)
	if text != "Stopped." {
		t.Errorf("status after stop: %q", text)
	}

	// Regenerate it.
	before := requests.Load()
	step("regenerate",
		browsertest.Click("#messages article.assistant:last-of-type .act-regenerate"),
		until(`document.querySelector('.msg.streaming')`),
		until(done),
		evalText(`document.getElementById('status').textContent`),
	)
	if requests.Load() != before+1 || !strings.HasPrefix(text, "Answered in") {
		t.Errorf("regenerate: %d requests, status %q", requests.Load()-before, text)
	}

	// Language and text size.
	step("language and text size",
		selectValue("#lang-select", "ko"),
		until(`document.documentElement.lang === 'ko' && document.getElementById('new-chat').textContent === '새 대화'`),
		browsertest.Click("#font-inc"),
		browsertest.Click("#font-inc"),
		until(`document.documentElement.style.fontSize === '20px' && !document.getElementById('status').textContent.startsWith('Answered')`),
		shot("e2e-04-korean-large-text"),
		selectValue("#lang-select", "en"),
		browsertest.Click("#font-dec"),
		browsertest.Click("#font-dec"),
		until(`document.documentElement.lang === 'en' && document.documentElement.style.fontSize === '16px'`),
	)

	// The conversation is stored on the server, with its settings, and
	// survives a reload.
	convs, err := st.ListConversations(bg, alice.ID, 0, 0)
	if err != nil || len(convs) != 1 {
		t.Fatalf("stored conversations: %+v, %v", convs, err)
	}
	msgs, err := st.Messages(bg, alice.ID, convs[0].ID)
	if err != nil || len(msgs) != 4 || msgs[0].Content != "Hello, Nuri!" || msgs[3].Role != "assistant" {
		t.Fatalf("stored messages: %+v, %v", msgs, err)
	}
	if cs := convs[0].Settings; cs.Model != "tiny" || cs.Temperature == nil {
		t.Errorf("stored settings: %+v", cs)
	}
	step("reload",
		chromedp.Reload(),
		until(`document.body.dataset.ready === 'true' && document.querySelectorAll('#messages article').length === 4`),
	)

	// The usage dashboard counts the page's requests.
	want := requests.Load()
	step("usage",
		chromedp.Navigate(hs.URL+"/admin/usage"),
		until(`document.body.dataset.ready === 'true' && document.querySelector('.card[data-metric=requests] .card-value') !== null`),
		evalText(`document.querySelector('.card[data-metric=requests] .card-value').textContent`),
		store1(chromedp.Evaluate[bool](`[...document.querySelectorAll('select#model option, #model option')].some(o => o.value === 'tiny') || document.body.innerText.includes('tiny')`), &ok),
		shot("e2e-05-usage"),
	)
	if text != fmt.Sprint(want) || !ok {
		t.Errorf("usage page shows %s requests (model listed: %v), want %d", text, ok, want)
	}
	step("usage errors", evalText(`document.querySelector('.card[data-metric=errors] .card-value').textContent`))
	if text != "0" {
		t.Errorf("usage page shows %s errors; a stopped answer is not an error", text)
	}
	// Each of those rows names alice, from her session.
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT COUNT(*) FROM usage_events WHERE user_id = ? AND endpoint = '/v1/chat/completions'`, alice.ID).Scan(&n); err != nil || n != want {
		t.Errorf("usage rows of alice: %d, %v; want %d", n, err, want)
	}
}

// waitLoad runs an action that makes the page navigate and waits for the
// new page's load event.
func waitLoad(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return store1(chromedp.WaitEvent(page.LoadEventFired, nil, a), new(page.EventLoadEventFired))
}

// store1 runs a value-returning action and keeps its value in out.
func store1[T any](a chromedp.Action[T], out *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := a(ctx, tg)
		if err == nil {
			*out = v
		}
		return err
	})
}
