package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newService(t *testing.T) (*Service, store.Store, *clock) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nuri.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	svc := NewService(st, Options{Argon2: cheap, Now: clk.Now, LoginFailuresPerUser: 5, LoginFailuresPerIP: 8, LoginWindow: 15 * time.Minute})
	return svc, st, clk
}

// whoami answers with the principal the middleware found.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	if p == nil {
		io.WriteString(w, "anonymous")
		return
	}
	io.WriteString(w, p.Username+"/"+string(p.Role))
})

type req struct {
	method, path, remote, host string
	header                     map[string]string
	form                       url.Values
	cookie                     *http.Cookie
}

func do(h http.Handler, q req) *httptest.ResponseRecorder {
	var body io.Reader
	if q.form != nil {
		body = strings.NewReader(q.form.Encode())
	}
	if q.method == "" {
		q.method = http.MethodGet
	}
	if q.path == "" {
		q.path = "/"
	}
	r := httptest.NewRequest(q.method, q.path, body)
	r.RemoteAddr = "203.0.113.7:4444"
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	r.Host = "nuri.example.org"
	if q.host != "" {
		r.Host = q.host
	}
	if q.form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	if q.cookie != nil {
		r.AddCookie(q.cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func sessionCookie(t *testing.T, w *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in response (status %d, %q)", name, w.Code, w.Body.String())
	return nil
}

func TestLoginSessionAndCSRF(t *testing.T) {
	svc, st, _ := newService(t)
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, "Ann", "correct horse", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	login := svc.LoginHandler()
	w := do(login, req{method: "POST", form: url.Values{"username": {"ann"}, "password": {"correct horse"}, "next": {"/chat"}}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/chat" {
		t.Fatalf("login: %d %q", w.Code, w.Header().Get("Location"))
	}
	c := sessionCookie(t, w, "nuri_session")
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Fatalf("cookie attributes: %+v", c)
	}
	// The database holds a hash of the token, not the token.
	if _, err := st.SessionByID(ctx, c.Value, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("session stored under the cookie value itself")
	}
	se, err := st.SessionByID(ctx, HashToken(c.Value), time.Now())
	if err != nil {
		t.Fatal(err)
	}

	h := svc.Middleware(whoami)
	if w := do(h, req{cookie: c}); w.Body.String() != "ann/admin" {
		t.Fatalf("GET with session: %d %q", w.Code, w.Body.String())
	}
	if w := do(h, req{}); w.Body.String() != "anonymous" {
		t.Fatalf("GET without session: %q", w.Body.String())
	}
	cases := []struct {
		name   string
		q      req
		status int
	}{
		{"post without token", req{method: "POST", cookie: c, form: url.Values{"title": {"x"}}}, http.StatusForbidden},
		{"post with wrong token", req{method: "POST", cookie: c, form: url.Values{"csrf_token": {"nope"}}}, http.StatusForbidden},
		{"post with other session's token", req{method: "POST", cookie: c, header: map[string]string{"X-CSRF-Token": randomToken()}}, http.StatusForbidden},
		{"delete without token", req{method: "DELETE", cookie: c}, http.StatusForbidden},
		{"post with form token", req{method: "POST", cookie: c, form: url.Values{"csrf_token": {se.CSRFToken}}}, http.StatusOK},
		{"post with header token", req{method: "POST", cookie: c, header: map[string]string{"X-CSRF-Token": se.CSRFToken}}, http.StatusOK},
		{"cross-site post with token", req{method: "POST", cookie: c, header: map[string]string{"X-CSRF-Token": se.CSRFToken, "Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		{"cross-origin post with token", req{method: "POST", cookie: c, header: map[string]string{"X-CSRF-Token": se.CSRFToken, "Origin": "https://evil.example"}}, http.StatusForbidden},
		{"same-origin post with token", req{method: "POST", cookie: c, header: map[string]string{"X-CSRF-Token": se.CSRFToken, "Sec-Fetch-Site": "same-origin"}}, http.StatusOK},
		{"forged cookie", req{cookie: &http.Cookie{Name: "nuri_session", Value: "forged"}}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h, tc.q)
			if w.Code != tc.status {
				t.Fatalf("status %d (%q), want %d", w.Code, w.Body.String(), tc.status)
			}
		})
	}

	// Logout needs the CSRF token too, then the cookie stops working.
	logout := svc.Middleware(svc.LogoutHandler())
	if w := do(logout, req{method: "POST", cookie: c}); w.Code != http.StatusForbidden {
		t.Fatalf("logout without token: %d", w.Code)
	}
	if w := do(logout, req{method: "POST", cookie: c, form: url.Values{"csrf_token": {se.CSRFToken}}}); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d %q", w.Code, w.Body.String())
	}
	if w := do(h, req{cookie: c}); w.Body.String() != "anonymous" {
		t.Fatalf("after logout: %q", w.Body.String())
	}
}

func TestLoginRedirectStaysLocal(t *testing.T) {
	cases := map[string]string{"": "/", "/chat?x=1": "/chat?x=1", "//evil.example": "/", "https://evil.example": "/", "/\\evil": "/", "/a\r\nSet-Cookie: x": "/"}
	for in, want := range cases {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoginFailures(t *testing.T) {
	svc, _, clk := newService(t)
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, "ann", "correct horse", store.RoleUser); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "bob", "battery staple", store.RoleUser); err != nil {
		t.Fatal(err)
	}
	login := svc.LoginHandler()
	try := func(remote, user, pw string) *httptest.ResponseRecorder {
		return do(login, req{method: "POST", remote: remote, form: url.Values{"username": {user}, "password": {pw}}})
	}
	if w := do(login, req{method: "GET"}); w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET login: %d", w.Code)
	}
	if w := do(login, req{method: "POST", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, form: url.Values{"username": {"ann"}, "password": {"correct horse"}}}); w.Code != http.StatusForbidden {
		t.Fatalf("cross-site login: %d", w.Code)
	}
	if w := try("198.51.100.1:1", "nobody", "whatever1"); w.Code != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", w.Code)
	}
	if w := try("198.51.100.1:1", "ann", "wrong password"); w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), "ann") {
		t.Fatalf("wrong password: %d %q", w.Code, w.Body.String())
	}

	// Per user name: 5 failures from many addresses lock "ann" out, even
	// for the right password, while "bob" is unaffected.
	for i := range 4 {
		try("198.51.100."+string(rune('2'+i))+":1", "ann", "wrong password")
	}
	w := try("198.51.100.9:1", "ann", "correct horse")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("locked user: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := try("198.51.100.9:1", "bob", "battery staple"); w.Code != http.StatusSeeOther {
		t.Fatalf("other user while ann is locked: %d", w.Code)
	}
	clk.Add(16 * time.Minute)
	if w := try("198.51.100.9:1", "ann", "correct horse"); w.Code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", w.Code)
	}

	// Per address: 8 failures across user names lock the address out.
	for i := range 8 {
		try("[2001:db8::1]:1", "user"+string(rune('a'+i)), "guess-guess")
	}
	if w := try("[2001:db8::1]:1", "bob", "battery staple"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("locked address: %d", w.Code)
	}
	// The same /64 is the same client.
	if w := try("[2001:db8::2]:1", "bob", "battery staple"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("locked /64: %d", w.Code)
	}
	if w := try("[2001:db8:0:1::1]:1", "bob", "battery staple"); w.Code != http.StatusSeeOther {
		t.Fatalf("other /64: %d", w.Code)
	}

	// A disabled account cannot log in.
	u, _ := svc.st.UserByName(ctx, "bob")
	u.Disabled = true
	if err := svc.st.UpdateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if w := try("198.51.100.50:1", "bob", "battery staple"); w.Code != http.StatusUnauthorized {
		t.Fatalf("disabled user: %d", w.Code)
	}
}

func TestLimiterBounded(t *testing.T) {
	l := NewLoginLimiter(3, time.Minute)
	l.maxKeys = 100
	for i := range 1000 {
		l.Fail(clientKey("10.0." + string(rune('0'+i/100)) + ".1:1" + string(rune('a'+i%26))))
		l.Fail("k" + string(rune(i)))
	}
	if len(l.entries) > 100 {
		t.Fatalf("%d entries, cap 100", len(l.entries))
	}
	cases := map[string]string{
		"192.0.2.1:80":          "ip:192.0.2.1",
		"[::ffff:192.0.2.1]:80": "ip:192.0.2.1",
		"[2001:db8::5]:80":      "ip:2001:db8::/64",
		"garbage":               "ip:garbage",
	}
	for in, want := range cases {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	svc, st, _ := newService(t)
	ctx := context.Background()
	ann, err := svc.CreateUser(ctx, "ann", "correct horse", store.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	key, k, err := svc.CreateAPIKey(ctx, ann.ID, " laptop ")
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "laptop" || k.Hash == key || strings.Contains(k.Hash, key) || k.Prefix != key[:APIKeyPrefixLen] {
		t.Fatalf("stored key %+v for %q", k, key)
	}
	h := svc.Middleware(whoami)
	cases := []struct {
		name   string
		header map[string]string
		status int
		body   string
	}{
		{"bearer", map[string]string{"Authorization": "Bearer " + key}, 200, "ann/user"},
		{"lowercase scheme", map[string]string{"Authorization": "bearer " + key}, 200, "ann/user"},
		{"x-api-key", map[string]string{"X-Api-Key": key}, 200, "ann/user"},
		{"wrong secret", map[string]string{"Authorization": "Bearer " + key[:30] + strings.Repeat("a", 15)}, 401, ""},
		{"garbage", map[string]string{"Authorization": "Bearer sk-123"}, 401, ""},
		{"no key", nil, 200, "anonymous"},
		// Bearer requests carry no cookie, so they need no CSRF token.
		{"post with key", map[string]string{"Authorization": "Bearer " + key}, 200, "ann/user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if strings.HasPrefix(tc.name, "post") {
				method = "POST"
			}
			w := do(h, req{method: method, header: tc.header})
			if w.Code != tc.status || (tc.body != "" && w.Body.String() != tc.body) {
				t.Fatalf("%d %q, want %d %q", w.Code, w.Body.String(), tc.status, tc.body)
			}
		})
	}
	if keys, _ := st.ListAPIKeys(ctx, ann.ID); len(keys) != 1 || keys[0].LastUsedAt.IsZero() {
		t.Fatalf("last use not recorded: %+v", keys)
	}
	// Disabled users' keys stop working; revoked keys too.
	ann.Disabled = true
	if err := st.UpdateUser(ctx, &ann); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CheckAPIKey(ctx, key); !errors.Is(err, ErrInvalidAPIKey) {
		t.Fatalf("disabled user's key: %v", err)
	}
	ann.Disabled = false
	_ = st.UpdateUser(ctx, &ann)
	if err := st.DeleteAPIKey(ctx, ann.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CheckAPIKey(ctx, key); !errors.Is(err, ErrInvalidAPIKey) {
		t.Fatalf("revoked key: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	svc, st, clk := newService(t)
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, "ann", "correct horse", store.RoleUser); err != nil {
		t.Fatal(err)
	}
	w := do(svc.LoginHandler(), req{method: "POST", form: url.Values{"username": {"ann"}, "password": {"correct horse"}}})
	c := sessionCookie(t, w, "nuri_session")
	h := svc.Middleware(whoami)
	// Past half the lifetime the session is renewed...
	clk.Add(5 * 24 * time.Hour)
	w = do(h, req{cookie: c})
	if w.Body.String() != "ann/user" {
		t.Fatalf("day 5: %q", w.Body.String())
	}
	if renewed := sessionCookie(t, w, "nuri_session"); renewed.Value != c.Value {
		t.Fatal("renewal changed the token")
	}
	se, _ := st.SessionByID(ctx, HashToken(c.Value), clk.Now())
	if want := clk.Now().Add(7 * 24 * time.Hour); !se.ExpiresAt.Equal(want) {
		t.Fatalf("expiry %v, want %v", se.ExpiresAt, want)
	}
	// ...and an idle one expires and is cleared.
	clk.Add(8 * 24 * time.Hour)
	w = do(h, req{cookie: c})
	if w.Body.String() != "anonymous" {
		t.Fatalf("expired: %q", w.Body.String())
	}
	if cleared := sessionCookie(t, w, "nuri_session"); cleared.MaxAge >= 0 {
		t.Fatalf("expired cookie not cleared: %+v", cleared)
	}
	// Changing the password ends sessions.
	w = do(svc.LoginHandler(), req{method: "POST", form: url.Values{"username": {"ann"}, "password": {"correct horse"}}})
	c = sessionCookie(t, w, "nuri_session")
	u, _ := st.UserByName(ctx, "ann")
	if err := svc.SetPassword(ctx, u.ID, "new password!"); err != nil {
		t.Fatal(err)
	}
	if w := do(h, req{cookie: c}); w.Body.String() != "anonymous" {
		t.Fatalf("after password change: %q", w.Body.String())
	}
}

func TestSingleUserMode(t *testing.T) {
	svc, _, clk := newService(t)
	h := svc.Middleware(whoami)
	cases := []struct {
		name   string
		q      req
		status int
		body   string
	}{
		{"loopback v4", req{remote: "127.0.0.1:5000", host: "127.0.0.1:8080"}, 200, "local/admin"},
		{"loopback v6", req{remote: "[::1]:5000", host: "[::1]:8080"}, 200, "local/admin"},
		{"localhost name", req{remote: "127.0.0.1:5000", host: "localhost:8080"}, 200, "local/admin"},
		{"stray key ignored", req{remote: "127.0.0.1:5000", host: "localhost", header: map[string]string{"Authorization": "Bearer sk-anything"}}, 200, "local/admin"},
		{"same-origin post", req{method: "POST", remote: "127.0.0.1:5000", host: "localhost:8080", header: map[string]string{"Sec-Fetch-Site": "same-origin"}}, 200, "local/admin"},
		{"remote client", req{remote: "192.168.1.20:5000", host: "192.168.1.2:8080"}, 403, ""},
		{"dns rebinding", req{remote: "127.0.0.1:5000", host: "evil.example:8080"}, 403, ""},
		{"through a proxy", req{remote: "127.0.0.1:5000", host: "localhost", header: map[string]string{"X-Forwarded-For": "198.51.100.4"}}, 403, ""},
		{"cross-site post", req{method: "POST", remote: "127.0.0.1:5000", host: "localhost:8080", header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, ""},
		{"foreign origin post", req{method: "POST", remote: "127.0.0.1:5000", host: "localhost:8080", header: map[string]string{"Origin": "https://evil.example"}}, 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h, tc.q)
			if w.Code != tc.status || (tc.body != "" && w.Body.String() != tc.body) {
				t.Fatalf("%d %q, want %d %q", w.Code, w.Body.String(), tc.status, tc.body)
			}
		})
	}
	// Once an account exists, local requests are anonymous like any other.
	if _, err := svc.CreateUser(context.Background(), "ann", "correct horse", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	if w := do(h, req{remote: "127.0.0.1:5000", host: "localhost"}); w.Body.String() != "anonymous" {
		t.Fatalf("local request with accounts: %q", w.Body.String())
	}
}

func TestRequireRoles(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	cases := []struct {
		name     string
		p        *Principal
		user, ad int
	}{
		{"anonymous", nil, 401, 401},
		{"user", &Principal{UserID: 1, Role: store.RoleUser}, 200, 403},
		{"admin", &Principal{UserID: 2, Role: store.RoleAdmin}, 200, 200},
		{"local", &Principal{Role: store.RoleAdmin, Local: true}, 200, 200},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r = r.WithContext(WithPrincipal(r.Context(), tc.p))
		w := httptest.NewRecorder()
		RequireUser(ok).ServeHTTP(w, r)
		w2 := httptest.NewRecorder()
		RequireAdmin(ok).ServeHTTP(w2, r)
		if w.Code != tc.user || w2.Code != tc.ad {
			t.Errorf("%s: RequireUser %d (want %d), RequireAdmin %d (want %d)", tc.name, w.Code, tc.user, w2.Code, tc.ad)
		}
	}
}

func TestCreateUserValidation(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	cases := []struct {
		name, user, pw string
		role           store.Role
		want           error
	}{
		{"bad name", "a b", "correct horse", store.RoleUser, ErrBadUsername},
		{"weak password", "ann", "short", store.RoleUser, ErrWeakPassword},
		{"bad role", "ann", "correct horse", "root", store.ErrInvalid},
	}
	for _, tc := range cases {
		if _, err := svc.CreateUser(ctx, tc.user, tc.pw, tc.role); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := svc.CreateUser(ctx, "Ann", "correct horse", store.RoleUser); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "ANN", "correct horse", store.RoleUser); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate (case-folded) name: %v", err)
	}
}
