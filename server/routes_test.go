package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/store"
)

// TestWebRoutes: the web interface and the APIs share one server. Its
// /api paths sit beside Ollama's, single-user mode stores conversations
// under the local account, and once accounts exist the APIs take the
// page's session cookie with its CSRF token.
func TestWebRoutes(t *testing.T) {
	s, hs := testServer(t, nil)
	ctx := context.Background()
	get := func(path string, hdr map[string]string) (int, string) {
		t.Helper()
		return do(t, "GET", hs.URL+path, "", hdr)
	}
	for path, want := range map[string]string{
		"/":               `name="csrf-token"`,
		"/api/me":         `"storage":"server"`,
		"/api/tags":       `"models"`,
		"/api/version":    `"version"`,
		"/health":         `"status":"ok"`,
		"/assets/chat.js": "use strict",
	} {
		if code, body := get(path, nil); code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %.200s", path, code, body)
		}
	}
	if code, _ := get("/no/such/page", nil); code != 404 {
		t.Errorf("unknown page: %d", code)
	}

	// Single-user mode: conversations live on the server, not counted as
	// an account.
	same := map[string]string{"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
	code, body := do(t, "POST", hs.URL+"/api/conversations", `{"title":"local","model":"tiny"}`, same)
	if code != 201 {
		t.Fatalf("create in single-user mode: %d %s", code, body)
	}
	if n, _ := s.store.CountUsers(ctx); n != 0 {
		t.Fatalf("the local account counts as an account: %d", n)
	}
	if code, body := do(t, "POST", hs.URL+"/api/conversations", `{"title":"x"}`, map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}); code != 403 {
		t.Errorf("cross-site create: %d %s", code, body)
	}

	// With an account: the session cookie and CSRF token open /v1, and
	// the usage row names the user.
	// (The server's own auth service, which then forgets its cached
	// "no accounts"; `nuri user add` in another process is seen within
	// seconds.)
	if _, err := s.auth.CreateUser(ctx, "bob", "password-bob", store.RoleUser); err != nil {
		t.Fatal(err)
	}
	s.usersMu.Lock()
	s.usersAt = s.usersAt.AddDate(-1, 0, 0) // forget the cached "no accounts"
	s.usersMu.Unlock()
	req, _ := http.NewRequest("POST", hs.URL+"/login", strings.NewReader("username=bob&password=password-bob"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "nuri_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == "" {
		t.Fatalf("login: %d, cookie %q", resp.StatusCode, cookie)
	}
	_, page := get("/", map[string]string{"Cookie": cookie})
	_, rest, _ := strings.Cut(page, `name="csrf-token" content="`)
	csrf, _, _ := strings.Cut(rest, `"`)
	chat := `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":3}`
	if code, body := do(t, "POST", hs.URL+"/v1/chat/completions", chat, map[string]string{"Cookie": cookie, "Content-Type": "application/json"}); code != 403 {
		t.Errorf("session without CSRF token: %d %s", code, body)
	}
	if code, body := do(t, "POST", hs.URL+"/v1/chat/completions", chat, nil); code != 401 {
		t.Errorf("anonymous once accounts exist: %d %s", code, body)
	}
	code, body = do(t, "POST", hs.URL+"/v1/chat/completions", chat, map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"})
	if code != 200 {
		t.Fatalf("session with CSRF token: %d %s", code, body)
	}
	if err := s.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Bob's request is counted under his account.
	b, err := s.store.AggregateUsage(ctx, store.UsageQuery{Period: store.Day, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil || len(b) != 1 || b[0].Requests < 1 || b[0].UniqueUsers != 1 {
		t.Errorf("usage after bob's request: %+v, %v", b, err)
	}
	code, body = get("/api/me", map[string]string{"Cookie": cookie})
	var me struct{ Username, Storage string }
	if code != 200 || json.Unmarshal([]byte(body), &me) != nil || me.Username != "bob" || me.Storage != "server" {
		t.Errorf("me: %d %s", code, body)
	}
}

func do(t *testing.T, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
