package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// runUserCmd runs "nuri user ..." in-process with stdin, returning stdout.
// Flag values persist between runs in one process, so steps reset the
// flags they depend on.
func runUserCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	rootCmd.SetArgs(append([]string{"user"}, args...))
	rootCmd.SetIn(strings.NewReader(stdin))
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	defer func() {
		rootCmd.SetIn(nil)
		rootCmd.SetOut(nil)
		rootCmd.SetErr(nil)
	}()
	err := rootCmd.Execute()
	return out.String(), err
}

func TestUserCommands(t *testing.T) {
	db := "--database-url=" + filepath.Join(t.TempDir(), "nuri.db")
	steps := []struct {
		stdin   string
		args    []string
		want    string // in stdout
		wantErr string
	}{
		{"correct horse battery\n", []string{"add", "Alice", "--admin", db}, "created alice (admin)", ""},
		{"short\n", []string{"add", "bob", db}, "", "at least 8 characters"},
		{"another long secret", []string{"add", "bob", "--admin=false", db}, "created bob (user)", ""},
		{"another long secret\n", []string{"add", "bob", db}, "", "already exists"},
		{"", []string{"list", db}, "alice", ""},
		{"", []string{"key", "bob", db}, "nuri_", ""},
		{"a brand new password\n", []string{"passwd", "alice", db}, "password of alice changed", ""},
		{"a brand new password\n", []string{"passwd", "nobody", db}, "", `no account named "nobody"`},
		{"", []string{"rm", "bob", db}, "deleted bob", ""},
		{"", []string{"rm", "bob", db}, "", `no account named "bob"`},
	}
	for _, s := range steps {
		out, err := runUserCmd(t, s.stdin, s.args...)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Errorf("user %v: error %v, want %q", s.args, err, s.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("user %v: output %q, error %v; want %q", s.args, out, err, s.want)
		}
	}
}

// TestDatabaseURL checks that serve and user resolve the same database
// from the same flags and environment.
func TestDatabaseURL(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	tests := []struct {
		url, dir, envURL, envDir string
		want                     string
	}{
		{want: "sqlite://" + filepath.FromSlash("/data/nuri/nuri.db")},
		{envDir: "/srv/nuri", want: "sqlite://" + filepath.FromSlash("/srv/nuri/nuri.db")},
		{dir: "/x", envDir: "/srv/nuri", want: "sqlite://" + filepath.FromSlash("/x/nuri.db")},
		{envURL: "postgres://db/nuri", envDir: "/srv/nuri", want: "postgres://db/nuri"},
		{url: "sqlite:///a.db", envURL: "postgres://db/nuri", want: "sqlite:///a.db"},
	}
	for _, tc := range tests {
		t.Setenv("NURI_DATABASE_URL", tc.envURL)
		t.Setenv("NURI_DATA_DIR", tc.envDir)
		if got := resolveDatabaseURL(tc.url, tc.dir); got != tc.want {
			t.Errorf("resolveDatabaseURL(%q, %q) with env %q, %q = %q, want %q", tc.url, tc.dir, tc.envURL, tc.envDir, got, tc.want)
		}
	}
	t.Setenv("NURI_DATABASE_URL", "")
	t.Setenv("NURI_DATA_DIR", "")
	if got := defaultDatabaseURL(); got != "sqlite://"+filepath.FromSlash("/data/nuri/nuri.db") {
		t.Errorf("defaultDatabaseURL() = %q", got)
	}
}
