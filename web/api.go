package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nuri-ai/nuri/auth"
	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/usage"
)

// Conversation API (JSON; state-changing calls need X-CSRF-Token with a
// session cookie, or an API key):
//
//	GET    /api/conversations?q=&limit=      list, newest first; q searches titles and messages
//	POST   /api/conversations                {title, model, system, settings} → conversation
//	GET    /api/conversations/{id}           {conversation, messages}
//	PATCH  /api/conversations/{id}           {title?, settings?}
//	DELETE /api/conversations/{id}
//	POST   /api/conversations/{id}/messages  {role, content, model, prompt_tokens, completion_tokens}
//	PUT    /api/conversations/{id}/messages  [messages]: replaces them all (regenerate, edit and resend)
//
// settings is {temperature, model}: the page's choices for the conversation.
// Another user's conversation answers 404, exactly like a missing one. In
// single-user mode the conversations belong to the store's local account
// (store.LocalUsername), which exists only for that purpose.

// Limits on request bodies and listings.
const (
	maxJSONBody      = 8 << 20
	maxMessages      = 10000
	defaultListLimit = 200
	maxListLimit     = 1000
	maxSearchScan    = 500 // conversations whose messages a search reads
)

type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// storeError maps a store failure to an answer; unexpected ones are
// logged and answered with a generic 500.
func (h *handler) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "conversation not found")
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, context.Canceled):
		writeError(w, http.StatusServiceUnavailable, "request canceled")
	default:
		h.logf("web: %v", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("request body: content type %q, want application/json", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("request body: more than one JSON value")
	}
	return nil
}

type apiFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal)

// apiUser answers 401 to anonymous requests.
func (h *handler) apiUser(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := auth.FromContext(r.Context())
		if p == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="nuri"`)
			writeError(w, http.StatusUnauthorized, "authentication required")
			return
		}
		f(w, r, p)
	}
}

// apiAdmin also answers 403 to non-admins.
func (h *handler) apiAdmin(f apiFunc) http.HandlerFunc {
	return h.apiUser(func(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
		if !p.IsAdmin() {
			writeError(w, http.StatusForbidden, "admin role required")
			return
		}
		f(w, r, p)
	})
}

// apiOwner is for calls on the user's own conversations. In single-user
// mode (a local principal without an account) they belong to the store's
// local account, which is created on first use.
func (h *handler) apiOwner(f apiFunc) http.HandlerFunc {
	return h.apiUser(func(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
		if p.UserID == 0 {
			if !p.Local {
				writeError(w, http.StatusConflict, "no account owns conversations for this request")
				return
			}
			u, err := h.opt.Store.LocalUser(r.Context())
			if err != nil {
				h.storeError(w, err)
				return
			}
			owner := *p
			owner.UserID = u.ID
			p = &owner
		}
		f(w, r, p)
	})
}

// ---- /api/me ----

type meJSON struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Local    bool   `json:"local"`
	// Storage is "server", or "browser" when the server cannot keep this
	// principal's conversations.
	Storage string `json:"storage"`
}

func (h *handler) me(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	m := meJSON{Username: p.Username, Role: string(p.Role), Local: p.Local, Storage: "server"}
	if p.UserID == 0 && !p.Local {
		m.Storage = "browser"
	}
	writeJSON(w, http.StatusOK, m)
}

// ---- conversations ----

type convJSON struct {
	ID        string                     `json:"id"`
	Title     string                     `json:"title"`
	Model     string                     `json:"model"`
	Settings  store.ConversationSettings `json:"settings"`
	CreatedAt time.Time                  `json:"created_at"`
	UpdatedAt time.Time                  `json:"updated_at"`
}

func toConvJSON(c store.Conversation) convJSON {
	return convJSON{ID: c.ID, Title: c.Title, Model: c.Model, Settings: c.Settings, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

type messageJSON struct {
	ID               int64     `json:"id,omitempty"`
	Role             string    `json:"role"`
	Content          string    `json:"content"`
	Model            string    `json:"model,omitempty"`
	PromptTokens     int       `json:"prompt_tokens,omitempty"`
	CompletionTokens int       `json:"completion_tokens,omitempty"`
	CreatedAt        time.Time `json:"created_at,omitzero"`
}

func toMessageJSON(m store.Message) messageJSON {
	return messageJSON{ID: m.ID, Role: m.Role, Content: m.Content, Model: m.Model,
		PromptTokens: m.PromptTokens, CompletionTokens: m.CompletionTokens, CreatedAt: m.CreatedAt}
}

func (m messageJSON) toStore() store.Message {
	return store.Message{Role: m.Role, Content: m.Content, Model: m.Model,
		PromptTokens: m.PromptTokens, CompletionTokens: m.CompletionTokens, CreatedAt: m.CreatedAt}
}

// cleanTitle trims a title and bounds it to 200 characters.
func cleanTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200])
	}
	return s
}

func (h *handler) listConversations(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	limit := defaultListLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want a positive number", v))
			return
		}
		limit = min(n, maxListLimit)
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	fetch := limit
	if q != "" {
		fetch = maxSearchScan
	}
	convs, err := h.opt.Store.ListConversations(r.Context(), p.UserID, fetch, 0)
	if err != nil {
		h.storeError(w, err)
		return
	}
	out := make([]convJSON, 0, min(len(convs), limit))
	for _, c := range convs {
		if len(out) >= limit {
			break
		}
		if q != "" {
			ok, err := h.matches(r.Context(), p.UserID, c, q)
			if err != nil {
				h.storeError(w, err)
				return
			}
			if !ok {
				continue
			}
		}
		out = append(out, toConvJSON(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

// matches reports whether a conversation's title or one of its messages
// contains q (already lower case).
func (h *handler) matches(ctx context.Context, userID int64, c store.Conversation, q string) (bool, error) {
	if strings.Contains(strings.ToLower(c.Title), q) {
		return true, nil
	}
	msgs, err := h.opt.Store.Messages(ctx, userID, c.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // deleted meanwhile
	}
	if err != nil {
		return false, err
	}
	for _, m := range msgs {
		if m.Role != "system" && strings.Contains(strings.ToLower(m.Content), q) {
			return true, nil
		}
	}
	return false, nil
}

type createReq struct {
	Title    string                     `json:"title"`
	Model    string                     `json:"model"`
	System   string                     `json:"system"`
	Settings store.ConversationSettings `json:"settings"`
}

func (h *handler) createConversation(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var req createReq
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c := store.Conversation{UserID: p.UserID, Title: cleanTitle(req.Title), Model: strings.TrimSpace(req.Model), Settings: req.Settings}
	if err := h.opt.Store.CreateConversation(r.Context(), &c); err != nil {
		h.storeError(w, err)
		return
	}
	if strings.TrimSpace(req.System) != "" {
		m := store.Message{Role: "system", Content: req.System}
		if err := h.opt.Store.AppendMessage(r.Context(), p.UserID, c.ID, &m); err != nil {
			// Do not leave a conversation without its system prompt.
			_ = h.opt.Store.DeleteConversation(context.WithoutCancel(r.Context()), p.UserID, c.ID)
			h.storeError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, toConvJSON(c))
}

func (h *handler) getConversation(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id := r.PathValue("id")
	c, err := h.opt.Store.Conversation(r.Context(), p.UserID, id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	msgs, err := h.opt.Store.Messages(r.Context(), p.UserID, id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	out := make([]messageJSON, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, toMessageJSON(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": toConvJSON(c), "messages": out})
}

func (h *handler) patchConversation(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var req struct {
		Title    *string                     `json:"title"`
		Settings *store.ConversationSettings `json:"settings"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := r.PathValue("id")
	if req.Title == nil && req.Settings == nil {
		writeError(w, http.StatusBadRequest, "request body: nothing to change (want title or settings)")
		return
	}
	if req.Settings != nil {
		if err := h.opt.Store.SetConversationSettings(r.Context(), p.UserID, id, *req.Settings); err != nil {
			h.storeError(w, err)
			return
		}
	}
	if req.Title != nil {
		if err := h.opt.Store.RenameConversation(r.Context(), p.UserID, id, cleanTitle(*req.Title)); err != nil {
			h.storeError(w, err)
			return
		}
	}
	c, err := h.opt.Store.Conversation(r.Context(), p.UserID, id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toConvJSON(c))
}

func (h *handler) deleteConversation(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if err := h.opt.Store.DeleteConversation(r.Context(), p.UserID, r.PathValue("id")); err != nil {
		h.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) appendMessage(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var req messageJSON
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	req.CreatedAt = time.Time{} // the server's clock decides
	m := req.toStore()
	if err := h.opt.Store.AppendMessage(r.Context(), p.UserID, r.PathValue("id"), &m); err != nil {
		h.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, toMessageJSON(m))
}

// replaceMessages rewrites a conversation's messages in one transaction:
// it is how the page regenerates an answer, edits a question or changes
// the system prompt.
func (h *handler) replaceMessages(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var req []messageJSON
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(req) > maxMessages {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("more than %d messages", maxMessages))
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	old, err := h.opt.Store.Messages(ctx, p.UserID, id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	// Keep the stored times of messages that are unchanged.
	msgs := make([]store.Message, len(req))
	for i, m := range req {
		if !validRole(m.Role) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("message %d: role %q: want system, user, assistant or tool", i, m.Role))
			return
		}
		msgs[i] = m.toStore()
		msgs[i].CreatedAt = time.Time{}
		if i < len(old) && old[i].Role == m.Role && old[i].Content == m.Content {
			msgs[i].CreatedAt = old[i].CreatedAt
		}
	}
	if err := h.opt.Store.ReplaceMessages(ctx, p.UserID, id, msgs); err != nil {
		h.storeError(w, err)
		return
	}
	c, err := h.opt.Store.Conversation(ctx, p.UserID, id)
	if err != nil {
		h.storeError(w, err)
		return
	}
	out := make([]messageJSON, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, toMessageJSON(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": toConvJSON(c), "messages": out})
}

func validRole(r string) bool {
	return r == "system" || r == "user" || r == "assistant" || r == "tool"
}

// ---- usage ----

// usageJSONReport is /api/usage's answer: the report plus the sentence
// comparing the last period with the one before.
type usageJSONReport struct {
	*usage.UsageReport
	ModelNames []string `json:"model_names"`
	Summary    string   `json:"summary"`
}

// usageQuery reads period, from, to and model from the query string.
// Dates are YYYY-MM-DD (UTC), to is exclusive; the defaults are the last
// 30 days, 12 weeks or 12 months up to and including today.
func (h *handler) usageQuery(r *http.Request) (store.Period, time.Time, time.Time, string, error) {
	q := r.URL.Query()
	period := store.Month
	if v := q.Get("period"); v != "" {
		p, err := store.ParsePeriod(v)
		if err != nil {
			return "", time.Time{}, time.Time{}, "", err
		}
		period = p
	}
	now := h.opt.Now().UTC()
	to := store.Day.Next(store.Day.Truncate(now))
	if v := q.Get("to"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", time.Time{}, time.Time{}, "", fmt.Errorf("usage: to %q: want YYYY-MM-DD: %w", v, store.ErrInvalid)
		}
		to = t
	}
	var from time.Time
	switch period {
	case store.Day:
		from = to.AddDate(0, 0, -30)
	case store.Week:
		from = to.AddDate(0, 0, -7*12)
	default:
		from = period.Truncate(to.AddDate(0, -11, -1))
	}
	if v := q.Get("from"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "", time.Time{}, time.Time{}, "", fmt.Errorf("usage: from %q: want YYYY-MM-DD: %w", v, store.ErrInvalid)
		}
		from = t
	}
	if !from.Before(to) {
		return "", time.Time{}, time.Time{}, "", fmt.Errorf("usage: from %s is not before to %s: %w",
			from.Format(time.DateOnly), to.Format(time.DateOnly), store.ErrInvalid)
	}
	return period, from, to, strings.TrimSpace(q.Get("model")), nil
}

func (h *handler) report(w http.ResponseWriter, r *http.Request) *usage.UsageReport {
	period, from, to, model, err := h.usageQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil
	}
	if h.opt.Usage != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		if err := h.opt.Usage.Flush(ctx); err != nil {
			h.logf("web: flush usage records: %v", err) // report what is stored
		}
		cancel()
	}
	rep, err := usage.Report(r.Context(), h.opt.UsageSource, period, from, to, model)
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil
	}
	if err != nil {
		h.logf("web: %v", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return nil
	}
	return rep
}

func (h *handler) usageJSON(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	rep := h.report(w, r)
	if rep == nil {
		return
	}
	out := usageJSONReport{UsageReport: rep, ModelNames: rep.ModelNames()}
	if out.ModelNames == nil {
		out.ModelNames = []string{}
	}
	if n := len(rep.Rows); n > 0 {
		out.Summary = rep.Rows[n-1].Summary(rep.Period)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) usageCSV(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	rep := h.report(w, r)
	if rep == nil {
		return
	}
	name := fmt.Sprintf("nuri-usage-%s-%s-%s.csv", rep.Period, rep.From.Format("20060102"), rep.To.Format("20060102"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := usage.WriteCSV(w, rep); err != nil {
		h.logf("web: %v", err)
	}
}
