// Package web serves Nuri's browser interface: the chat page, the login
// page and the usage dashboard, with the small JSON APIs behind them. All
// assets (HTML, CSS, JavaScript, icons) are embedded in the binary; the
// pages load nothing from other sites.
//
// # Mount contract
//
// New returns one http.Handler. The server mounts it at "/" of its mux
// (for example mux.Handle("/", web.New(opt))) so that it receives every
// path the server does not claim for itself. Do not wrap it in
// auth.Middleware: the handler applies Options.Auth's middleware itself.
// It answers these paths and 404 for anything else:
//
//	GET  /                          chat page (login required when accounts exist)
//	GET  /login, POST /login        login form; POST /logout ends the session
//	GET  /admin/usage               usage dashboard (admins)
//	GET  /api/me                    who is logged in, and the storage mode
//	GET  /api/usage                 usage report as JSON (admins)
//	GET  /api/usage.csv             the same report as CSV (admins)
//	     /api/conversations...      the user's conversations (see api.go)
//	GET  /assets/...                embedded static files
//
// The chat page itself calls two endpoints that the server provides,
// on the same origin: GET /v1/models (OpenAI shape: {"data":[{"id":...}]})
// and POST /v1/chat/completions with "stream": true, answered as
// server-sent events ("data: {chunk}" lines, ending with "data: [DONE]").
// Browser requests to those endpoints carry the session cookie and an
// X-CSRF-Token header, so the server must run them behind auth.Middleware
// as well; the server records their usage, which the dashboard reports.
//
// In single-user mode (no accounts, loopback client) the conversations
// belong to the store's local account (store.LocalUsername), created on
// first use; it cannot log in and does not count as an account, so the
// mode ends as soon as a real account exists, and its conversations are
// then out of reach until accounts are removed again.
//
// Every response carries a strict Content-Security-Policy (scripts and
// styles from this origin only, no inline scripts, no framing), so text
// from a model or a user can never run as code even if it reached the
// page unescaped; the page also escapes it before formatting.
package web

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/usage"
)

//go:embed assets
var assetFS embed.FS

// Flusher makes buffered usage records visible to reports;
// *usage.Recorder satisfies it.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Options configure the handler. Store and Auth are required.
type Options struct {
	Store store.Store
	Auth  *auth.Service
	// Usage, when set, is flushed before a usage report is computed, so
	// the dashboard counts requests that finished a moment ago.
	Usage Flusher
	// UsageSource answers the report queries; the default is Store.
	UsageSource usage.Source
	// Title is shown in the page header and tab; "Nuri" when empty.
	Title string
	// Now is the clock for default report ranges; time.Now when nil.
	Now func() time.Time
	// Logf reports server-side failures behind 500 answers; nil is silent.
	Logf func(format string, args ...any)
}

type handler struct {
	opt    Options
	assets fs.FS
	pages  *pages
	mux    *http.ServeMux
	cop    *http.CrossOriginProtection
}

// New returns the web interface's handler. It panics when Store or Auth is
// nil, which is a programming error of the caller.
func New(opt Options) http.Handler {
	if opt.Store == nil || opt.Auth == nil {
		panic("web.New: Options.Store and Options.Auth are required")
	}
	if opt.UsageSource == nil {
		opt.UsageSource = opt.Store
	}
	if opt.Title == "" {
		opt.Title = "Nuri"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic("web: embedded assets missing: " + err.Error())
	}
	h := &handler{opt: opt, assets: sub, pages: mustPages(sub), mux: http.NewServeMux(), cop: http.NewCrossOriginProtection()}
	h.routes()
	return securityHeaders(opt.Auth.Middleware(h.mux))
}

func (h *handler) routes() {
	m := h.mux
	m.Handle("GET /assets/", http.StripPrefix("/assets/", h.assetHandler()))
	m.HandleFunc("GET /{$}", h.chatPage)
	m.HandleFunc("GET /login", h.loginPage)
	m.HandleFunc("POST /login", h.loginPost)
	m.Handle("POST /logout", h.opt.Auth.LogoutHandler())
	m.HandleFunc("GET /admin/usage", h.usagePage)

	m.HandleFunc("GET /api/me", h.apiUser(h.me))
	m.HandleFunc("GET /api/usage", h.apiAdmin(h.usageJSON))
	m.HandleFunc("GET /api/usage.csv", h.apiAdmin(h.usageCSV))
	m.HandleFunc("GET /api/conversations", h.apiOwner(h.listConversations))
	m.HandleFunc("POST /api/conversations", h.apiOwner(h.createConversation))
	m.HandleFunc("GET /api/conversations/{id}", h.apiOwner(h.getConversation))
	m.HandleFunc("PATCH /api/conversations/{id}", h.apiOwner(h.patchConversation))
	m.HandleFunc("DELETE /api/conversations/{id}", h.apiOwner(h.deleteConversation))
	m.HandleFunc("POST /api/conversations/{id}/messages", h.apiOwner(h.appendMessage))
	m.HandleFunc("PUT /api/conversations/{id}/messages", h.apiOwner(h.replaceMessages))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API: "+r.Method+" "+r.URL.Path)
	})
}

// contentSecurityPolicy keeps every script and style on this origin and
// refuses inline code, plugins and framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// assetHandler serves the embedded files. They change only with the
// binary, so browsers may keep them for an hour; the pages refer to them
// with a version query that changes with each build's content.
func (h *handler) assetHandler() http.Handler {
	files := http.FileServerFS(h.assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") || strings.HasSuffix(r.URL.Path, ".html") {
			http.NotFound(w, r) // no directory listings, templates are not assets
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

func (h *handler) logf(format string, args ...any) {
	if h.opt.Logf != nil {
		h.opt.Logf(format, args...)
	}
}
