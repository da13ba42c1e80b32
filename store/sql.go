package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// sqlStore implements Store on database/sql for both dialects. Queries are
// written with '?' placeholders and rewritten to $n for PostgreSQL.
type sqlStore struct {
	db      *sql.DB
	dialect string
	name    string // for error messages, password-free
}

func (s *sqlStore) Dialect() string { return s.dialect }

func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.name, err)
	}
	return nil
}

// q adapts a query to the dialect's placeholder syntax. Queries in this
// package never hold a '?' inside a string literal.
func (s *sqlStore) q(query string) string {
	if s.dialect != dialectPostgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *sqlStore) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, s.q(query), args...)
}

func (s *sqlStore) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.q(query), args...)
}

func (s *sqlStore) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.q(query), args...)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *sqlStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// now returns the current time at the store's millisecond resolution.
func now() time.Time { return time.UnixMilli(time.Now().UnixMilli()).UTC() }

// stamp returns t truncated to milliseconds in UTC, or now when t is zero.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return fromMS(t.UnixMilli())
}

// notFound wraps ErrNotFound for sql.ErrNoRows and passes other errors on.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func checkText(what, v string, max int, allowEmpty bool) error {
	if !allowEmpty && strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s is empty: %w", what, ErrInvalid)
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return fmt.Errorf("%s is not valid UTF-8 text: %w", what, ErrInvalid)
	}
	if max > 0 && len(v) > max {
		return fmt.Errorf("%s is longer than %d bytes: %w", what, max, ErrInvalid)
	}
	return nil
}

// ---- users ----

const userCols = "id, username, password_hash, role, disabled, created_ms, updated_ms"

type scanner interface{ Scan(dest ...any) error }

func scanUser(r scanner) (User, error) {
	var u User
	var role string
	var disabled, created, updated int64
	if err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &disabled, &created, &updated); err != nil {
		return User{}, err
	}
	u.Role = Role(role)
	u.Disabled = disabled != 0
	u.CreatedAt = fromMS(created)
	u.UpdatedAt = fromMS(updated)
	return u, nil
}

func (s *sqlStore) CreateUser(ctx context.Context, u *User) error {
	if err := checkText("user name", u.Username, 128, false); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if u.PasswordHash == "" {
		return fmt.Errorf("create user %q: empty password hash: %w", u.Username, ErrInvalid)
	}
	if !u.Role.Valid() {
		return fmt.Errorf("create user %q: role %q: %w", u.Username, u.Role, ErrInvalid)
	}
	u.CreatedAt = stamp(u.CreatedAt)
	u.UpdatedAt = u.CreatedAt
	err := s.queryRow(ctx, `INSERT INTO users (username, password_hash, role, disabled, created_ms, updated_ms)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Username, u.PasswordHash, string(u.Role), boolInt(u.Disabled), ms(u.CreatedAt), ms(u.UpdatedAt)).Scan(&u.ID)
	if isUnique(err) {
		return fmt.Errorf("create user %q: %w", u.Username, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create user %q in %s: %w", u.Username, s.name, err)
	}
	return nil
}

func (s *sqlStore) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	if err != nil {
		return User{}, notFound(err, fmt.Sprintf("user %d", id))
	}
	return u, nil
}

func (s *sqlStore) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE username = ?", username))
	if err != nil {
		return User{}, notFound(err, fmt.Sprintf("user %q", username))
	}
	return u, nil
}

func (s *sqlStore) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.query(ctx, "SELECT "+userCols+" FROM users WHERE username <> ? ORDER BY username", LocalUsername)
	if err != nil {
		return nil, fmt.Errorf("list users in %s: %w", s.name, err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users in %s: %w", s.name, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users in %s: %w", s.name, err)
	}
	return out, nil
}

func (s *sqlStore) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM users WHERE username <> ?", LocalUsername).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users in %s: %w", s.name, err)
	}
	return n, nil
}

// localPasswordHash is stored for the local account: no password hash
// verifies against it, so it can never log in.
const localPasswordHash = "!"

func (s *sqlStore) LocalUser(ctx context.Context) (User, error) {
	u, err := s.UserByName(ctx, LocalUsername)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("local user: %w", err)
	}
	t := ms(now())
	// Two requests may race to create it: the second insert does nothing.
	if _, err := s.exec(ctx, `INSERT INTO users (username, password_hash, role, disabled, created_ms, updated_ms)
		VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (username) DO NOTHING`,
		LocalUsername, localPasswordHash, string(RoleAdmin), t, t); err != nil {
		return User{}, fmt.Errorf("create local user in %s: %w", s.name, err)
	}
	u, err = s.UserByName(ctx, LocalUsername)
	if err != nil {
		return User{}, fmt.Errorf("local user: %w", err)
	}
	return u, nil
}

func (s *sqlStore) UpdateUser(ctx context.Context, u *User) error {
	if u.PasswordHash == "" {
		return fmt.Errorf("update user %d: empty password hash: %w", u.ID, ErrInvalid)
	}
	if !u.Role.Valid() {
		return fmt.Errorf("update user %d: role %q: %w", u.ID, u.Role, ErrInvalid)
	}
	u.UpdatedAt = now()
	res, err := s.exec(ctx, "UPDATE users SET password_hash = ?, role = ?, disabled = ?, updated_ms = ? WHERE id = ?",
		u.PasswordHash, string(u.Role), boolInt(u.Disabled), ms(u.UpdatedAt), u.ID)
	return affected(res, err, fmt.Sprintf("update user %d", u.ID))
}

func (s *sqlStore) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, "DELETE FROM users WHERE id = ?", id)
	return affected(res, err, fmt.Sprintf("delete user %d", id))
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// ---- API keys ----

const keyCols = "id, user_id, name, prefix, key_hash, created_ms, last_used_ms"

func scanKey(r scanner) (APIKey, error) {
	var k APIKey
	var created int64
	var used sql.NullInt64
	if err := r.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &created, &used); err != nil {
		return APIKey{}, err
	}
	k.CreatedAt = fromMS(created)
	k.LastUsedAt = fromNullMS(used)
	return k, nil
}

func (s *sqlStore) CreateAPIKey(ctx context.Context, k *APIKey) error {
	if err := checkText("API key name", k.Name, 200, true); err != nil {
		return fmt.Errorf("create API key: %w", err)
	}
	if k.Prefix == "" || k.Hash == "" {
		return fmt.Errorf("create API key: empty prefix or hash: %w", ErrInvalid)
	}
	k.CreatedAt = stamp(k.CreatedAt)
	err := s.queryRow(ctx, `INSERT INTO api_keys (user_id, name, prefix, key_hash, created_ms, last_used_ms)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		k.UserID, k.Name, k.Prefix, k.Hash, ms(k.CreatedAt), nullMS(k.LastUsedAt)).Scan(&k.ID)
	switch {
	case isUnique(err):
		return fmt.Errorf("create API key with prefix %q: %w", k.Prefix, ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("create API key: user %d: %w", k.UserID, ErrNotFound)
	case err != nil:
		return fmt.Errorf("create API key in %s: %w", s.name, err)
	}
	return nil
}

func (s *sqlStore) listKeys(ctx context.Context, what, where string, arg any) ([]APIKey, error) {
	rows, err := s.query(ctx, "SELECT "+keyCols+" FROM api_keys WHERE "+where+" ORDER BY id", arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func (s *sqlStore) APIKeysByPrefix(ctx context.Context, prefix string) ([]APIKey, error) {
	return s.listKeys(ctx, "look up API key", "prefix = ?", prefix)
}

func (s *sqlStore) ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error) {
	return s.listKeys(ctx, fmt.Sprintf("list API keys of user %d", userID), "user_id = ?", userID)
}

func (s *sqlStore) DeleteAPIKey(ctx context.Context, userID, keyID int64) error {
	res, err := s.exec(ctx, "DELETE FROM api_keys WHERE id = ? AND user_id = ?", keyID, userID)
	return affected(res, err, fmt.Sprintf("delete API key %d", keyID))
}

func (s *sqlStore) TouchAPIKey(ctx context.Context, keyID int64, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE api_keys SET last_used_ms = ? WHERE id = ?", ms(at), keyID)
	return affected(res, err, fmt.Sprintf("touch API key %d", keyID))
}

// ---- sessions ----

const sessionCols = "id, user_id, csrf_token, created_ms, expires_ms, last_seen_ms"

func (s *sqlStore) CreateSession(ctx context.Context, se *Session) error {
	if se.ID == "" || se.CSRFToken == "" {
		return fmt.Errorf("create session: empty id or CSRF token: %w", ErrInvalid)
	}
	if se.ExpiresAt.IsZero() {
		return fmt.Errorf("create session: no expiry: %w", ErrInvalid)
	}
	se.CreatedAt = stamp(se.CreatedAt)
	if se.LastSeenAt.IsZero() {
		se.LastSeenAt = se.CreatedAt
	}
	se.ExpiresAt = stamp(se.ExpiresAt)
	se.LastSeenAt = stamp(se.LastSeenAt)
	_, err := s.exec(ctx, "INSERT INTO sessions ("+sessionCols+") VALUES (?, ?, ?, ?, ?, ?)",
		se.ID, se.UserID, se.CSRFToken, ms(se.CreatedAt), ms(se.ExpiresAt), ms(se.LastSeenAt))
	switch {
	case isUnique(err):
		return fmt.Errorf("create session: %w", ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("create session: user %d: %w", se.UserID, ErrNotFound)
	case err != nil:
		return fmt.Errorf("create session in %s: %w", s.name, err)
	}
	return nil
}

func (s *sqlStore) SessionByID(ctx context.Context, id string, at time.Time) (Session, error) {
	var se Session
	var created, expires, seen int64
	err := s.queryRow(ctx, "SELECT "+sessionCols+" FROM sessions WHERE id = ? AND expires_ms > ?", id, ms(at)).
		Scan(&se.ID, &se.UserID, &se.CSRFToken, &created, &expires, &seen)
	if err != nil {
		return Session{}, notFound(err, "session")
	}
	se.CreatedAt, se.ExpiresAt, se.LastSeenAt = fromMS(created), fromMS(expires), fromMS(seen)
	return se, nil
}

func (s *sqlStore) TouchSession(ctx context.Context, id string, seen, expires time.Time) error {
	res, err := s.exec(ctx, "UPDATE sessions SET last_seen_ms = ?, expires_ms = ? WHERE id = ?", ms(seen), ms(expires), id)
	return affected(res, err, "touch session")
}

func (s *sqlStore) DeleteSession(ctx context.Context, id string) error {
	res, err := s.exec(ctx, "DELETE FROM sessions WHERE id = ?", id)
	return affected(res, err, "delete session")
}

func (s *sqlStore) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := s.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

func (s *sqlStore) DeleteExpiredSessions(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.exec(ctx, "DELETE FROM sessions WHERE expires_ms <= ?", ms(at))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

// ---- conversations ----

const convCols = "id, user_id, title, model, settings, created_ms, updated_ms"

func scanConv(r scanner) (Conversation, error) {
	var c Conversation
	var created, updated int64
	var settings string
	if err := r.Scan(&c.ID, &c.UserID, &c.Title, &c.Model, &settings, &created, &updated); err != nil {
		return Conversation{}, err
	}
	// Settings are advisory: a row that does not parse reads as defaults.
	_ = json.Unmarshal([]byte(settings), &c.Settings)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

// encodeSettings checks and encodes conversation settings.
func encodeSettings(cs ConversationSettings) (string, error) {
	if t := cs.Temperature; t != nil && (math.IsNaN(*t) || *t < 0 || *t > 2) {
		return "", fmt.Errorf("temperature %v: want 0 to 2: %w", *t, ErrInvalid)
	}
	if err := checkText("settings model", cs.Model, 500, true); err != nil {
		return "", err
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return "", fmt.Errorf("encode settings: %w", err)
	}
	return string(b), nil
}

// newID returns a random, unguessable identifier (26 base32 characters).
func newID() string { return strings.ToLower(rand.Text()) }

func (s *sqlStore) CreateConversation(ctx context.Context, c *Conversation) error {
	if err := checkText("conversation title", c.Title, 1000, true); err != nil {
		return fmt.Errorf("create conversation: %w", err)
	}
	if err := checkText("conversation model", c.Model, 500, true); err != nil {
		return fmt.Errorf("create conversation: %w", err)
	}
	settings, err := encodeSettings(c.Settings)
	if err != nil {
		return fmt.Errorf("create conversation: %w", err)
	}
	if c.ID == "" {
		c.ID = newID()
	}
	c.CreatedAt = stamp(c.CreatedAt)
	c.UpdatedAt = c.CreatedAt
	_, err = s.exec(ctx, "INSERT INTO conversations ("+convCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.UserID, c.Title, c.Model, settings, ms(c.CreatedAt), ms(c.UpdatedAt))
	switch {
	case isUnique(err):
		return fmt.Errorf("create conversation %q: %w", c.ID, ErrConflict)
	case isForeignKey(err):
		return fmt.Errorf("create conversation: user %d: %w", c.UserID, ErrNotFound)
	case err != nil:
		return fmt.Errorf("create conversation in %s: %w", s.name, err)
	}
	return nil
}

func (s *sqlStore) Conversation(ctx context.Context, userID int64, id string) (Conversation, error) {
	c, err := scanConv(s.queryRow(ctx, "SELECT "+convCols+" FROM conversations WHERE id = ? AND user_id = ?", id, userID))
	if err != nil {
		return Conversation{}, notFound(err, fmt.Sprintf("conversation %q", id))
	}
	return c, nil
}

func (s *sqlStore) ListConversations(ctx context.Context, userID int64, limit, offset int) ([]Conversation, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	if offset < 0 {
		offset = 0
	}
	rows, err := s.query(ctx, "SELECT "+convCols+" FROM conversations WHERE user_id = ? ORDER BY updated_ms DESC, id LIMIT ? OFFSET ?",
		userID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list conversations of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, fmt.Errorf("list conversations of user %d: %w", userID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list conversations of user %d: %w", userID, err)
	}
	return out, nil
}

func (s *sqlStore) RenameConversation(ctx context.Context, userID int64, id, title string) error {
	if err := checkText("conversation title", title, 1000, true); err != nil {
		return fmt.Errorf("rename conversation %q: %w", id, err)
	}
	res, err := s.exec(ctx, "UPDATE conversations SET title = ?, updated_ms = ? WHERE id = ? AND user_id = ?",
		title, ms(now()), id, userID)
	return affected(res, err, fmt.Sprintf("rename conversation %q", id))
}

func (s *sqlStore) SetConversationSettings(ctx context.Context, userID int64, id string, cs ConversationSettings) error {
	settings, err := encodeSettings(cs)
	if err != nil {
		return fmt.Errorf("settings of conversation %q: %w", id, err)
	}
	res, err := s.exec(ctx, "UPDATE conversations SET settings = ?, updated_ms = ? WHERE id = ? AND user_id = ?",
		settings, ms(now()), id, userID)
	return affected(res, err, fmt.Sprintf("settings of conversation %q", id))
}

func (s *sqlStore) DeleteConversation(ctx context.Context, userID int64, id string) error {
	res, err := s.exec(ctx, "DELETE FROM conversations WHERE id = ? AND user_id = ?", id, userID)
	return affected(res, err, fmt.Sprintf("delete conversation %q", id))
}

var messageRoles = map[string]bool{"system": true, "user": true, "assistant": true, "tool": true}

// checkMessage validates a message before it is written.
func checkMessage(m *Message) error {
	if !messageRoles[m.Role] {
		return fmt.Errorf("role %q: %w", m.Role, ErrInvalid)
	}
	if err := checkText("message", m.Content, 0, true); err != nil {
		return err
	}
	if err := checkText("message model", m.Model, 500, true); err != nil {
		return err
	}
	if m.PromptTokens < 0 || m.CompletionTokens < 0 {
		return fmt.Errorf("negative token count: %w", ErrInvalid)
	}
	return nil
}

// insertMessage writes m in tx and sets its ID.
func (s *sqlStore) insertMessage(ctx context.Context, tx *sql.Tx, convID string, m *Message) error {
	return tx.QueryRowContext(ctx, s.q(`INSERT INTO messages
		(conversation_id, role, content, model, prompt_tokens, completion_tokens, created_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		convID, m.Role, m.Content, m.Model, m.PromptTokens, m.CompletionTokens, ms(m.CreatedAt)).Scan(&m.ID)
}

func (s *sqlStore) AppendMessage(ctx context.Context, userID int64, convID string, m *Message) error {
	what := fmt.Sprintf("append message to conversation %q", convID)
	if err := checkMessage(m); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	m.CreatedAt = stamp(m.CreatedAt)
	m.ConversationID = convID
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("UPDATE conversations SET updated_ms = ? WHERE id = ? AND user_id = ?"),
			ms(m.CreatedAt), convID, userID)
		if err := affected(res, err, what); err != nil {
			return err
		}
		return s.insertMessage(ctx, tx, convID, m)
	})
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (s *sqlStore) ReplaceMessages(ctx context.Context, userID int64, convID string, msgs []Message) error {
	what := fmt.Sprintf("replace messages of conversation %q", convID)
	t := now()
	for i := range msgs {
		if err := checkMessage(&msgs[i]); err != nil {
			return fmt.Errorf("%s: message %d: %w", what, i, err)
		}
	}
	// Fill in a copy, so a failed transaction leaves msgs as they were.
	out := make([]Message, len(msgs))
	copy(out, msgs)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("UPDATE conversations SET updated_ms = ? WHERE id = ? AND user_id = ?"),
			ms(t), convID, userID)
		if err := affected(res, err, what); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM messages WHERE conversation_id = ?"), convID); err != nil {
			return err
		}
		for i := range out {
			if out[i].CreatedAt.IsZero() {
				out[i].CreatedAt = t
			} else {
				out[i].CreatedAt = stamp(out[i].CreatedAt)
			}
			out[i].ConversationID = convID
			if err := s.insertMessage(ctx, tx, convID, &out[i]); err != nil {
				return fmt.Errorf("message %d: %w", i, err)
			}
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	copy(msgs, out)
	return nil
}

func (s *sqlStore) Messages(ctx context.Context, userID int64, convID string) ([]Message, error) {
	if _, err := s.Conversation(ctx, userID, convID); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT m.id, m.conversation_id, m.role, m.content, m.model, m.prompt_tokens, m.completion_tokens, m.created_ms
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.conversation_id = ? AND c.user_id = ? ORDER BY m.id`, convID, userID)
	if err != nil {
		return nil, fmt.Errorf("read messages of conversation %q: %w", convID, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var created int64
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Role, &m.Content, &m.Model, &m.PromptTokens, &m.CompletionTokens, &created); err != nil {
			return nil, fmt.Errorf("read messages of conversation %q: %w", convID, err)
		}
		m.CreatedAt = fromMS(created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read messages of conversation %q: %w", convID, err)
	}
	return out, nil
}
