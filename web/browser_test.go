package web

// Browser tests: the real pages in headless Chromium, driven over the
// DevTools protocol. They run only with NURI_BROWSER_TESTS=1 (CI installs
// Chromium and sets it); NURI_CHROMIUM names the browser binary when it is
// not "chromium" on PATH, and screenshots go to NURI_ARTIFACTS (default: a
// new temporary directory, printed in the log).
//
//	NURI_BROWSER_TESTS=1 NURI_ARTIFACTS=/tmp/shots go test ./web -run Browser -v

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/internal/browsertest"
	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/usage"
)

// fakeLLM stands in for the server's OpenAI endpoints: two models and a
// chat completion that streams a canned Markdown answer word by word.
type fakeLLM struct {
	rec      *usage.Recorder
	requests atomic.Int64
	slowDone atomic.Bool // only the first "slow" question is answered slowly
}

// xssAnswer holds the markup a hostile model might produce; the page must
// show it as text.
const xssAnswer = "Here is **bold** text, `inline code` and a [safe link](https://example.com/docs).\n\n" +
	"```go\nfunc main() {\n\tfmt.Println(\"hi\") // greet\n}\n```\n\n" +
	"- one\n- two\n\n" +
	"<img src=x onerror=\"window.__xss=1\"> <script>window.__xss=2</script> " +
	"[bad](javascript:window.__xss=3) <a href=\"javascript:window.__xss=4\">x</a>"

func (f *fakeLLM) models(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"object":"list","data":[{"id":"nuri-test-small","object":"model"},{"id":"nuri-test-large","object":"model"}]}`)
}

func (f *fakeLLM) chat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Stream || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	n := f.requests.Add(1)
	last := req.Messages[len(req.Messages)-1].Content
	answer := fmt.Sprintf("Answer number %d. ", n) + xssAnswer
	delay := 5 * time.Millisecond
	switch {
	case strings.Contains(req.Messages[0].Content, "translator"):
		answer = "번역된 문장입니다."
	case strings.Contains(last, "slow") && !f.slowDone.Swap(true):
		answer = strings.Repeat("slowly streamed words ", 300)
		delay = 40 * time.Millisecond
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl := w.(http.Flusher)
	var ttft time.Duration
	sent := 0
	words := strings.SplitAfter(answer, " ")
	for _, piece := range words {
		select {
		case <-r.Context().Done():
			f.record(r, req.Model, sent, ttft, time.Since(start), true)
			return
		case <-time.After(delay):
		}
		chunk, _ := json.Marshal(map[string]any{"object": "chat.completion.chunk", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": piece}}}})
		fmt.Fprintf(w, "data: %s\n\n", chunk)
		fl.Flush()
		if sent == 0 {
			ttft = time.Since(start)
		}
		sent++
	}
	fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d}}\n\ndata: [DONE]\n\n", len(last), sent)
	fl.Flush()
	f.record(r, req.Model, sent, ttft, time.Since(start), false)
}

func (f *fakeLLM) record(r *http.Request, model string, tokens int, ttft, total time.Duration, canceled bool) {
	p := auth.FromContext(r.Context())
	rec := store.UsageRecord{Model: model, Endpoint: "/v1/chat/completions", PromptTokens: 10, CompletionTokens: tokens,
		TTFT: ttft, Generation: total - ttft, Error: canceled && tokens == 0}
	if p != nil {
		rec.UserID, rec.APIKeyID = p.UserID, p.APIKeyID
	}
	f.rec.Record(rec)
}

func TestBrowser(t *testing.T) {
	browsertest.Enabled(t)
	artifacts := browsertest.Artifacts(t, "nuri-web-artifacts-")

	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nuri.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := auth.NewService(st, auth.Options{Argon2: cheapArgon2})
	if _, err := svc.CreateUser(context.Background(), "alice", "password-alice", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	rec := usage.NewRecorder(st, usage.Options{FlushInterval: 100 * time.Millisecond})
	defer rec.Close()
	llm := &fakeLLM{rec: rec}
	mux := http.NewServeMux()
	mux.Handle("/", New(Options{Store: st, Auth: svc, Usage: rec, Logf: t.Logf}))
	mux.Handle("GET /v1/models", svc.Middleware(auth.RequireUser(http.HandlerFunc(llm.models))))
	mux.Handle("POST /v1/chat/completions", svc.Middleware(auth.RequireUser(http.HandlerFunc(llm.chat))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := browsertest.Start(t, 100*time.Second)
	defer cancel()
	d := browsertest.NewDriver(t, ctx, artifacts)

	type act = browsertest.Act
	step, shot, js := d.Step, d.Shot, browsertest.JS
	// until waits for a JavaScript condition to hold.
	until := func(expr string) act { return browsertest.Until(expr, 15*time.Second) }
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	var ok bool
	var text string
	var count int
	var list []string
	evalBool := func(expr string) act { return into(chromedp.Evaluate[bool](expr), &ok) }
	evalText := func(expr string) act { return into(chromedp.Evaluate[string](expr), &text) }
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulatePortrait)
	desktop := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	})
	selectValue := func(sel, v string) act {
		return js(fmt.Sprintf(`(e => { e.value = %q; e.dispatchEvent(new Event('change')); })(document.querySelector(%q))`, v, sel))
	}

	// Log in: anonymous visitors land on the login form.
	step("login",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(css("#username")),
		shot("01-login"),
		chromedp.SendKeys(css("#username"), "alice"),
		chromedp.SendKeys(css("#password"), "wrong-password"),
		loads(browsertest.Click("#login-btn")),
		chromedp.WaitVisible(css("#login-error")),
		chromedp.SetValue(css("#password"), "password-alice"),
		loads(browsertest.Click("#login-btn")),
		until(`document.body.dataset.ready === 'true'`),
		until(`document.getElementById('model').options.length === 2`),
	)

	// Start a chat whose question and answer both try to inject markup.
	step("chat",
		chromedp.SendKeys(css("#composer-input"), `Hello <img src=x onerror="window.__xss=5"> there`),
		chromedp.KeyEvent("\r"),
		until(`document.querySelectorAll('#messages article.assistant').length === 1 && !document.querySelector('.msg.streaming')`),
		evalText(`document.querySelector('#messages article.assistant .msg-body').innerText`),
	)
	for _, want := range []string{"Answer number 1.", "bold", "func main()", `<img src=x onerror="window.__xss=1">`, "<script>window.__xss=2</script>"} {
		if !strings.Contains(text, want) {
			t.Errorf("answer text lacks %q:\n%s", want, text)
		}
	}
	step("inert markup", evalBool(`window.__xss === undefined &&
		document.querySelectorAll('#messages img, #messages script, #conv-list img').length === 0 &&
		[...document.querySelectorAll('#messages a')].every(a => /^https:/.test(a.href)) &&
		document.querySelectorAll('#messages a').length === 1 &&
		document.querySelector('#messages strong').textContent === 'bold' &&
		document.querySelector('#messages pre .tok-kw').textContent === 'func' &&
		document.querySelector('#messages .copy-code') !== null &&
		document.querySelector('#conv-list .conv-open').textContent.startsWith('Hello <img')`))
	if !ok {
		t.Error("markup in messages was not rendered inert, or formatting is missing")
	}
	step("chat screenshot", shot("02-chat-light"))

	// Stop a long answer half-way: the partial answer stays.
	step("stop",
		chromedp.SendKeys(css("#composer-input"), "Please answer slow"),
		chromedp.KeyEvent("\r"),
		until(`(document.querySelector('.msg.streaming .msg-body') || {innerText: ''}).innerText.length > 40`),
		browsertest.Click("#stop"),
		until(`!document.querySelector('.msg.streaming') && !document.getElementById('send').hidden`),
		evalText(`document.getElementById('status').textContent`),
		into(chromedp.Evaluate[int](`document.querySelectorAll('#messages article.assistant')[1].innerText.length`), &count),
	)
	if text != "Stopped." || count <= 40 || count > 3000 {
		t.Errorf("after stop: status %q, partial answer of %d characters", text, count)
	}

	// Regenerate the last answer.
	before := llm.requests.Load()
	step("regenerate",
		browsertest.Click("#messages article.assistant:last-of-type .act-regenerate"),
		until(`!document.querySelector('.msg.streaming') && document.querySelectorAll('#messages article.assistant').length === 2 &&
			document.querySelectorAll('#messages article.assistant')[1].innerText.includes('Answer number')`),
	)
	if llm.requests.Load() != before+1 {
		t.Errorf("regenerate made %d requests", llm.requests.Load()-before)
	}

	// Edit the first question and send it again: later turns go away.
	step("edit and resend",
		browsertest.Click(`#messages article.user .act-edit`),
		chromedp.WaitVisible(css(`#messages .edit-input`)),
		chromedp.SetValue(css(`#messages .edit-input`), "Edited question"),
		browsertest.Click(`#messages .edit-buttons .btn.primary`),
		until(`!document.querySelector('.msg.streaming') && document.querySelectorAll('#messages article').length === 2 &&
			document.querySelector('#messages article.user').innerText.includes('Edited question') &&
			document.querySelector('#messages article.assistant').innerText.includes('Answer number')`),
	)

	// Translate an answer.
	step("translate",
		browsertest.Click(`#messages article.assistant .act-translate`),
		until(`(document.querySelector('.translation') || {innerText: ''}).innerText.includes('번역된 문장입니다')`),
	)

	// The conversation survives a reload (stored on the server).
	step("reload",
		chromedp.Reload(),
		until(`document.body.dataset.ready === 'true' && document.querySelectorAll('#messages article').length === 2`),
	)

	// Switch to Korean and a larger text size; both survive a reload.
	step("language and text size",
		selectValue("#lang-select", "ko"),
		until(`document.documentElement.lang === 'ko' && document.getElementById('new-chat').textContent === '새 대화'`),
		browsertest.Click("#font-inc"),
		browsertest.Click("#font-inc"),
		until(`document.documentElement.style.fontSize === '20px'`),
		shot("03-chat-korean-large-text"),
		chromedp.Reload(),
		until(`document.body.dataset.ready === 'true'`),
		evalBool(`document.documentElement.lang === 'ko' && document.documentElement.style.fontSize === '20px' &&
			document.getElementById('send').textContent === '보내기'`),
	)
	if !ok {
		t.Error("language or text size did not survive a reload")
	}
	step("back to English",
		selectValue("#lang-select", "en"),
		browsertest.Click("#font-dec"),
		browsertest.Click("#font-dec"),
		until(`document.documentElement.lang === 'en' && document.documentElement.style.fontSize === '16px'`),
	)

	// Accessibility basics: every control has a name, the first Tab
	// reaches the skip link, and keyboard shortcuts work.
	step("accessible names", into(chromedp.Evaluate[[]string](`[...document.querySelectorAll('button, input, select, textarea, a[href]')]
		.filter(e => e.offsetParent !== null)
		.filter(e => !((e.labels && e.labels.length) || e.getAttribute('aria-label') || e.textContent.trim() || e.title))
		.map(e => e.outerHTML.slice(0, 80))`), &list))
	if len(list) > 0 {
		t.Errorf("controls without an accessible name: %v", list)
	}
	step("keyboard",
		js(`document.querySelector('.skip-link').focus()`),
		chromedp.KeyEvent(kb.Tab),
		evalBool(`document.activeElement.id === 'new-chat'`),
	)
	if !ok {
		t.Error("Tab from the skip link does not reach the new chat button")
	}
	step("skip link", js(`document.querySelector('.skip-link').focus()`), chromedp.KeyEvent(kb.Enter), evalBool(`document.activeElement.id === 'composer-input'`))
	if !ok {
		t.Error("the skip link does not move the focus to the message box")
	}
	step("new chat shortcut",
		browsertest.Click("#conv-list .conv-open"),
		until(`document.querySelectorAll('#messages article').length === 2`),
		chromedp.KeyEvent("o", chromedp.KeyModifiers(chromedp.ModifierCtrl, chromedp.ModifierShift)),
		until(`document.querySelectorAll('#messages article').length === 0`),
	)

	// Dark theme, then a phone-sized screen with the drawer open.
	step("dark",
		browsertest.Click("#theme-btn"),
		until(`document.documentElement.dataset.theme === 'dark'`),
		browsertest.Click("#conv-list .conv-open"),
		until(`document.querySelectorAll('#messages article').length === 2`),
		shot("04-chat-dark"),
	)
	step("phone",
		phone,
		until(`getComputedStyle(document.getElementById('open-sidebar')).display !== 'none'`),
		shot("05-phone-dark"),
		browsertest.Click("#open-sidebar"),
		until(`document.getElementById('sidebar').classList.contains('open')`),
		chromedp.Sleep(300*time.Millisecond), // the drawer slides in
		shot("06-phone-sidebar"),
		chromedp.KeyEvent(kb.Escape),
		until(`!document.getElementById('sidebar').classList.contains('open')`),
		browsertest.Click("#theme-btn"),
		until(`document.documentElement.dataset.theme === 'light'`),
		shot("07-phone-light"),
		desktop,
	)

	// The usage dashboard counts the requests just made.
	want := llm.requests.Load()
	step("usage",
		chromedp.Navigate(srv.URL+"/admin/usage"),
		until(`document.body.dataset.ready === 'true' && document.querySelector('.card[data-metric=requests] .card-value') !== null`),
		evalText(`document.querySelector('.card[data-metric=requests] .card-value').textContent + '|' + document.getElementById('summary').textContent`),
		shot("08-usage-light"),
	)
	requests, summary, _ := strings.Cut(text, "|")
	if requests != fmt.Sprint(want) {
		t.Errorf("usage page shows %s requests, want %d", requests, want)
	}
	if !strings.Contains(summary, "requests") || !strings.Contains(summary, " vs ") {
		t.Errorf("usage summary %q", summary)
	}
	step("usage by day, dark",
		selectValue("#period", "day"),
		until(`document.querySelectorAll('#period-table tbody tr').length >= 28`),
		browsertest.Click("#theme-btn"),
		until(`document.documentElement.dataset.theme === 'dark'`),
		evalBool(`document.querySelectorAll('#chart-requests svg rect.bar').length > 0 && document.getElementById('csv-link').getAttribute('href').includes('period=day')`),
		shot("09-usage-dark"),
		phone,
		chromedp.Sleep(200*time.Millisecond),
		shot("10-usage-phone"),
		desktop,
	)
	if !ok {
		t.Error("usage charts or CSV link missing")
	}
}

// loads runs an action that makes the page navigate and waits for the
// new page's load event.
func loads(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return into(chromedp.WaitEvent(page.LoadEventFired, nil, a), new(page.EventLoadEventFired))
}

// into runs a value-returning action and stores its value in out.
func into[T any](a chromedp.Action[T], out *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := a(ctx, tg)
		if err == nil {
			*out = v
		}
		return err
	})
}
