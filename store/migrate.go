package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one versioned schema step.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// pgMigrationLock is the advisory lock key that serialises migrations
// between replicas sharing one PostgreSQL database ("nuri" in ASCII).
const pgMigrationLock = 0x6e757269

// loadMigrations reads the embedded migrations of a dialect, sorted by
// version. File names are NNNN_description.sql.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations %s: %w", dir, err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must start with a positive version and '_'", dir, name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s in %s share version %d", prev, name, dir, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s/%s: %w", dir, name, err)
		}
		ms = append(ms, migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// migrate applies the pending migrations. It holds a lock for the whole
// run: an advisory lock on PostgreSQL, an immediate (write) transaction on
// SQLite, so concurrent starts apply each migration exactly once.
func (s *sqlStore) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.dialect)
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.name, err)
	}
	defer conn.Close()

	switch s.dialect {
	case dialectPostgres:
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(pgMigrationLock)); err != nil {
			return fmt.Errorf("migrate %s: take advisory lock: %w", s.name, err)
		}
		defer func() {
			// A fresh context: the caller's may be cancelled already, and
			// the lock must not outlive this function on a pooled conn.
			uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = conn.ExecContext(uctx, "SELECT pg_advisory_unlock($1)", int64(pgMigrationLock))
		}()
		if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT PRIMARY KEY,
			name       TEXT   NOT NULL,
			applied_ms BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("migrate %s: create schema_migrations: %w", s.name, err)
		}
		applied, err := appliedVersions(ctx, conn)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", s.name, err)
		}
		for _, m := range ms {
			if applied[m.Version] {
				continue
			}
			if err := applyPostgres(ctx, conn, m); err != nil {
				return fmt.Errorf("migrate %s: %s: %w", s.name, m.Name, err)
			}
		}
		return nil

	default:
		// BEGIN IMMEDIATE takes the database write lock at once, so a
		// second process waits (busy_timeout) instead of applying twice.
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return fmt.Errorf("migrate %s: lock database: %w", s.name, err)
		}
		done := false
		defer func() {
			if !done {
				_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			}
		}()
		if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_ms INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("migrate %s: create schema_migrations: %w", s.name, err)
		}
		applied, err := appliedVersions(ctx, conn)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", s.name, err)
		}
		for _, m := range ms {
			if applied[m.Version] {
				continue
			}
			if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migrate %s: %s: %w", s.name, m.Name, err)
			}
			if _, err := conn.ExecContext(ctx,
				"INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)",
				m.Version, m.Name, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("migrate %s: record %s: %w", s.name, m.Name, err)
			}
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			return fmt.Errorf("migrate %s: commit: %w", s.name, err)
		}
		done = true
		return nil
	}
}

func appliedVersions(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}

func applyPostgres(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
		m.Version, m.Name, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the highest applied migration version.
func SchemaVersion(ctx context.Context, st Store) (int, error) {
	s, ok := st.(*sqlStore)
	if !ok {
		return 0, fmt.Errorf("schema version: unsupported store %T: %w", st, ErrInvalid)
	}
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version of %s: %w", s.name, err)
	}
	return int(v.Int64), nil
}
