package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/store"
)

// cheapArgon2 keeps password hashing fast in tests.
var cheapArgon2 = auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type env struct {
	t    *testing.T
	st   store.Store
	auth *auth.Service
	srv  *httptest.Server
	now  time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nuri.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := auth.NewService(st, auth.Options{Argon2: cheapArgon2})
	e := &env{t: t, st: st, auth: svc, now: time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC)}
	h := New(Options{Store: st, Auth: svc, Now: func() time.Time { return e.now }, Logf: t.Logf})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) addUser(name string, role store.Role) store.User {
	e.t.Helper()
	u, err := e.auth.CreateUser(context.Background(), name, "password-"+name, role)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// client is a browser stand-in: a cookie jar, no redirects followed,
// and the CSRF token read from the chat page.
type client struct {
	e    *env
	hc   *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, body any, hdr map[string]string) resp {
	c.e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

func (c *client) login(name string) {
	c.e.t.Helper()
	r := c.do("POST", "/login", url.Values{"username": {name}, "password": {"password-" + name}, "next": {"/"}}, nil)
	if r.status != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: status %d: %s", name, r.status, r.body)
	}
	page := c.do("GET", "/", nil, nil)
	m := csrfMeta.FindStringSubmatch(page.body)
	if page.status != 200 || m == nil || m[1] == "" {
		c.e.t.Fatalf("chat page after login: status %d, no CSRF token", page.status)
	}
	c.csrf = m[1]
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
	return v
}

func TestAnonymousIsKeptOut(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", store.RoleAdmin)
	c := e.client()
	tests := []struct {
		method, path string
		want         int
		location     string
	}{
		{"GET", "/", http.StatusSeeOther, "/login?next=%2F"},
		{"GET", "/admin/usage", http.StatusSeeOther, "/login?next=%2Fadmin%2Fusage"},
		{"GET", "/api/me", http.StatusUnauthorized, ""},
		{"GET", "/api/usage", http.StatusUnauthorized, ""},
		{"GET", "/api/usage.csv", http.StatusUnauthorized, ""},
		{"GET", "/api/conversations", http.StatusUnauthorized, ""},
		{"POST", "/api/conversations", http.StatusUnauthorized, ""},
		{"GET", "/api/conversations/x", http.StatusUnauthorized, ""},
		{"GET", "/login", http.StatusOK, ""},
		{"GET", "/assets/app.css", http.StatusOK, ""},
		{"GET", "/assets/", http.StatusNotFound, ""},
		{"GET", "/assets/chat.html", http.StatusNotFound, ""},
		{"GET", "/nope", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		var body any
		if tc.method == "POST" {
			body = `{"title":"x"}`
		}
		r := c.do(tc.method, tc.path, body, nil)
		if r.status != tc.want {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, r.status, tc.want, r.body)
		}
		if tc.location != "" && r.header.Get("Location") != tc.location {
			t.Errorf("%s %s: Location %q, want %q", tc.method, tc.path, r.header.Get("Location"), tc.location)
		}
		if r.header.Get("Content-Security-Policy") == "" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: security headers missing", tc.method, tc.path)
		}
	}
	// A wrong API key is refused rather than treated as anonymous.
	r := c.do("GET", "/api/me", nil, map[string]string{"Authorization": "Bearer nuri_wrong"})
	if r.status != http.StatusUnauthorized {
		t.Errorf("wrong key: status %d", r.status)
	}
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", store.RoleUser)
	c := e.client()
	r := c.do("POST", "/login", url.Values{"username": {"alice"}, "password": {"nope-nope"}}, nil)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong user name or password") || !strings.Contains(r.body, `value="alice"`) {
		t.Fatalf("bad password: status %d, body %q", r.status, r.body)
	}
	r = c.do("POST", "/login", url.Values{"username": {"alice"}, "password": {"password-alice"}, "next": {"//evil.example/"}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("login: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	// Logged in, /login sends the browser on.
	if r := c.do("GET", "/login?next=/admin/usage", nil, nil); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/usage" {
		t.Errorf("login page when logged in: %d %q", r.status, r.header.Get("Location"))
	}
	// A user who is not an admin gets a 403 page and API answer.
	if r := c.do("GET", "/admin/usage", nil, nil); r.status != http.StatusForbidden {
		t.Errorf("usage page for a user: status %d", r.status)
	}
	if r := c.do("GET", "/api/usage", nil, nil); r.status != http.StatusForbidden {
		t.Errorf("usage API for a user: status %d", r.status)
	}
	// A cross-site login post is refused.
	r = c.do("POST", "/login", url.Values{"username": {"alice"}, "password": {"password-alice"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site login: status %d", r.status)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", store.RoleUser)
	c := e.client()
	c.login("alice")
	token := c.csrf
	c.csrf = ""
	if r := c.do("POST", "/api/conversations", `{"title":"t"}`, nil); r.status != http.StatusForbidden {
		t.Errorf("create without CSRF token: status %d", r.status)
	}
	if r := c.do("POST", "/api/conversations", `{"title":"t"}`, map[string]string{"X-CSRF-Token": "forged"}); r.status != http.StatusForbidden {
		t.Errorf("create with a wrong token: status %d", r.status)
	}
	if r := c.do("POST", "/logout", url.Values{}, nil); r.status != http.StatusForbidden {
		t.Errorf("logout without token: status %d", r.status)
	}
	c.csrf = token
	if r := c.do("POST", "/api/conversations", `{"title":"t"}`, nil); r.status != http.StatusCreated {
		t.Errorf("create with token: status %d %s", r.status, r.body)
	}
	c.csrf = ""
	if r := c.do("POST", "/logout", url.Values{"csrf_token": {token}}, nil); r.status != http.StatusSeeOther {
		t.Errorf("logout with form token: status %d", r.status)
	}
	if r := c.do("GET", "/api/me", nil, nil); r.status != http.StatusUnauthorized {
		t.Errorf("after logout: status %d", r.status)
	}
}

func TestConversations(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", store.RoleUser)
	e.addUser("bob", store.RoleUser)
	a, b := e.client(), e.client()
	a.login("alice")
	b.login("bob")

	r := a.do("POST", "/api/conversations", map[string]string{"title": "  Trip \n to   Busan ", "model": "m1", "system": "Be brief."}, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	conv := decode[convJSON](t, r)
	if conv.Title != "Trip to Busan" || conv.Model != "m1" || conv.ID == "" {
		t.Fatalf("created %+v", conv)
	}
	base := "/api/conversations/" + conv.ID
	for _, m := range []messageJSON{{Role: "user", Content: "Where to eat <script>alert(1)</script>?"}, {Role: "assistant", Content: "Try **Jagalchi** market.", Model: "m1", CompletionTokens: 7}} {
		if r := a.do("POST", base+"/messages", m, nil); r.status != http.StatusCreated {
			t.Fatalf("append: %d %s", r.status, r.body)
		}
	}
	type full struct {
		Conversation convJSON      `json:"conversation"`
		Messages     []messageJSON `json:"messages"`
	}
	got := decode[full](t, a.do("GET", base, nil, nil))
	if len(got.Messages) != 3 || got.Messages[0].Role != "system" || got.Messages[1].Content != "Where to eat <script>alert(1)</script>?" || got.Messages[2].CompletionTokens != 7 {
		t.Fatalf("messages %+v", got.Messages)
	}

	// Another user sees nothing and can change nothing.
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", base, nil},
		{"PATCH", base, `{"title":"mine"}`},
		{"DELETE", base, nil},
		{"POST", base + "/messages", `{"role":"user","content":"hi"}`},
		{"PUT", base + "/messages", `[]`},
	} {
		if r := b.do(tc.method, tc.path, tc.body, nil); r.status != http.StatusNotFound {
			t.Errorf("bob %s %s: status %d, want 404", tc.method, tc.path, r.status)
		}
	}
	if l := decode[map[string][]convJSON](t, b.do("GET", "/api/conversations", nil, nil)); len(l["conversations"]) != 0 {
		t.Errorf("bob lists %v", l)
	}

	// Search by title and by message text; system prompts do not match.
	for q, want := range map[string]int{"busan": 1, "JAGALCHI": 1, "brief": 0, "nothing": 0} {
		l := decode[map[string][]convJSON](t, a.do("GET", "/api/conversations?q="+url.QueryEscape(q), nil, nil))
		if len(l["conversations"]) != want {
			t.Errorf("search %q: %d results, want %d", q, len(l["conversations"]), want)
		}
	}

	// Regenerate: drop the answer; the id and title stay.
	r = a.do("PUT", base+"/messages", got.Messages[:2], nil)
	if r.status != http.StatusOK {
		t.Fatalf("replace: %d %s", r.status, r.body)
	}
	got2 := decode[full](t, a.do("GET", base, nil, nil))
	if len(got2.Messages) != 2 || got2.Conversation.Title != "Trip to Busan" || !got2.Conversation.CreatedAt.Equal(conv.CreatedAt) {
		t.Fatalf("after replace: %+v", got2)
	}
	if !got2.Messages[1].CreatedAt.Equal(got.Messages[1].CreatedAt) {
		t.Errorf("unchanged message lost its time: %v vs %v", got2.Messages[1].CreatedAt, got.Messages[1].CreatedAt)
	}
	if r := a.do("PUT", base+"/messages", `[{"role":"wizard","content":"x"}]`, nil); r.status != http.StatusBadRequest {
		t.Errorf("bad role: status %d", r.status)
	}
	if n := len(decode[full](t, a.do("GET", base, nil, nil)).Messages); n != 2 {
		t.Errorf("a refused rewrite changed the conversation: %d messages", n)
	}

	// Bad bodies.
	for _, body := range []string{`{"title":`, `{"title":"x","extra":1}`, `{"title":"x"} {}`} {
		if r := a.do("POST", "/api/conversations", body, nil); r.status != http.StatusBadRequest {
			t.Errorf("body %q: status %d", body, r.status)
		}
	}
	if r := a.do("GET", "/api/conversations?limit=-1", nil, nil); r.status != http.StatusBadRequest {
		t.Errorf("negative limit: status %d", r.status)
	}

	if r := a.do("PATCH", base, `{"title":"Busan food"}`, nil); r.status != http.StatusOK || decode[convJSON](t, r).Title != "Busan food" {
		t.Errorf("rename: %d %s", r.status, r.body)
	}
	// Settings: set, read back, refused when out of range, left alone by a rename.
	if r := a.do("PATCH", base, `{"settings":{"temperature":1.2,"model":"m2"}}`, nil); r.status != http.StatusOK {
		t.Errorf("settings: %d %s", r.status, r.body)
	} else if s := decode[convJSON](t, r).Settings; s.Temperature == nil || *s.Temperature != 1.2 || s.Model != "m2" {
		t.Errorf("settings after PATCH: %+v", s)
	}
	for _, body := range []string{`{"settings":{"temperature":7}}`, `{}`, `{"settings":{"top_k":3}}`} {
		if r := a.do("PATCH", base, body, nil); r.status != http.StatusBadRequest {
			t.Errorf("PATCH %s: status %d, want 400", body, r.status)
		}
	}
	if r := a.do("PATCH", base, `{"title":"Busan eats"}`, nil); r.status != http.StatusOK || decode[convJSON](t, r).Settings.Model != "m2" {
		t.Errorf("rename dropped the settings: %d %s", r.status, r.body)
	}
	if r := b.do("PATCH", base, `{"settings":{"model":"x"}}`, nil); r.status != http.StatusNotFound {
		t.Errorf("bob changes alice's settings: %d", r.status)
	}
	if r := a.do("DELETE", base, nil, nil); r.status != http.StatusNoContent {
		t.Errorf("delete: %d", r.status)
	}
	if r := a.do("GET", base, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("deleted conversation: %d", r.status)
	}
}

func TestSingleUserMode(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if r := c.do("GET", "/", nil, nil); r.status != http.StatusOK {
		t.Fatalf("chat page without accounts: %d", r.status)
	}
	me := decode[meJSON](t, c.do("GET", "/api/me", nil, nil))
	if !me.Local || me.Storage != "server" || me.Role != "admin" {
		t.Errorf("me = %+v", me)
	}
	// Conversations are kept on the server, under the local account.
	r := c.do("POST", "/api/conversations", `{"title":"local","model":"m","settings":{"temperature":0.4}}`, map[string]string{"Origin": c.e.srv.URL})
	if r.status != http.StatusCreated {
		t.Fatalf("create in single-user mode: %d %s", r.status, r.body)
	}
	conv := decode[convJSON](t, r)
	if l := decode[map[string][]convJSON](t, c.do("GET", "/api/conversations", nil, nil)); len(l["conversations"]) != 1 || l["conversations"][0].ID != conv.ID {
		t.Errorf("list in single-user mode: %+v", l)
	}
	if n, err := e.st.CountUsers(context.Background()); err != nil || n != 0 {
		t.Errorf("the local account counts as an account: %d, %v", n, err)
	}
	if r := c.do("GET", "/admin/usage", nil, nil); r.status != http.StatusOK {
		t.Errorf("usage page for the local user: %d", r.status)
	}
	// Once an account exists, the local conversations are out of reach.
	e.addUser("alice", store.RoleUser)
	a := e.client()
	a.login("alice")
	if r := a.do("GET", "/api/conversations/"+conv.ID, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("alice reads the local conversation: %d", r.status)
	}
}

func TestUsageAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.addUser("root", store.RoleAdmin)
	c := e.client()
	c.login("root")
	ctx := context.Background()
	var recs []store.UsageRecord
	add := func(day time.Time, n int, user int64, model string) {
		for i := range n {
			recs = append(recs, store.UsageRecord{Time: day.Add(time.Duration(i) * time.Minute), UserID: user, Model: model,
				Endpoint: "/v1/chat/completions", PromptTokens: 10, CompletionTokens: 20, TTFT: 50 * time.Millisecond, Generation: time.Second})
		}
	}
	add(time.Date(2026, 5, 3, 10, 0, 0, 0, time.UTC), 10, admin.ID, "m1")
	add(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC), 10, 99, "m2")
	add(time.Date(2026, 6, 2, 10, 0, 0, 0, time.UTC), 5, admin.ID, "m1")
	if err := e.st.InsertUsage(ctx, recs); err != nil {
		t.Fatal(err)
	}
	r := c.do("GET", "/api/usage?period=month&from=2026-05-01&to=2026-07-01", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("usage: %d %s", r.status, r.body)
	}
	var rep struct {
		Period     string   `json:"period"`
		ModelNames []string `json:"model_names"`
		Summary    string   `json:"summary"`
		Rows       []struct {
			Label       string `json:"label"`
			Requests    int64  `json:"requests"`
			UniqueUsers int64  `json:"unique_users"`
			Change      struct {
				Requests *float64 `json:"requests"`
			} `json:"change"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(r.body), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].Requests != 20 || rep.Rows[1].Requests != 5 || rep.Rows[0].UniqueUsers != 2 {
		t.Fatalf("rows %+v", rep.Rows)
	}
	if ch := rep.Rows[1].Change.Requests; ch == nil || *ch != -75 {
		t.Errorf("June change %v, want -75", ch)
	}
	if rep.Summary != "June 2026: requests \u221275.0%, unique users \u221250.0% vs May 2026" {
		t.Errorf("summary %q", rep.Summary)
	}
	if strings.Join(rep.ModelNames, ",") != "m1,m2" {
		t.Errorf("models %v", rep.ModelNames)
	}

	// Default range: the last twelve months up to today.
	r = c.do("GET", "/api/usage", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("default usage: %d %s", r.status, r.body)
	}
	if n := len(decode[map[string]json.RawMessage](t, r)["rows"]); n == 0 {
		t.Errorf("default report has no rows")
	}

	r = c.do("GET", "/api/usage.csv?period=month&from=2026-05-01&to=2026-07-01&model=m1", nil, nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "nuri-usage-month-20260501-20260701.csv") {
		t.Fatalf("csv: %d %v", r.status, r.header)
	}
	lines, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(lines) != 1+2+2 || lines[0][0] != "period" || lines[1][3] != "m1" || lines[2][4] != "5" {
		t.Errorf("csv lines %v (%v)", lines, err)
	}

	for _, q := range []string{"period=year", "from=2026-13-01", "to=yesterday", "from=2026-06-01&to=2026-05-01", "period=day&from=1900-01-01&to=2026-01-01"} {
		if r := c.do("GET", "/api/usage?"+q, nil, nil); r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400 (%s)", q, r.status, r.body)
		}
	}
}

func TestPagesAndLanguage(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", store.RoleAdmin)
	c := e.client()
	c.login("alice")
	tests := []struct {
		accept, cookie, wantLang, wantText string
	}{
		{"", "", "en", "New chat"},
		{"ko-KR,ko;q=0.9,en;q=0.8", "", "ko", "새 대화"},
		{"fr-FR, en;q=0.5, ko;q=0.7", "", "ko", "새 대화"},
		{"ko", "en", "en", "New chat"},
		{"en", "ko", "ko", "새 대화"},
		{"en", "xx", "en", "New chat"},
	}
	for _, tc := range tests {
		h := map[string]string{"Accept-Language": tc.accept}
		if tc.cookie != "" {
			h["Cookie"] = langCookie + "=" + tc.cookie
		}
		r := c.do("GET", "/", nil, h)
		if !strings.Contains(r.body, `<html lang="`+tc.wantLang+`">`) || !strings.Contains(r.body, tc.wantText) {
			t.Errorf("Accept-Language %q cookie %q: want %s page", tc.accept, tc.cookie, tc.wantLang)
		}
	}
	r := c.do("GET", "/", nil, nil)
	// The dictionary is embedded as JSON the scripts can parse.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="i18n">(.*?)</script>`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no dictionary in the page")
	}
	var dict map[string]map[string]string
	if err := json.Unmarshal([]byte(m[1]), &dict); err != nil || dict["ko"]["new_chat"] != "새 대화" {
		t.Fatalf("dictionary: %v", err)
	}
	if r := c.do("GET", "/admin/usage", nil, nil); r.status != 200 || !strings.Contains(r.body, "Usage statistics") {
		t.Errorf("usage page: %d", r.status)
	}
	// Every script and style comes from this origin, versioned.
	for _, src := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(r.body, -1) {
		u := src[1]
		if strings.Contains(u, "//") {
			t.Errorf("external reference %q", u)
		}
		if strings.HasPrefix(u, "/assets/") {
			if r := c.do("GET", strings.SplitN(u, "?", 2)[0], nil, nil); r.status != 200 {
				t.Errorf("asset %s: status %d", u, r.status)
			}
		}
	}
}

// TestDictionaryComplete checks that both languages have the same keys
// and that every key the pages and scripts use exists.
func TestDictionaryComplete(t *testing.T) {
	p, err := loadPages(mustSub(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range languages {
		for _, b := range languages {
			for k := range p.dict[a] {
				if _, ok := p.dict[b][k]; !ok {
					t.Errorf("key %q is in %s but not in %s", k, a, b)
				}
			}
		}
	}
	uses := []*regexp.Regexp{
		regexp.MustCompile(`\bt\('([a-z_0-9]+)'`),
		regexp.MustCompile(`setStatus\('([a-z_0-9]+)'`),
		regexp.MustCompile(`\.T\.([a-z_0-9]+)`),
		regexp.MustCompile(`data-i18n(?:-[a-z-]+)?="([a-z_0-9]+)"`),
		regexp.MustCompile(`T\["([a-z_0-9]+)"\]`),
	}
	files := []string{"chat.js", "usage.js", "common.js", "chat.html", "login.html", "usage.html", "layout.html", "error.html"}
	for _, f := range files {
		b, err := assetFS.ReadFile("assets/" + f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range uses {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if _, ok := p.dict["en"][m[1]]; !ok {
					t.Errorf("%s uses key %q, missing from i18n.json", f, m[1])
				}
			}
		}
	}
	src, _ := assetFS.ReadFile("assets/usage.js")
	for _, m := range regexp.MustCompile(`\['([a-z_]+)', N\.fmt`).FindAllStringSubmatch(string(src), -1) {
		if _, ok := p.dict["en"][m[1]]; !ok {
			t.Errorf("usage.js card %q missing from i18n.json", m[1])
		}
	}
}

func TestLocalPath(t *testing.T) {
	tests := map[string]string{
		"":                  "/",
		"/":                 "/",
		"/admin/usage":      "/admin/usage",
		"/a?b=c":            "/a?b=c",
		"//evil.example":    "/",
		"/\\evil.example":   "/",
		"https://evil.x/":   "/",
		"/ok\r\nSet-Cookie": "/",
		"/login?next=/x":    "/",
		"javascript:alert":  "/",
	}
	for in, want := range tests {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustSub(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
