// Package storetest is the conformance suite every store.Store
// implementation must pass. It runs against real databases: SQLite files
// always, PostgreSQL when NURI_TEST_POSTGRES_URL names a server (see
// scripts/start-postgres.sh).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuri-ai/nuri/store"
)

// PostgresEnv names the environment variable holding the URL of a
// PostgreSQL server for tests.
const PostgresEnv = "NURI_TEST_POSTGRES_URL"

// NewURL returns the URL of a fresh, empty database for one test.
type NewURL func(t *testing.T) string

// SQLiteURLs gives every test its own SQLite file in a temporary directory.
func SQLiteURLs(t *testing.T) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "nuri.db")
}

// PostgresURLs returns a NewURL that gives every test its own schema in the
// server at base (dropped when the test ends), or nil when base is empty.
func PostgresURLs(base string) NewURL {
	if base == "" {
		return nil
	}
	return func(t *testing.T) string {
		t.Helper()
		ctx := context.Background()
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatalf("connect to test PostgreSQL: %v", err)
		}
		schema := "nuri_test_" + strings.ToLower(rand.Text()[:12])
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			_ = admin.Close()
			t.Fatalf("create schema %s: %v", schema, err)
		}
		t.Cleanup(func() {
			if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
			_ = admin.Close()
		})
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return base + sep + "search_path=" + schema
	}
}

// Backends returns the databases to test against: SQLite always, and
// PostgreSQL when the environment names a server.
func Backends() map[string]NewURL {
	b := map[string]NewURL{"sqlite": SQLiteURLs}
	if pg := PostgresURLs(os.Getenv(PostgresEnv)); pg != nil {
		b["postgres"] = pg
	}
	return b
}

// OpenFresh opens a fresh store from newURL and closes it at the end of t.
func OpenFresh(t *testing.T, newURL NewURL) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), newURL(t))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st
}

// Run runs the whole suite with databases from newURL.
func Run(t *testing.T, newURL NewURL) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newURL NewURL)
	}{
		{"Migrations", testMigrations},
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"Sessions", testSessions},
		{"Conversations", testConversations},
		{"ConversationOwnership", testOwnership},
		{"ConversationSettings", testConversationSettings},
		{"ReplaceMessages", testReplaceMessages},
		{"LocalUser", testLocalUser},
		{"DeleteUserCascades", testDeleteUserCascades},
		{"UsageAggregates", testUsageAggregates},
		{"UsageQueries", testUsageQueries},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newURL) })
	}
}

var ctx = context.Background()

func mustUser(t *testing.T, st store.Store, name string, role store.Role) store.User {
	t.Helper()
	u := store.User{Username: name, PasswordHash: "$argon2id$test", Role: role}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func testMigrations(t *testing.T, newURL NewURL) {
	url := newURL(t)
	// Several replicas starting at once must all succeed and apply each
	// migration once.
	const replicas = 4
	stores := make([]store.Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.Open(ctx, url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: open: %v", i, err)
		}
	}
	v, err := store.SchemaVersion(ctx, stores[0])
	if err != nil {
		t.Fatal(err)
	}
	if v < 1 {
		t.Fatalf("schema version %d after migrations", v)
	}
	for _, st := range stores {
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Reopening applies nothing and keeps the data.
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st.Close()
	mustUser(t, st, "ann", store.RoleAdmin)
	st2, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("reopen with data: %v", err)
	}
	defer st2.Close()
	if n, err := st2.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("users after reopen: %d, %v", n, err)
	}
	if v2, _ := store.SchemaVersion(ctx, st2); v2 != v {
		t.Fatalf("schema version changed on reopen: %d -> %d", v, v2)
	}
}

func testUsers(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	if n, err := st.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("fresh store has %d users (%v)", n, err)
	}
	ann := mustUser(t, st, "ann", store.RoleAdmin)
	bob := mustUser(t, st, "bob", store.RoleUser)
	if ann.ID == 0 || bob.ID == 0 || ann.ID == bob.ID {
		t.Fatalf("user ids %d, %d", ann.ID, bob.ID)
	}
	if ann.CreatedAt.IsZero() {
		t.Fatal("CreatedAt not set")
	}

	bad := []struct {
		name string
		u    store.User
		want error
	}{
		{"duplicate", store.User{Username: "ann", PasswordHash: "h", Role: store.RoleUser}, store.ErrConflict},
		{"empty name", store.User{Username: " ", PasswordHash: "h", Role: store.RoleUser}, store.ErrInvalid},
		{"no hash", store.User{Username: "cat", Role: store.RoleUser}, store.ErrInvalid},
		{"bad role", store.User{Username: "cat", PasswordHash: "h", Role: "root"}, store.ErrInvalid},
		{"bad utf8", store.User{Username: "c\xffat", PasswordHash: "h", Role: store.RoleUser}, store.ErrInvalid},
	}
	for _, tc := range bad {
		u := tc.u
		wantErr(t, tc.name, st.CreateUser(ctx, &u), tc.want)
	}

	got, err := st.UserByName(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ann.ID || got.Role != store.RoleAdmin || got.PasswordHash != ann.PasswordHash || !got.CreatedAt.Equal(ann.CreatedAt) {
		t.Fatalf("UserByName = %+v, want %+v", got, ann)
	}
	if got, err = st.UserByID(ctx, bob.ID); err != nil || got.Username != "bob" {
		t.Fatalf("UserByID = %+v, %v", got, err)
	}
	_, err = st.UserByName(ctx, "nobody")
	wantErr(t, "missing user", err, store.ErrNotFound)
	_, err = st.UserByID(ctx, 9999)
	wantErr(t, "missing user id", err, store.ErrNotFound)

	bob.Role = store.RoleAdmin
	bob.Disabled = true
	bob.PasswordHash = "$argon2id$new"
	if err := st.UpdateUser(ctx, &bob); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.UserByID(ctx, bob.ID); got.Role != store.RoleAdmin || !got.Disabled || got.PasswordHash != "$argon2id$new" {
		t.Fatalf("after update: %+v", got)
	}
	ghost := store.User{ID: 9999, PasswordHash: "h", Role: store.RoleUser}
	wantErr(t, "update missing", st.UpdateUser(ctx, &ghost), store.ErrNotFound)

	list, err := st.ListUsers(ctx)
	if err != nil || len(list) != 2 || list[0].Username != "ann" || list[1].Username != "bob" {
		t.Fatalf("ListUsers = %+v, %v", list, err)
	}
	if err := st.DeleteUser(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "delete twice", st.DeleteUser(ctx, bob.ID), store.ErrNotFound)
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Fatalf("CountUsers = %d after delete", n)
	}
}

func testAPIKeys(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	ann := mustUser(t, st, "ann", store.RoleUser)
	bob := mustUser(t, st, "bob", store.RoleUser)
	k1 := store.APIKey{UserID: ann.ID, Name: "laptop", Prefix: "nuri_aaaa", Hash: "h1"}
	k2 := store.APIKey{UserID: ann.ID, Name: "ci", Prefix: "nuri_bbbb", Hash: "h2"}
	for _, k := range []*store.APIKey{&k1, &k2} {
		if err := st.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	dup := store.APIKey{UserID: bob.ID, Prefix: "nuri_aaaa", Hash: "h3"}
	wantErr(t, "duplicate prefix", st.CreateAPIKey(ctx, &dup), store.ErrConflict)
	orphan := store.APIKey{UserID: 9999, Prefix: "nuri_cccc", Hash: "h4"}
	wantErr(t, "unknown user", st.CreateAPIKey(ctx, &orphan), store.ErrNotFound)
	empty := store.APIKey{UserID: ann.ID}
	wantErr(t, "empty key", st.CreateAPIKey(ctx, &empty), store.ErrInvalid)

	got, err := st.APIKeysByPrefix(ctx, "nuri_bbbb")
	if err != nil || len(got) != 1 || got[0].ID != k2.ID || got[0].Hash != "h2" || got[0].UserID != ann.ID {
		t.Fatalf("APIKeysByPrefix = %+v, %v", got, err)
	}
	if !got[0].LastUsedAt.IsZero() {
		t.Fatal("new key has LastUsedAt")
	}
	if got, _ := st.APIKeysByPrefix(ctx, "nuri_zzzz"); len(got) != 0 {
		t.Fatalf("unknown prefix found %+v", got)
	}
	used := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	if err := st.TouchAPIKey(ctx, k1.ID, used); err != nil {
		t.Fatal(err)
	}
	list, err := st.ListAPIKeys(ctx, ann.ID)
	if err != nil || len(list) != 2 || !list[0].LastUsedAt.Equal(used) {
		t.Fatalf("ListAPIKeys = %+v, %v", list, err)
	}
	if list, _ := st.ListAPIKeys(ctx, bob.ID); len(list) != 0 {
		t.Fatalf("bob sees keys %+v", list)
	}
	// Bob cannot revoke Ann's key.
	wantErr(t, "revoke other's key", st.DeleteAPIKey(ctx, bob.ID, k1.ID), store.ErrNotFound)
	if err := st.DeleteAPIKey(ctx, ann.ID, k1.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.APIKeysByPrefix(ctx, "nuri_aaaa"); len(got) != 0 {
		t.Fatal("revoked key still found")
	}
}

func testSessions(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	ann := mustUser(t, st, "ann", store.RoleUser)
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s1 := store.Session{ID: "s1", UserID: ann.ID, CSRFToken: "c1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	s2 := store.Session{ID: "s2", UserID: ann.ID, CSRFToken: "c2", CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Hour)}
	for _, s := range []*store.Session{&s1, &s2} {
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "duplicate session", st.CreateSession(ctx, &store.Session{ID: "s1", UserID: ann.ID, CSRFToken: "x", ExpiresAt: t0}), store.ErrConflict)
	wantErr(t, "session for nobody", st.CreateSession(ctx, &store.Session{ID: "s9", UserID: 9999, CSRFToken: "x", ExpiresAt: t0}), store.ErrNotFound)

	got, err := st.SessionByID(ctx, "s1", t0.Add(time.Minute))
	if err != nil || got.UserID != ann.ID || got.CSRFToken != "c1" || !got.ExpiresAt.Equal(s1.ExpiresAt) {
		t.Fatalf("SessionByID = %+v, %v", got, err)
	}
	_, err = st.SessionByID(ctx, "s1", t0.Add(time.Hour))
	wantErr(t, "expired session", err, store.ErrNotFound)
	if err := st.TouchSession(ctx, "s1", t0.Add(50*time.Minute), t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionByID(ctx, "s1", t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("touched session: %v", err)
	}
	n, err := st.DeleteExpiredSessions(ctx, t0.Add(150*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 1 (s2)", n, err)
	}
	if err := st.DeleteSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "delete twice", st.DeleteSession(ctx, "s1"), store.ErrNotFound)

	s3 := store.Session{ID: "s3", UserID: ann.ID, CSRFToken: "c3", ExpiresAt: t0.Add(time.Hour)}
	if err := st.CreateSession(ctx, &s3); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUserSessions(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.SessionByID(ctx, "s3", t0)
	wantErr(t, "after logout everywhere", err, store.ErrNotFound)
}

func testConversations(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	ann := mustUser(t, st, "ann", store.RoleUser)
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var convs []store.Conversation
	for i := range 3 {
		c := store.Conversation{UserID: ann.ID, Title: fmt.Sprintf("chat %d", i), Model: "llama", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		if err := st.CreateConversation(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if len(c.ID) < 20 {
			t.Fatalf("conversation id %q is too short to be unguessable", c.ID)
		}
		convs = append(convs, c)
	}
	wantErr(t, "conversation for nobody", st.CreateConversation(ctx, &store.Conversation{UserID: 9999}), store.ErrNotFound)

	// A message moves its conversation to the top of the list.
	msgs := []store.Message{
		{Role: "system", Content: "be brief"},
		{Role: "user", Content: "héllo 👋"},
		{Role: "assistant", Content: "hi", Model: "llama", PromptTokens: 12, CompletionTokens: 3},
	}
	for i := range msgs {
		msgs[i].CreatedAt = t0.Add(time.Hour + time.Duration(i)*time.Second)
		if err := st.AppendMessage(ctx, ann.ID, convs[0].ID, &msgs[i]); err != nil {
			t.Fatal(err)
		}
		if msgs[i].ID == 0 || msgs[i].ConversationID != convs[0].ID {
			t.Fatalf("message not filled in: %+v", msgs[i])
		}
	}
	wantErr(t, "bad role", st.AppendMessage(ctx, ann.ID, convs[0].ID, &store.Message{Role: "wizard"}), store.ErrInvalid)
	wantErr(t, "missing conversation", st.AppendMessage(ctx, ann.ID, "nope", &store.Message{Role: "user"}), store.ErrNotFound)

	list, err := st.ListConversations(ctx, ann.ID, 0, 0)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListConversations = %+v, %v", list, err)
	}
	wantOrder := []string{convs[0].ID, convs[2].ID, convs[1].ID}
	for i, c := range list {
		if c.ID != wantOrder[i] {
			t.Fatalf("list order %d: got %s, want %s", i, c.ID, wantOrder[i])
		}
	}
	page, err := st.ListConversations(ctx, ann.ID, 1, 1)
	if err != nil || len(page) != 1 || page[0].ID != convs[2].ID {
		t.Fatalf("page = %+v, %v", page, err)
	}

	got, err := st.Messages(ctx, ann.ID, convs[0].ID)
	if err != nil || len(got) != len(msgs) {
		t.Fatalf("Messages = %+v, %v", got, err)
	}
	for i := range got {
		if got[i].Role != msgs[i].Role || got[i].Content != msgs[i].Content || got[i].CompletionTokens != msgs[i].CompletionTokens ||
			!got[i].CreatedAt.Equal(msgs[i].CreatedAt) {
			t.Fatalf("message %d = %+v, want %+v", i, got[i], msgs[i])
		}
	}
	if err := st.RenameConversation(ctx, ann.ID, convs[1].ID, "renamed"); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.Conversation(ctx, ann.ID, convs[1].ID); c.Title != "renamed" {
		t.Fatalf("title after rename: %q", c.Title)
	}
	if err := st.DeleteConversation(ctx, ann.ID, convs[0].ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.Messages(ctx, ann.ID, convs[0].ID)
	wantErr(t, "messages of deleted conversation", err, store.ErrNotFound)
}

// testOwnership checks that no method lets a user reach another user's
// conversation.
func testOwnership(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	ann := mustUser(t, st, "ann", store.RoleUser)
	eve := mustUser(t, st, "eve", store.RoleUser)
	c := store.Conversation{UserID: ann.ID, Title: "secret plans", Model: "m"}
	if err := st.CreateConversation(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendMessage(ctx, ann.ID, c.ID, &store.Message{Role: "user", Content: "the secret"}); err != nil {
		t.Fatal(err)
	}
	_, err := st.Conversation(ctx, eve.ID, c.ID)
	wantErr(t, "eve reads ann's conversation", err, store.ErrNotFound)
	_, err = st.Messages(ctx, eve.ID, c.ID)
	wantErr(t, "eve reads ann's messages", err, store.ErrNotFound)
	wantErr(t, "eve writes into ann's conversation", st.AppendMessage(ctx, eve.ID, c.ID, &store.Message{Role: "user", Content: "x"}), store.ErrNotFound)
	wantErr(t, "eve renames ann's conversation", st.RenameConversation(ctx, eve.ID, c.ID, "pwned"), store.ErrNotFound)
	wantErr(t, "eve deletes ann's conversation", st.DeleteConversation(ctx, eve.ID, c.ID), store.ErrNotFound)
	if list, _ := st.ListConversations(ctx, eve.ID, 0, 0); len(list) != 0 {
		t.Fatalf("eve lists %+v", list)
	}
	// Nothing changed for Ann.
	got, err := st.Conversation(ctx, ann.ID, c.ID)
	if err != nil || got.Title != "secret plans" {
		t.Fatalf("ann's conversation after eve: %+v, %v", got, err)
	}
	msgs, err := st.Messages(ctx, ann.ID, c.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("ann's messages after eve: %+v, %v", msgs, err)
	}
}

func testConversationSettings(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	ann := mustUser(t, st, "ann", store.RoleUser)
	eve := mustUser(t, st, "eve", store.RoleUser)
	temp := 0.3
	c := store.Conversation{UserID: ann.ID, Title: "t", Model: "a", Settings: store.ConversationSettings{Temperature: &temp}}
	if err := st.CreateConversation(ctx, &c); err != nil {
		t.Fatal(err)
	}
	got, err := st.Conversation(ctx, ann.ID, c.ID)
	if err != nil || got.Settings.Temperature == nil || *got.Settings.Temperature != 0.3 || got.Settings.Model != "" {
		t.Fatalf("settings after create: %+v, %v", got.Settings, err)
	}
	hot := 1.5
	if err := st.SetConversationSettings(ctx, ann.ID, c.ID, store.ConversationSettings{Temperature: &hot, Model: "b"}); err != nil {
		t.Fatal(err)
	}
	list, err := st.ListConversations(ctx, ann.ID, 0, 0)
	if err != nil || len(list) != 1 || list[0].Settings.Model != "b" || *list[0].Settings.Temperature != 1.5 {
		t.Fatalf("settings in list: %+v, %v", list, err)
	}
	bad := []store.ConversationSettings{
		{Temperature: ptr(-0.1)}, {Temperature: ptr(2.5)}, {Temperature: ptr(math.NaN())},
		{Model: strings.Repeat("m", 501)}, {Model: "bad\x00"},
	}
	for _, cs := range bad {
		wantErr(t, fmt.Sprintf("settings %+v", cs), st.SetConversationSettings(ctx, ann.ID, c.ID, cs), store.ErrInvalid)
	}
	wantErr(t, "eve sets ann's settings", st.SetConversationSettings(ctx, eve.ID, c.ID, store.ConversationSettings{}), store.ErrNotFound)
	wantErr(t, "missing conversation", st.SetConversationSettings(ctx, ann.ID, "nope", store.ConversationSettings{}), store.ErrNotFound)
	// Clearing them reads back as defaults.
	if err := st.SetConversationSettings(ctx, ann.ID, c.ID, store.ConversationSettings{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Conversation(ctx, ann.ID, c.ID); got.Settings != (store.ConversationSettings{}) {
		t.Fatalf("cleared settings read back as %+v", got.Settings)
	}
}

func ptr[T any](v T) *T { return &v }

func testReplaceMessages(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	ann := mustUser(t, st, "ann", store.RoleUser)
	eve := mustUser(t, st, "eve", store.RoleUser)
	c := store.Conversation{UserID: ann.ID, Title: "t", Model: "m"}
	if err := st.CreateConversation(ctx, &c); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two", "three"} {
		if err := st.AppendMessage(ctx, ann.ID, c.ID, &store.Message{Role: "user", Content: text}); err != nil {
			t.Fatal(err)
		}
	}
	kept := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	repl := []store.Message{
		{Role: "system", Content: "be brief", CreatedAt: kept},
		{Role: "user", Content: "again"},
		{Role: "assistant", Content: "ok", Model: "m", PromptTokens: 5, CompletionTokens: 1},
	}
	if err := st.ReplaceMessages(ctx, ann.ID, c.ID, repl); err != nil {
		t.Fatal(err)
	}
	for i, m := range repl {
		if m.ID == 0 || m.ConversationID != c.ID || m.CreatedAt.IsZero() {
			t.Fatalf("replaced message %d not filled in: %+v", i, m)
		}
	}
	check := func(what string, want []string) {
		t.Helper()
		got, err := st.Messages(ctx, ann.ID, c.ID)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var texts []string
		for _, m := range got {
			texts = append(texts, m.Content)
		}
		if fmt.Sprint(texts) != fmt.Sprint(want) {
			t.Fatalf("%s: messages %q, want %q", what, texts, want)
		}
	}
	check("after replace", []string{"be brief", "again", "ok"})
	if got, _ := st.Messages(ctx, ann.ID, c.ID); !got[0].CreatedAt.Equal(kept) || got[2].CompletionTokens != 1 {
		t.Fatalf("replaced messages lost their fields: %+v", got)
	}

	// A bad message anywhere in the list changes nothing.
	bad := []store.Message{{Role: "user", Content: "fine"}, {Role: "wizard", Content: "x"}}
	wantErr(t, "bad role in replacement", st.ReplaceMessages(ctx, ann.ID, c.ID, bad), store.ErrInvalid)
	check("after a refused replace", []string{"be brief", "again", "ok"})

	// A cancelled transaction changes nothing either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.ReplaceMessages(cctx, ann.ID, c.ID, []store.Message{{Role: "user", Content: "lost"}}); err == nil {
		t.Fatal("replace with a cancelled context succeeded")
	}
	check("after a cancelled replace", []string{"be brief", "again", "ok"})

	wantErr(t, "eve replaces ann's messages", st.ReplaceMessages(ctx, eve.ID, c.ID, nil), store.ErrNotFound)
	wantErr(t, "missing conversation", st.ReplaceMessages(ctx, ann.ID, "nope", nil), store.ErrNotFound)
	check("after eve", []string{"be brief", "again", "ok"})

	// Replacing with nothing empties the conversation but keeps it.
	if err := st.ReplaceMessages(ctx, ann.ID, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	check("after emptying", nil)
	if _, err := st.Conversation(ctx, ann.ID, c.ID); err != nil {
		t.Fatalf("conversation after emptying: %v", err)
	}
}

func testLocalUser(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	// Concurrent first uses agree on one account.
	const n = 4
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := st.LocalUser(ctx)
			ids[i], errs[i] = u.ID, err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LocalUser %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] || ids[i] == 0 {
			t.Fatalf("LocalUser ids %v", ids)
		}
	}
	u, err := st.LocalUser(ctx)
	if err != nil || u.ID != ids[0] || u.Username != store.LocalUsername || u.Role != store.RoleAdmin {
		t.Fatalf("LocalUser again = %+v, %v", u, err)
	}
	// It is not an account: single-user mode stays on.
	if n, err := st.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers with only the local user = %d, %v", n, err)
	}
	ann := mustUser(t, st, "ann", store.RoleUser)
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Fatalf("CountUsers = %d, want 1", n)
	}
	users, err := st.ListUsers(ctx)
	if err != nil || len(users) != 1 || users[0].ID != ann.ID {
		t.Fatalf("ListUsers = %+v, %v", users, err)
	}
	// It owns conversations like any account.
	c := store.Conversation{UserID: u.ID, Title: "local chat"}
	if err := st.CreateConversation(ctx, &c); err != nil {
		t.Fatal(err)
	}
	_, err = st.Conversation(ctx, ann.ID, c.ID)
	wantErr(t, "ann reads the local user's conversation", err, store.ErrNotFound)
}

func testDeleteUserCascades(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	ann := mustUser(t, st, "ann", store.RoleUser)
	k := store.APIKey{UserID: ann.ID, Prefix: "nuri_dddd", Hash: "h"}
	c := store.Conversation{UserID: ann.ID}
	s := store.Session{ID: "s", UserID: ann.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}
	if err := errors.Join(st.CreateAPIKey(ctx, &k), st.CreateConversation(ctx, &c), st.CreateSession(ctx, &s)); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendMessage(ctx, ann.ID, c.ID, &store.Message{Role: "user", Content: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertUsage(ctx, []store.UsageRecord{{UserID: ann.ID, Model: "m", Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	if keys, _ := st.APIKeysByPrefix(ctx, "nuri_dddd"); len(keys) != 0 {
		t.Fatal("key of deleted user remains")
	}
	_, err := st.SessionByID(ctx, "s", time.Now())
	wantErr(t, "session of deleted user", err, store.ErrNotFound)
	_, err = st.Conversation(ctx, ann.ID, c.ID)
	wantErr(t, "conversation of deleted user", err, store.ErrNotFound)
	// Usage statistics outlive the account.
	b, err := st.AggregateUsage(ctx, store.UsageQuery{Period: store.Day, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil || len(b) != 1 || b[0].Requests != 1 {
		t.Fatalf("usage after user deletion: %+v, %v", b, err)
	}
}

// The synthetic traffic spans May and June 2026.
var (
	trafficFrom = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	trafficTo   = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
)

func testUsageAggregates(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	recs := Traffic(7, 6000, trafficFrom, trafficTo)
	// Insert in uneven batches, as the recorder does.
	for start := 0; start < len(recs); {
		end := min(start+137+start%311, len(recs))
		if err := st.InsertUsage(ctx, recs[start:end]); err != nil {
			t.Fatal(err)
		}
		start = end
	}
	// A range that cuts weeks and months in the middle.
	from := time.Date(2026, 5, 6, 13, 0, 0, 0, time.UTC)
	to := time.Date(2026, 6, 24, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		period  store.Period
		from    time.Time
		to      time.Time
		model   string
		byModel bool
	}{
		{store.Day, trafficFrom, trafficTo, "", false},
		{store.Week, trafficFrom, trafficTo, "", false},
		{store.Month, trafficFrom, trafficTo, "", false},
		{store.Month, trafficFrom, trafficTo, "", true},
		{store.Week, from, to, "qwen2.5-7b", false},
		{store.Day, from, to, "", true},
		{store.Month, from, to, "gemma-2-2b", true},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s/model=%q/byModel=%v/%s", tc.period, tc.model, tc.byModel, tc.from.Format("0102"))
		t.Run(name, func(t *testing.T) {
			got, err := st.AggregateUsage(ctx, store.UsageQuery{Period: tc.period, From: tc.from, To: tc.to, Model: tc.model, ByModel: tc.byModel})
			if err != nil {
				t.Fatal(err)
			}
			want := Count(recs, tc.period, tc.from, tc.to, tc.model, tc.byModel)
			if len(got) != len(want) {
				t.Fatalf("%d buckets, want %d", len(got), len(want))
			}
			for i, b := range got {
				if i > 0 && (b.Start.Before(got[i-1].Start) || b.Start.Equal(got[i-1].Start) && b.Model <= got[i-1].Model) {
					t.Fatalf("bucket %d (%v %s) out of order", i, b.Start, b.Model)
				}
				f := want[Key{Start: b.Start, Model: b.Model}]
				if f == nil {
					t.Fatalf("unexpected bucket %v %q", b.Start, b.Model)
				}
				CheckBucket(t, b, f)
			}
		})
	}
}

// CheckBucket compares a bucket from the store with an independent count:
// exact for counts and sums, 1e-9 relative for averages and within the
// histogram resolution (3%) for percentiles.
func CheckBucket(t *testing.T, b store.UsageBucket, f *Figures) {
	t.Helper()
	where := fmt.Sprintf("bucket %s %q", b.Start.Format("2006-01-02"), b.Model)
	ints := []struct {
		name      string
		got, want int64
	}{
		{"requests", b.Requests, f.Requests},
		{"errors", b.Errors, f.Errors},
		{"prompt tokens", b.PromptTokens, f.PromptTokens},
		{"completion tokens", b.CompletionTokens, f.CompletionTokens},
		{"unique users", b.UniqueUsers, int64(len(f.Users))},
		{"unique API keys", b.UniqueAPIKeys, int64(len(f.Keys))},
	}
	for _, c := range ints {
		if c.got != c.want {
			t.Errorf("%s: %s = %d, want %d", where, c.name, c.got, c.want)
		}
	}
	floats := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"TTFT average", b.TTFTAvgMs, Mean(f.TTFTms), 1e-9},
		{"tokens/s average", b.TokensPerSecAvg, Mean(f.TokensPerSec), 1e-9},
		{"TTFT p50", b.TTFTP50Ms, Percentile(f.TTFTms, 0.50), 0.03},
		{"TTFT p95", b.TTFTP95Ms, Percentile(f.TTFTms, 0.95), 0.03},
		{"tokens/s p50", b.TokensPerSecP50, Percentile(f.TokensPerSec, 0.50), 0.03},
		{"tokens/s p5", b.TokensPerSecP5, Percentile(f.TokensPerSec, 0.05), 0.03},
	}
	for _, c := range floats {
		if c.want == 0 && c.got == 0 {
			continue
		}
		if math.Abs(c.got-c.want) > c.tol*math.Abs(c.want) {
			t.Errorf("%s: %s = %.6g, want %.6g (±%g)", where, c.name, c.got, c.want, c.tol)
		}
	}
}

func testUsageQueries(t *testing.T, newURL NewURL) {
	st := OpenFresh(t, newURL)
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	bad := []store.UsageQuery{
		{Period: "year", From: t0, To: t0.AddDate(0, 1, 0)},
		{Period: store.Day},
		{Period: store.Day, From: t0, To: t0},
		{Period: store.Day, From: t0.AddDate(0, 0, 1), To: t0},
	}
	for i, q := range bad {
		_, err := st.AggregateUsage(ctx, q)
		wantErr(t, fmt.Sprintf("bad query %d", i), err, store.ErrInvalid)
	}
	got, err := st.AggregateUsage(ctx, store.UsageQuery{Period: store.Day, From: t0, To: t0.AddDate(0, 1, 0)})
	if err != nil || len(got) != 0 {
		t.Fatalf("empty store: %+v, %v", got, err)
	}
	if err := st.InsertUsage(ctx, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	// Boundaries: the range is half-open and buckets are UTC days.
	recs := []store.UsageRecord{
		{Time: t0.Add(-time.Millisecond), Model: "m"},
		{Time: t0, Model: "m", UserID: 1},
		{Time: t0.Add(24*time.Hour - time.Millisecond), Model: "m", UserID: 1, APIKeyID: 3},
		{Time: t0.Add(24 * time.Hour), Model: "m", UserID: 2, Error: true},
	}
	if err := st.InsertUsage(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got, err = st.AggregateUsage(ctx, store.UsageQuery{Period: store.Day, From: t0, To: t0.Add(24 * time.Hour)})
	if err != nil || len(got) != 1 {
		t.Fatalf("one day: %+v, %v", got, err)
	}
	if b := got[0]; !b.Start.Equal(t0) || b.Requests != 2 || b.UniqueUsers != 1 || b.UniqueAPIKeys != 1 || b.Errors != 0 || b.TTFTAvgMs != 0 {
		t.Fatalf("one day bucket: %+v", b)
	}
	// 2026-06-01 is a Monday: the week bucket starts there.
	got, err = st.AggregateUsage(ctx, store.UsageQuery{Period: store.Week, From: t0.AddDate(0, 0, -7), To: t0.AddDate(0, 0, 7)})
	if err != nil || len(got) != 2 || !got[0].Start.Equal(t0.AddDate(0, 0, -7)) || !got[1].Start.Equal(t0) || got[1].Requests != 3 || got[1].Errors != 1 {
		t.Fatalf("weeks: %+v, %v", got, err)
	}
}
