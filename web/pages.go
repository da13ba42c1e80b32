package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/nuri-ai/nuri/auth"
)

// Languages of the interface; the first is the fallback.
var languages = []string{"en", "ko"}

// langCookie remembers a language picked on the page.
const langCookie = "nuri_lang"

type pages struct {
	tmpl    *template.Template
	dict    map[string]map[string]string
	version string // content hash of the assets, for cache busting
}

func mustPages(assets fs.FS) *pages {
	p, err := loadPages(assets)
	if err != nil {
		panic("web: " + err.Error())
	}
	return p
}

func loadPages(assets fs.FS) (*pages, error) {
	raw, err := fs.ReadFile(assets, "i18n.json")
	if err != nil {
		return nil, fmt.Errorf("read i18n.json: %w", err)
	}
	var dict map[string]map[string]string
	if err := json.Unmarshal(raw, &dict); err != nil {
		return nil, fmt.Errorf("parse i18n.json: %w", err)
	}
	for _, l := range languages {
		if len(dict[l]) == 0 {
			return nil, fmt.Errorf("i18n.json: no strings for language %q", l)
		}
	}
	tmpl, err := template.ParseFS(assets, "*.html")
	if err != nil {
		return nil, fmt.Errorf("parse page templates: %w", err)
	}
	sum := sha256.New()
	var names []string
	_ = fs.WalkDir(assets, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(assets, n)
		sum.Write([]byte(n))
		sum.Write(b)
	}
	return &pages{tmpl: tmpl, dict: dict, version: hex.EncodeToString(sum.Sum(nil))[:12]}, nil
}

// pageData is what every template sees.
type pageData struct {
	Title   string
	Lang    string
	T       map[string]string
	Dict    any // all languages, written as JSON for the scripts
	Version string
	User    *auth.Principal
	CSRF    string
	Admin   bool
	Next    string
	Error   string
	Name    string // login form: the user name typed
}

// pickLanguage returns the language of the request: the page's own
// switch (a cookie) first, then the browser's Accept-Language.
func pickLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		for _, l := range languages {
			if c.Value == l {
				return l
			}
		}
	}
	type pref struct {
		lang string
		q    float64
	}
	var prefs []pref
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		prefs = append(prefs, pref{base, q})
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	for _, p := range prefs {
		for _, l := range languages {
			if p.lang == l && p.q > 0 {
				return l
			}
		}
	}
	return languages[0]
}

func (h *handler) data(r *http.Request, p *auth.Principal) pageData {
	lang := pickLanguage(r)
	d := pageData{
		Title: h.opt.Title, Lang: lang, T: h.pages.dict[lang], Dict: h.pages.dict,
		Version: h.pages.version, User: p,
	}
	if p != nil {
		d.CSRF = p.CSRFToken
		d.Admin = p.IsAdmin()
	}
	return d
}

func (h *handler) render(w http.ResponseWriter, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := h.pages.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		h.logf("web: render %s: %v", name, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// toLogin sends an anonymous browser to the login form, to come back to
// the page it asked for.
func toLogin(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

func (h *handler) chatPage(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	if p == nil {
		toLogin(w, r)
		return
	}
	h.render(w, http.StatusOK, "chat.html", h.data(r, p))
}

func (h *handler) usagePage(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	if p == nil {
		toLogin(w, r)
		return
	}
	if !p.IsAdmin() {
		d := h.data(r, p)
		d.Error = d.T["err_admin_only"]
		h.render(w, http.StatusForbidden, "error.html", d)
		return
	}
	h.render(w, http.StatusOK, "usage.html", h.data(r, p))
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if p := auth.FromContext(r.Context()); p != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d := h.data(r, nil)
	d.Next = next
	h.render(w, http.StatusOK, "login.html", d)
}

// loginPost checks the form and, on failure, shows the form again with
// the reason instead of a bare error page.
func (h *handler) loginPost(w http.ResponseWriter, r *http.Request) {
	d := h.data(r, nil)
	if err := h.cop.Check(r); err != nil {
		d.Error = d.T["login_cross_origin"]
		h.render(w, http.StatusForbidden, "login.html", d)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	name, pw := r.PostFormValue("username"), r.PostFormValue("password")
	d.Next, d.Name = localPath(r.PostFormValue("next")), name
	_, err := h.opt.Auth.Login(w, r, name, pw)
	var rl *auth.RateLimitError
	switch {
	case err == nil:
		http.Redirect(w, r, d.Next, http.StatusSeeOther)
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		d.Error = d.T["login_rate_limited"]
		h.render(w, http.StatusTooManyRequests, "login.html", d)
	case errors.Is(err, auth.ErrBadCredentials):
		d.Error = d.T["login_bad_credentials"]
		h.render(w, http.StatusUnauthorized, "login.html", d)
	default:
		h.logf("web: login: %v", err)
		d.Error = d.T["err_internal"]
		h.render(w, http.StatusInternalServerError, "login.html", d)
	}
}

// localPath keeps redirects on this site: "/x" paths only, never
// "//host" or "/\host", which browsers read as another site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}
