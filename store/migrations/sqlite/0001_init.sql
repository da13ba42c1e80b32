-- Accounts, API keys, sessions, conversations and usage records.
-- Times are Unix milliseconds (UTC); booleans are 0/1.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	username      TEXT    NOT NULL UNIQUE,
	password_hash TEXT    NOT NULL,
	role          TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_ms    INTEGER NOT NULL,
	updated_ms    INTEGER NOT NULL
);

CREATE TABLE api_keys (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	prefix       TEXT    NOT NULL UNIQUE,
	key_hash     TEXT    NOT NULL,
	created_ms   INTEGER NOT NULL,
	last_used_ms INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE sessions (
	id           TEXT    PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token   TEXT    NOT NULL,
	created_ms   INTEGER NOT NULL,
	expires_ms   INTEGER NOT NULL,
	last_seen_ms INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_ms);

CREATE TABLE conversations (
	id         TEXT    PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title      TEXT    NOT NULL,
	model      TEXT    NOT NULL,
	created_ms INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL
);
CREATE INDEX conversations_user ON conversations (user_id, updated_ms);

CREATE TABLE messages (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	conversation_id   TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	role              TEXT    NOT NULL,
	content           TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	prompt_tokens     INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	created_ms        INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE usage_events (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	ts_ms             INTEGER NOT NULL,
	day               INTEGER NOT NULL,
	month             INTEGER NOT NULL,
	user_id           INTEGER,
	api_key_id        INTEGER,
	model             TEXT    NOT NULL,
	endpoint          TEXT    NOT NULL,
	prompt_tokens     INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	ttft_ms           REAL,
	ttft_bin          INTEGER,
	tokens_per_sec    REAL,
	tps_bin           INTEGER,
	is_error          INTEGER NOT NULL
);
CREATE INDEX usage_events_ts ON usage_events (ts_ms);
CREATE INDEX usage_events_model_ts ON usage_events (model, ts_ms);
