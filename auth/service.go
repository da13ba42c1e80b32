package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nuri-ai/nuri/store"
)

// Principal is who a request acts for.
type Principal struct {
	UserID   int64 // 0 for the local user of single-user mode
	Username string
	Role     store.Role
	// APIKeyID is set when the request authenticated with an API key.
	APIKeyID int64
	// SessionID and CSRFToken are set for browser sessions; pages embed
	// CSRFToken in their forms.
	SessionID string
	CSRFToken string
	// Local marks the single-user mode: no accounts exist and the request
	// came from this machine.
	Local bool
}

// IsAdmin reports whether p may use the admin pages and APIs.
func (p *Principal) IsAdmin() bool { return p != nil && p.Role == store.RoleAdmin }

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the request's principal, or nil when anonymous.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Options tune a Service; zero values take the defaults shown.
type Options struct {
	CookieName string        // "nuri_session"
	SessionTTL time.Duration // 7 days, renewed while in use
	// SecureCookies forces the Secure flag; it is set anyway on TLS
	// requests. Set it when Nuri runs behind an HTTPS proxy.
	SecureCookies bool
	Argon2        Argon2Params // DefaultArgon2
	// Login failures allowed per client address and per user name in
	// LoginWindow before further attempts are refused.
	LoginFailuresPerIP   int           // 20
	LoginFailuresPerUser int           // 10
	LoginWindow          time.Duration // 15 minutes
	// ClientAddr returns the client address used for rate limiting;
	// the default is the connection's peer address (r.RemoteAddr).
	ClientAddr func(r *http.Request) string
	Now        func() time.Time
}

// Service authenticates requests against a store.
type Service struct {
	st      store.Store
	opt     Options
	ipLim   *LoginLimiter
	userLim *LoginLimiter
	cop     *http.CrossOriginProtection
	dummy   string // hash verified for unknown users, to even out timing

	mu          sync.Mutex
	hasUsers    bool
	usersSeenAt time.Time
}

// NewService returns a Service using st.
func NewService(st store.Store, opt Options) *Service {
	if opt.CookieName == "" {
		opt.CookieName = "nuri_session"
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 7 * 24 * time.Hour
	}
	if opt.Argon2 == (Argon2Params{}) {
		opt.Argon2 = DefaultArgon2
	}
	if opt.LoginFailuresPerIP <= 0 {
		opt.LoginFailuresPerIP = 20
	}
	if opt.LoginFailuresPerUser <= 0 {
		opt.LoginFailuresPerUser = 10
	}
	if opt.LoginWindow <= 0 {
		opt.LoginWindow = 15 * time.Minute
	}
	if opt.ClientAddr == nil {
		opt.ClientAddr = func(r *http.Request) string { return r.RemoteAddr }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Service{
		st:      st,
		opt:     opt,
		ipLim:   NewLoginLimiter(opt.LoginFailuresPerIP, opt.LoginWindow),
		userLim: NewLoginLimiter(opt.LoginFailuresPerUser, opt.LoginWindow),
		cop:     http.NewCrossOriginProtection(),
	}
	s.ipLim.now, s.userLim.now = opt.Now, opt.Now
	s.dummy, _ = HashPassword("not a real password", opt.Argon2)
	return s
}

// CookieName is the name of the session cookie.
func (s *Service) CookieName() string { return s.opt.CookieName }

// ---- account administration ----

// CreateUser adds an account with a hashed password.
func (s *Service) CreateUser(ctx context.Context, username, password string, role store.Role) (store.User, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return store.User{}, err
	}
	if !role.Valid() {
		return store.User{}, fmt.Errorf("create user %q: unknown role %q: %w", name, role, store.ErrInvalid)
	}
	hash, err := HashPassword(password, s.opt.Argon2)
	if err != nil {
		return store.User{}, fmt.Errorf("create user %q: %w", name, err)
	}
	u := store.User{Username: name, PasswordHash: hash, Role: role}
	if err := s.st.CreateUser(ctx, &u); err != nil {
		return store.User{}, err
	}
	s.mu.Lock()
	s.hasUsers, s.usersSeenAt = true, s.opt.Now()
	s.mu.Unlock()
	return u, nil
}

// SetPassword replaces a user's password and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string) error {
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	hash, err := HashPassword(password, s.opt.Argon2)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", u.Username, err)
	}
	u.PasswordHash = hash
	if err := s.st.UpdateUser(ctx, &u); err != nil {
		return err
	}
	return s.st.DeleteUserSessions(ctx, userID)
}

// CreateAPIKey makes a key for userID. The returned plaintext is shown to
// the user once; only its hash is kept.
func (s *Service) CreateAPIKey(ctx context.Context, userID int64, name string) (string, store.APIKey, error) {
	for range 3 {
		key, prefix, hash := newAPIKey()
		k := store.APIKey{UserID: userID, Name: strings.TrimSpace(name), Prefix: prefix, Hash: hash, CreatedAt: s.opt.Now()}
		err := s.st.CreateAPIKey(ctx, &k)
		if errors.Is(err, store.ErrConflict) {
			continue // prefix taken: draw again
		}
		if err != nil {
			return "", store.APIKey{}, err
		}
		return key, k, nil
	}
	return "", store.APIKey{}, fmt.Errorf("create API key for user %d: prefixes keep colliding: %w", userID, store.ErrConflict)
}

// ---- authentication ----

// CheckAPIKey returns the principal of a presented API key.
func (s *Service) CheckAPIKey(ctx context.Context, key string) (*Principal, error) {
	prefix, err := splitAPIKey(key)
	if err != nil {
		return nil, err
	}
	cands, err := s.st.APIKeysByPrefix(ctx, prefix)
	if err != nil {
		return nil, err
	}
	hash := HashToken(key)
	for _, k := range cands {
		if !equalHash(k.Hash, hash) {
			continue
		}
		u, err := s.st.UserByID(ctx, k.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrInvalidAPIKey
		}
		if err != nil {
			return nil, err
		}
		if u.Disabled {
			return nil, fmt.Errorf("%w: %w", ErrInvalidAPIKey, ErrDisabled)
		}
		now := s.opt.Now()
		if now.Sub(k.LastUsedAt) > time.Minute {
			// Best effort and rate-limited: a failed touch must not fail
			// the request, and most requests need no write.
			_ = s.st.TouchAPIKey(ctx, k.ID, now)
		}
		return &Principal{UserID: u.ID, Username: u.Username, Role: u.Role, APIKeyID: k.ID}, nil
	}
	return nil, ErrInvalidAPIKey
}

// Login checks a user name and password, applying the rate limits, and on
// success starts a session and sets its cookie on w.
func (s *Service) Login(w http.ResponseWriter, r *http.Request, username, password string) (*Principal, error) {
	ctx := r.Context()
	ipKey := clientKey(s.opt.ClientAddr(r))
	name, nameErr := NormalizeUsername(username)
	userKey := "user:" + name
	if ok, wait := s.ipLim.Allow(ipKey); !ok {
		return nil, &RateLimitError{RetryAfter: wait}
	}
	if nameErr == nil {
		if ok, wait := s.userLim.Allow(userKey); !ok {
			return nil, &RateLimitError{RetryAfter: wait}
		}
	}
	fail := func() (*Principal, error) {
		s.ipLim.Fail(ipKey)
		if nameErr == nil {
			s.userLim.Fail(userKey)
		}
		return nil, ErrBadCredentials
	}
	if nameErr != nil {
		_, _ = VerifyPassword(s.dummy, password)
		return fail()
	}
	u, err := s.st.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_, _ = VerifyPassword(s.dummy, password)
		return fail()
	}
	if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("log in %q: %w", name, err)
	}
	if !ok || u.Disabled {
		return fail()
	}
	s.ipLim.Reset(ipKey)
	s.userLim.Reset(userKey)
	if NeedsRehash(u.PasswordHash, s.opt.Argon2) {
		if h, err := HashPassword(password, s.opt.Argon2); err == nil {
			u.PasswordHash = h
			_ = s.st.UpdateUser(ctx, &u) // an upgrade; the login stands either way
		}
	}
	token := randomToken()
	now := s.opt.Now()
	se := store.Session{ID: HashToken(token), UserID: u.ID, CSRFToken: randomToken(), CreatedAt: now, ExpiresAt: now.Add(s.opt.SessionTTL)}
	if err := s.st.CreateSession(ctx, &se); err != nil {
		return nil, err
	}
	s.setCookie(w, r, token, se.ExpiresAt)
	return &Principal{UserID: u.ID, Username: u.Username, Role: u.Role, SessionID: se.ID, CSRFToken: se.CSRFToken}, nil
}

// Logout ends the request's session (if any) and clears the cookie.
func (s *Service) Logout(w http.ResponseWriter, r *http.Request) error {
	s.clearCookie(w, r)
	c, err := r.Cookie(s.opt.CookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	err = s.st.DeleteSession(r.Context(), HashToken(c.Value))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// RateLimitError is returned by Login while a client or user name is
// locked out; it wraps ErrRateLimited.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: try again in %s", ErrRateLimited, e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

func (s *Service) setCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.opt.CookieName,
		Value:    token,
		Path:     "/",
		Expires:  expires,
		MaxAge:   max(int(expires.Sub(s.opt.Now()).Seconds()), 1),
		HttpOnly: true,
		Secure:   s.opt.SecureCookies || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Service) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: s.opt.CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.opt.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// noUsers reports, with a short cache, whether the store has no accounts.
func (s *Service) noUsers(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	if !s.usersSeenAt.IsZero() && now.Sub(s.usersSeenAt) < 5*time.Second {
		return !s.hasUsers, nil
	}
	n, err := s.st.CountUsers(ctx)
	if err != nil {
		return false, err
	}
	s.hasUsers, s.usersSeenAt = n > 0, now
	return n == 0, nil
}

// isLocal reports whether r comes straight from this machine: a loopback
// peer, a loopback Host (against DNS rebinding), and no proxy headers (a
// local reverse proxy would make every client look local).
func isLocal(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Unmap().IsLoopback() {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	hostname := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		hostname = h
	}
	hostname = strings.TrimSuffix(strings.Trim(hostname, "[]"), ".")
	if strings.EqualFold(hostname, "localhost") || strings.HasSuffix(strings.ToLower(hostname), ".localhost") {
		return true
	}
	ha, err := netip.ParseAddr(hostname)
	return err == nil && ha.Unmap().IsLoopback()
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// bearer returns the API key of a request: "Authorization: Bearer <key>"
// (OpenAI style) or "X-Api-Key: <key>" (Anthropic style).
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

// Authenticate finds the principal of r. It returns (nil, nil) for an
// anonymous request. Errors: ErrInvalidAPIKey (401), ErrCSRF (403),
// ErrNotLocal (403), or a store failure (500).
func (s *Service) Authenticate(w http.ResponseWriter, r *http.Request) (*Principal, error) {
	ctx := r.Context()
	if key := bearer(r); key != "" {
		if p, err := s.CheckAPIKey(ctx, key); err == nil {
			return p, nil
		} else if !errors.Is(err, ErrInvalidAPIKey) {
			return nil, err
		}
		// Single-user mode ignores stray keys (clients insist on sending
		// one); otherwise a wrong key is an error, not anonymity.
		if none, err := s.noUsers(ctx); err != nil || !none || !isLocal(r) {
			if err != nil {
				return nil, err
			}
			return nil, ErrInvalidAPIKey
		}
	}
	if c, err := r.Cookie(s.opt.CookieName); err == nil && c.Value != "" {
		p, err := s.session(w, r, c.Value)
		if err != nil || p != nil {
			return p, err
		}
	}
	none, err := s.noUsers(ctx)
	if err != nil {
		return nil, err
	}
	if !none {
		return nil, nil
	}
	if !isLocal(r) {
		return nil, ErrNotLocal
	}
	if !safeMethod(r.Method) {
		if err := s.cop.Check(r); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCSRF, err)
		}
	}
	return &Principal{Username: "local", Role: store.RoleAdmin, Local: true}, nil
}

// session resolves a session cookie; an unknown or expired one is cleared
// and the request continues as anonymous.
func (s *Service) session(w http.ResponseWriter, r *http.Request, token string) (*Principal, error) {
	ctx := r.Context()
	now := s.opt.Now()
	se, err := s.st.SessionByID(ctx, HashToken(token), now)
	if errors.Is(err, store.ErrNotFound) {
		s.clearCookie(w, r)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.st.UserByID(ctx, se.UserID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled {
		_ = s.st.DeleteSession(ctx, se.ID)
		s.clearCookie(w, r)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !safeMethod(r.Method) {
		if err := s.cop.Check(r); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCSRF, err)
		}
		tok := r.Header.Get("X-CSRF-Token")
		if tok == "" {
			tok = r.PostFormValue("csrf_token")
		}
		if tok == "" || !equalHash(tok, se.CSRFToken) {
			return nil, ErrCSRF
		}
	}
	// Sliding expiry: renew once half the lifetime has passed.
	if se.ExpiresAt.Sub(now) < s.opt.SessionTTL/2 {
		exp := now.Add(s.opt.SessionTTL)
		if err := s.st.TouchSession(ctx, se.ID, now, exp); err == nil {
			s.setCookie(w, r, token, exp)
		}
	}
	return &Principal{UserID: u.ID, Username: u.Username, Role: u.Role, SessionID: se.ID, CSRFToken: se.CSRFToken}, nil
}

// ---- HTTP ----

// Middleware authenticates each request and stores the principal (or nil)
// in its context. Requests with a wrong API key or a failed CSRF check are
// answered here with 401 or 403.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Authenticate(w, r)
		if err != nil {
			writeAuthError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// RequireUser answers 401 to anonymous requests.
func RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if FromContext(r.Context()) == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="nuri"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireAdmin answers 401 to anonymous and 403 to non-admin requests.
func RequireAdmin(next http.Handler) http.Handler {
	return RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !FromContext(r.Context()).IsAdmin() {
			http.Error(w, "admin role required", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

func writeAuthError(w http.ResponseWriter, err error) {
	var rl *RateLimitError
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		http.Error(w, rl.Error(), http.StatusTooManyRequests)
	case errors.Is(err, ErrInvalidAPIKey), errors.Is(err, ErrBadCredentials):
		w.Header().Set("WWW-Authenticate", `Bearer realm="nuri"`)
		http.Error(w, err.Error(), http.StatusUnauthorized)
	case errors.Is(err, ErrCSRF), errors.Is(err, ErrNotLocal):
		http.Error(w, err.Error(), http.StatusForbidden)
	default:
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// LoginHandler serves POST form logins (fields "username", "password",
// optional "next"): 303 to next (a local path) or "/" on success, 401 on
// wrong credentials, 429 with Retry-After while rate limited. Cross-origin
// posts are refused, so another site cannot log a browser in.
func (s *Service) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		if err := s.cop.Check(r); err != nil {
			http.Error(w, "cross-origin login refused", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if _, err := s.Login(w, r, r.PostFormValue("username"), r.PostFormValue("password")); err != nil {
			writeAuthError(w, err)
			return
		}
		http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
	})
}

// LogoutHandler ends the session on POST (behind Middleware, so the CSRF
// token is checked) and redirects to "/".
func (s *Service) LogoutHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return
		}
		if err := s.Logout(w, r); err != nil {
			writeAuthError(w, err)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

// localPath keeps redirects on this site: only "/x" paths, not "//host".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
