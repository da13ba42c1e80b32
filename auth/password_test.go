package auth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// cheap keeps tests fast; production uses DefaultArgon2.
var cheap = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse", cheap)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, hash, pw string
		ok             bool
		err            error
	}{
		{"argon2 match", h, "correct horse", true, nil},
		{"argon2 mismatch", h, "correct horsE", false, nil},
		{"argon2 empty", h, "", false, nil},
		{"argon2 huge input", h, strings.Repeat("x", 5000), false, nil},
		{"bcrypt match", string(bc), "correct horse", true, nil},
		{"bcrypt mismatch", string(bc), "battery staple", false, nil},
		{"unknown scheme", "plain:correct horse", "correct horse", false, ErrBadHash},
		{"empty hash", "", "x", false, ErrBadHash},
		{"truncated", h[:30], "correct horse", false, ErrBadHash},
		{"bad version", strings.Replace(h, "v=19", "v=16", 1), "correct horse", false, ErrBadHash},
		{"memory bomb", strings.Replace(h, "m=64", "m=4000000000", 1), "correct horse", false, ErrBadHash},
		{"zero time", strings.Replace(h, "t=1", "t=0", 1), "correct horse", false, ErrBadHash},
		{"bad params", strings.Replace(h, "t=1", "t=x", 1), "correct horse", false, ErrBadHash},
		{"bad salt", strings.Replace(h, "$m=64,t=1,p=1$", "$m=64,t=1,p=1$!!", 1), "correct horse", false, ErrBadHash},
		{"broken bcrypt", "$2b$10$short", "x", false, ErrBadHash},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := VerifyPassword(tc.hash, tc.pw)
			if ok != tc.ok || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("VerifyPassword = %v, %v; want %v, %v", ok, err, tc.ok, tc.err)
			}
		})
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"short", false},
		{"        ", false},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", false},
		{strings.Repeat("a", MaxPasswordBytes+1), false},
		{"eight ch", true},
		{"pässwörd", true},
		{strings.Repeat("a", MaxPasswordBytes), true},
	}
	for _, tc := range cases {
		_, err := HashPassword(tc.pw, cheap)
		if (err == nil) != tc.ok {
			t.Errorf("HashPassword(%q): %v", tc.pw, err)
		}
		if err != nil && !errors.Is(err, ErrWeakPassword) {
			t.Errorf("HashPassword(%q): %v does not wrap ErrWeakPassword", tc.pw, err)
		}
	}
	if _, err := HashPassword("long enough", Argon2Params{Memory: 64, Time: 1, Threads: 1}); err == nil {
		t.Error("accepted parameters without salt")
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("correct horse", cheap)
	bc, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if NeedsRehash(h, cheap) {
		t.Error("fresh hash needs rehash")
	}
	if !NeedsRehash(h, DefaultArgon2) {
		t.Error("cheap hash does not need rehash under default params")
	}
	if !NeedsRehash(string(bc), cheap) {
		t.Error("bcrypt hash does not need rehash")
	}
}

func TestNormalizeUsername(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Ann", "ann"},
		{"  bob.smith@example.org ", "bob.smith@example.org"},
		{"a_b-c", "a_b-c"},
		{"", ""},
		{"-ann", ""},
		{"ann smith", ""},
		{"ann<script>", ""},
		{"аnn", ""}, // Cyrillic 'а': look-alike names are refused
		{strings.Repeat("a", 65), ""},
	}
	for _, tc := range cases {
		got, err := NormalizeUsername(tc.in)
		if tc.want == "" {
			if !errors.Is(err, ErrBadUsername) {
				t.Errorf("NormalizeUsername(%q) = %q, %v; want ErrBadUsername", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeUsername(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestAPIKeyFormat(t *testing.T) {
	key, prefix, hash := newAPIKey()
	if len(key) != 45 || !strings.HasPrefix(key, "nuri_") || prefix != key[:APIKeyPrefixLen] || hash != HashToken(key) {
		t.Fatalf("key %q prefix %q hash %q", key, prefix, hash)
	}
	if p, err := splitAPIKey(key); err != nil || p != prefix {
		t.Fatalf("splitAPIKey = %q, %v", p, err)
	}
	other, _, _ := newAPIKey()
	if other == key {
		t.Fatal("two keys are equal")
	}
	for _, bad := range []string{"", "nuri_", "sk-" + key[3:], key + "a", strings.ToUpper(key), key[:44] + "!"} {
		if _, err := splitAPIKey(bad); !errors.Is(err, ErrInvalidAPIKey) {
			t.Errorf("splitAPIKey(%q) = %v", bad, err)
		}
	}
}
