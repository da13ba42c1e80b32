package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// DefaultFile is the SQLite file name used under Nuri's data directory.
const DefaultFile = "nuri.db"

// DefaultURL returns the database URL used when none is configured: a
// SQLite file in dataDir.
func DefaultURL(dataDir string) string {
	return "sqlite://" + filepath.Join(dataDir, DefaultFile)
}

// Open connects to the database named by url and applies pending
// migrations. Accepted forms:
//
//	postgres://user:pass@host:port/db?sslmode=disable   (also postgresql://)
//	sqlite:///absolute/path/nuri.db
//	sqlite://relative/path/nuri.db
//	/plain/path/nuri.db or relative/nuri.db              (SQLite)
//	:memory: or sqlite://:memory:                        (SQLite, in memory)
func Open(ctx context.Context, url string) (Store, error) {
	url = strings.TrimSpace(url)
	switch {
	case url == "":
		return nil, fmt.Errorf("open database: empty URL: %w", ErrInvalid)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	case strings.HasPrefix(url, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(url, "sqlite:"))
	case strings.Contains(url, "://"):
		scheme, _, _ := strings.Cut(url, "://")
		return nil, fmt.Errorf("open database: unsupported scheme %q (want sqlite:// or postgres://): %w", scheme, ErrInvalid)
	}
	return openSQLite(ctx, url)
}

func openSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite database: empty path: %w", ErrInvalid)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite database %q: path must not contain '?' or '#': %w", path, ErrInvalid)
	}
	const params = "?_busy_timeout=10000&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate"
	memory := path == ":memory:"
	var dsn string
	if memory {
		// One connection: every new in-memory connection would be a new,
		// empty database.
		dsn = ":memory:" + params
	} else {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("open sqlite database %s: create directory: %w", path, err)
			}
		}
		// Create the file readable by its owner only: it holds password
		// hashes and conversations.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
		}
		_ = f.Close()
		dsn = path + params + "&_journal_mode=WAL"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if memory {
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	s := &sqlStore{db: db, dialect: dialectSQLite, name: "sqlite database " + path}
	if err := s.init(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(ctx context.Context, url string) (Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres database: %w", redact(err, url))
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	s := &sqlStore{db: db, dialect: dialectPostgres, name: "postgres database " + redactURL(url)}
	if err := s.init(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func (s *sqlStore) init(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to %s: %w", s.name, err)
	}
	return s.migrate(ctx)
}

// redactURL hides the password of a connection URL for messages.
func redactURL(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return url
	}
	userinfo := rest[:at]
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":xxxxx@" + rest[at+1:]
	}
	return url
}

// redact removes the URL (which may hold a password) from an error text.
func redact(err error, url string) error {
	if err == nil || !strings.Contains(err.Error(), url) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), url, redactURL(url)))
}

// isUnique reports a unique or primary key violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKey reports a reference to a row that does not exist.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
