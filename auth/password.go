// Package auth holds Nuri's account security: password hashing (argon2id,
// with bcrypt accepted for imported accounts), per-user API keys stored as
// hashes, cookie sessions with CSRF tokens, a login rate limiter, and the
// net/http middleware that puts the authenticated Principal in the request
// context. With no account configured, a single-user mode serves loopback
// clients only.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Errors reported by this package; test with errors.Is.
var (
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrInvalidAPIKey  = errors.New("invalid API key")
	ErrRateLimited    = errors.New("too many failed login attempts")
	ErrWeakPassword   = errors.New("password does not meet the policy")
	ErrBadUsername    = errors.New("invalid user name")
	ErrBadHash        = errors.New("unrecognised password hash")
	ErrCSRF           = errors.New("missing or invalid CSRF token")
	ErrNotLocal       = errors.New("no accounts exist yet: only local connections are accepted")
	ErrDisabled       = errors.New("account disabled")
)

// Argon2Params are the argon2id cost settings for new hashes. Existing
// hashes carry their own settings and verify with those.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultArgon2 follows the common recommendation of 19 MiB, 2 passes,
// 1 lane: about 30 ms per hash on a laptop core.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password length limits, in characters and bytes.
const (
	MinPasswordLen      = 8
	MaxPasswordBytes    = 1024
	maxArgon2MemoryKiB  = 1 << 20 // refuse hashes asking for more than 1 GiB
	maxArgon2Time       = 64
	maxArgon2KeyOrSalt  = 1024
	argon2idHashPrefix  = "$argon2id$"
	argon2SupportedVers = argon2.Version
)

var b64 = base64.RawStdEncoding

// CheckPassword applies the password policy.
func CheckPassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: not valid UTF-8", ErrWeakPassword)
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Errorf("%w: use at least %d characters", ErrWeakPassword, MinPasswordLen)
	case len(pw) > MaxPasswordBytes:
		return fmt.Errorf("%w: longer than %d bytes", ErrWeakPassword, MaxPasswordBytes)
	case strings.TrimSpace(pw) == "":
		return fmt.Errorf("%w: only spaces", ErrWeakPassword)
	}
	return nil
}

// HashPassword returns an argon2id hash of pw in the usual
// $argon2id$v=19$m=...,t=...,p=...$salt$hash form.
func HashPassword(pw string, p Argon2Params) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("hash password: argon2 parameters %+v are too weak", p)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argon2idHashPrefix, argon2.Version,
		p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches hash, an argon2id or bcrypt
// hash. A malformed hash is an error wrapping ErrBadHash.
func VerifyPassword(hash, pw string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, argon2idHashPrefix):
		p, salt, key, err := parseArgon2(hash)
		if err != nil {
			return false, err
		}
		if len(pw) > MaxPasswordBytes {
			return false, nil
		}
		got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		return subtle.ConstantTimeCompare(got, key) == 1, nil
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
			return false, nil
		}
		return false, fmt.Errorf("%w: bcrypt: %w", ErrBadHash, err)
	}
	return false, fmt.Errorf("%w: unknown scheme", ErrBadHash)
}

// NeedsRehash reports whether hash should be replaced by a fresh argon2id
// hash with params p (bcrypt, or weaker settings).
func NeedsRehash(hash string, p Argon2Params) bool {
	q, _, key, err := parseArgon2(hash)
	if err != nil {
		return true
	}
	return q.Memory < p.Memory || q.Time < p.Time || uint32(len(key)) < p.KeyLen
}

func parseArgon2(hash string) (Argon2Params, []byte, []byte, error) {
	bad := func(why string) (Argon2Params, []byte, []byte, error) {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: argon2id: %s", ErrBadHash, why)
	}
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[1] != "argon2id" {
		return bad("want 5 '$'-separated fields")
	}
	if parts[2] != "v="+strconv.Itoa(argon2SupportedVers) {
		return bad("unsupported version " + parts[2])
	}
	var p Argon2Params
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return bad("parameter " + kv)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return bad("parameter " + kv)
			}
			p.Threads = uint8(n)
		default:
			return bad("parameter " + kv)
		}
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > maxArgon2MemoryKiB || p.Time > maxArgon2Time ||
		p.Memory < 8*uint32(p.Threads) {
		return bad("parameters out of range")
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(salt) > maxArgon2KeyOrSalt || len(key) > maxArgon2KeyOrSalt {
		return bad("salt or key encoding")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// NormalizeUsername lower-cases and checks a user name: 1 to 64 ASCII
// letters, digits, '.', '_', '-' or '@', starting with a letter or digit.
func NormalizeUsername(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || len(n) > 64 {
		return "", fmt.Errorf("%w %q: use 1 to 64 characters", ErrBadUsername, name)
	}
	for i, r := range n {
		ok := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && strings.ContainsRune("._-@", r)))
		if !ok {
			return "", fmt.Errorf("%w %q: use letters, digits, '.', '_', '-' or '@', starting with a letter or digit", ErrBadUsername, name)
		}
	}
	return n, nil
}
