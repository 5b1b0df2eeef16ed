package engine

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// API key token format: "kt_" + prefix + "_" + secret, where the prefix is 8 and the
// secret 32 lowercase base32 characters (40 and 160 random bits).
const (
	tokenScheme       = "kt_"
	tokenPrefixLength = 8
	tokenSecretLength = 32
)

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newTokenPart returns n random lowercase base32 characters; n must be a multiple of 8.
func newTokenPart(n int) (string, error) {
	b := make([]byte, n*5/8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("engine: api key randomness: %w", err)
	}
	return tokenEncoding.EncodeToString(b), nil
}

// formatToken returns the full token for a prefix and secret.
func formatToken(prefix, secret string) string {
	return tokenScheme + prefix + "_" + secret
}

// hashSecret returns what is stored of a secret: its SHA-256.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// isTokenPart reports whether s is n lowercase base32 characters.
func isTokenPart(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

var errMalformedToken = errors.New("malformed api key")

// parseToken splits a token into prefix and secret. When the token is malformed it returns
// errMalformedToken and, if the part where a prefix belongs looks like one, that prefix
// (for the audit log; the secret is never returned from a malformed token).
func parseToken(token string) (prefix, secret string, err error) {
	rest, ok := strings.CutPrefix(token, tokenScheme)
	if !ok {
		return "", "", errMalformedToken
	}
	p, s, ok := strings.Cut(rest, "_")
	if !isTokenPart(p, tokenPrefixLength) {
		return "", "", errMalformedToken
	}
	if !ok || !isTokenPart(s, tokenSecretLength) {
		return p, "", errMalformedToken
	}
	return p, s, nil
}
