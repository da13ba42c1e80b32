// Package store keeps Nuri's durable state: user accounts, API keys, login
// sessions, conversations with their messages, and usage records.
//
// One interface, Store, has two implementations behind Open: an embedded
// SQLite database (the default, a single file in Nuri's data directory, in
// WAL mode) and PostgreSQL, which lets several Nuri replicas share the same
// accounts, conversations and statistics. Schema migrations are embedded per
// dialect, versioned in a schema_migrations table and applied by Open under a
// lock, so replicas that start together do not race.
//
// All times are stored as Unix milliseconds in UTC; usage buckets (day, week
// starting on Monday, month) are computed in UTC as well.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them, so test with errors.Is.
var (
	// ErrNotFound means the row does not exist or belongs to another user;
	// the two cases are deliberately indistinguishable to callers.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value (user name, key prefix, ...) is taken.
	ErrConflict = errors.New("already exists")
	// ErrInvalid means the caller passed a value the store refuses.
	ErrInvalid = errors.New("invalid value")
)

// Role is what an account may do.
type Role string

// Roles.
const (
	RoleAdmin Role = "admin"
	RoleUser  Role = "user"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleUser }

// User is a local account.
type User struct {
	ID           int64
	Username     string
	PasswordHash string // encoded hash (argon2id or bcrypt); never the password
	Role         Role
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// APIKey is a per-user key for the HTTP APIs. Only a hash of the secret is
// stored; Prefix is the public, non-secret beginning of the key used to find
// candidates and to show the key in listings.
type APIKey struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	Hash       string // hex SHA-256 of the whole key
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
}

// Session is a browser login. ID is a hash of the cookie token, so a copy of
// the database does not hand out live sessions.
type Session struct {
	ID         string
	UserID     int64
	CSRFToken  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// Conversation is a chat thread owned by one user.
type Conversation struct {
	ID        string
	UserID    int64
	Title     string
	Model     string
	Settings  ConversationSettings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConversationSettings are the chat page's choices for one conversation,
// stored as a JSON object.
type ConversationSettings struct {
	// Temperature is the sampling temperature, 0 to 2; nil means the
	// page's default.
	Temperature *float64 `json:"temperature,omitempty"`
	// Model is the model picked last, which may differ from the one the
	// conversation started with.
	Model string `json:"model,omitempty"`
}

// LocalUsername is the name of the account that owns the conversations of
// single-user mode (no accounts, local connections). It cannot log in, is
// not a valid name for a real account, and is neither counted by
// CountUsers nor listed by ListUsers.
const LocalUsername = "@local"

// Message is one turn of a conversation.
type Message struct {
	ID               int64
	ConversationID   string
	Role             string // "system", "user", "assistant" or "tool"
	Content          string
	Model            string
	PromptTokens     int
	CompletionTokens int
	CreatedAt        time.Time
}

// Store is Nuri's persistence layer. Methods taking a userID enforce
// ownership: a row of another user is reported as ErrNotFound.
type Store interface {
	// Users.
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (User, error)
	UserByName(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	CountUsers(ctx context.Context) (int, error)
	// LocalUser returns the owner of single-user mode's conversations
	// (LocalUsername), creating it on first use.
	LocalUser(ctx context.Context) (User, error)
	// UpdateUser saves PasswordHash, Role and Disabled of u.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes the user with their keys, sessions and
	// conversations. Usage records stay.
	DeleteUser(ctx context.Context, id int64) error

	// API keys.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	APIKeysByPrefix(ctx context.Context, prefix string) ([]APIKey, error)
	ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error)
	DeleteAPIKey(ctx context.Context, userID, keyID int64) error
	TouchAPIKey(ctx context.Context, keyID int64, at time.Time) error

	// Sessions.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByID returns a session that has not expired at now.
	SessionByID(ctx context.Context, id string, now time.Time) (Session, error)
	// TouchSession records activity and moves the expiry.
	TouchSession(ctx context.Context, id string, seen, expires time.Time) error
	DeleteSession(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID int64) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	// Conversations and messages.
	CreateConversation(ctx context.Context, c *Conversation) error
	Conversation(ctx context.Context, userID int64, id string) (Conversation, error)
	// ListConversations returns the user's conversations, most recently
	// updated first; limit <= 0 means no limit.
	ListConversations(ctx context.Context, userID int64, limit, offset int) ([]Conversation, error)
	RenameConversation(ctx context.Context, userID int64, id, title string) error
	// SetConversationSettings replaces the conversation's settings.
	SetConversationSettings(ctx context.Context, userID int64, id string, cs ConversationSettings) error
	DeleteConversation(ctx context.Context, userID int64, id string) error
	// AppendMessage adds m to the conversation convID of userID and sets
	// m.ID, m.ConversationID and (when zero) m.CreatedAt.
	AppendMessage(ctx context.Context, userID int64, convID string, m *Message) error
	Messages(ctx context.Context, userID int64, convID string) ([]Message, error)
	// ReplaceMessages replaces all messages of the conversation by msgs in
	// one transaction (all or nothing), filling in their ID,
	// ConversationID and (when zero) CreatedAt like AppendMessage.
	ReplaceMessages(ctx context.Context, userID int64, convID string, msgs []Message) error

	// Usage statistics.
	InsertUsage(ctx context.Context, recs []UsageRecord) error
	AggregateUsage(ctx context.Context, q UsageQuery) ([]UsageBucket, error)

	// Dialect is "sqlite" or "postgres".
	Dialect() string
	Close() error
}
