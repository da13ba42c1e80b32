package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nuri-ai/nuri/store"
	"github.com/nuri-ai/nuri/store/storetest"
)

// TestStore runs the conformance suite against SQLite, and against
// PostgreSQL when NURI_TEST_POSTGRES_URL is set.
func TestStore(t *testing.T) {
	for name, newURL := range storetest.Backends() {
		t.Run(name, func(t *testing.T) { storetest.Run(t, newURL) })
	}
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Log("PostgreSQL suite skipped: set " + storetest.PostgresEnv + " (scripts/start-postgres.sh prints one)")
	}
}

func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	good := []struct {
		name, url, file string
	}{
		{"scheme", "sqlite://" + filepath.Join(dir, "a.db"), filepath.Join(dir, "a.db")},
		{"short scheme", "sqlite:" + filepath.Join(dir, "b.db"), filepath.Join(dir, "b.db")},
		{"plain path", filepath.Join(dir, "sub", "c.db"), filepath.Join(dir, "sub", "c.db")},
		{"memory", ":memory:", ""},
		{"memory scheme", "sqlite://:memory:", ""},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.Open(ctx, tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.Dialect() != "sqlite" {
				t.Fatalf("dialect %q", st.Dialect())
			}
			if _, err := st.CountUsers(ctx); err != nil {
				t.Fatal(err)
			}
			if tc.file != "" {
				fi, err := os.Stat(tc.file)
				if err != nil {
					t.Fatal(err)
				}
				// Windows keeps access in ACLs; its mode bits say nothing of it.
				if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
					t.Fatalf("database file mode %v is readable by others", fi.Mode().Perm())
				}
			}
		})
	}
	bad := []string{"", "mysql://localhost/nuri", "sqlite://", "sqlite://" + dir + "/x.db?mode=ro"}
	for _, url := range bad {
		if st, err := store.Open(ctx, url); err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded", url)
		} else if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want ErrInvalid", url, err)
		}
	}
}

func TestOpenPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5e9)
	defer cancel()
	// Port 1 on loopback refuses at once; the password must not leak.
	_, err := store.Open(ctx, "postgres://nuri:s3cret@127.0.0.1:1/nuri?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret") {
		t.Fatalf("error leaks the password: %s", msg)
	}
}
