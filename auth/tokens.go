package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// API keys look like "nuri_" followed by 40 base32 characters (200 random
// bits). The first APIKeyPrefixLen characters are not secret: they are
// stored in clear to find the key and to show it in listings.
const (
	APIKeyScheme    = "nuri_"
	apiKeyBodyLen   = 40
	APIKeyPrefixLen = len(APIKeyScheme) + 8
)

const base32Lower = "abcdefghijklmnopqrstuvwxyz234567"

// newAPIKey returns a fresh key with its prefix and hash.
func newAPIKey() (key, prefix, hash string) {
	body := strings.ToLower(rand.Text() + rand.Text())[:apiKeyBodyLen]
	key = APIKeyScheme + body
	return key, key[:APIKeyPrefixLen], HashToken(key)
}

// splitAPIKey checks the shape of a presented key and returns its prefix.
func splitAPIKey(key string) (prefix string, err error) {
	if len(key) != len(APIKeyScheme)+apiKeyBodyLen || !strings.HasPrefix(key, APIKeyScheme) {
		return "", fmt.Errorf("%w: wrong format", ErrInvalidAPIKey)
	}
	for _, c := range key[len(APIKeyScheme):] {
		if !strings.ContainsRune(base32Lower, c) {
			return "", fmt.Errorf("%w: wrong format", ErrInvalidAPIKey)
		}
	}
	return key[:APIKeyPrefixLen], nil
}

// HashToken returns the hex SHA-256 of a high-entropy token (API key or
// session token). A fast hash is right here: the tokens are random, so
// there is nothing to guess.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// equalHash compares two hex hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// randomToken returns 32 random bytes, URL-safe base64 encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}
