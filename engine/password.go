package engine

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PasswordCost holds the argon2id parameters of new password hashes.
type PasswordCost struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
}

// DefaultPasswordCost follows RFC 9106's second recommended option (64 MiB, 3 passes),
// with the parallelism of a small server.
var DefaultPasswordCost = PasswordCost{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

// Password length limits, in characters. The upper bound keeps hashing bounded.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

const (
	passwordSaltBytes = 16
	passwordKeyBytes  = 32
	// Bounds accepted when reading a stored hash, so that a damaged row cannot make a
	// login allocate without limit.
	maxStoredMemoryKiB = 1024 * 1024
	maxStoredTime      = 64
)

var b64 = base64.RawStdEncoding

// checkPassword returns why pw is not acceptable as a new password, or "".
func checkPassword(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return "must be valid UTF-8"
	case n < MinPasswordLength:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Sprintf("must be at most %d characters", MaxPasswordLength)
	}
	return ""
}

// hashPassword returns an argon2id hash of pw in the PHC string format
// $argon2id$v=19$m=MEM,t=TIME,p=THREADS$SALT$KEY with a random salt.
func hashPassword(pw string, c PasswordCost) (string, error) {
	salt := make([]byte, passwordSaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("engine: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, c.Time, c.MemoryKiB, c.Threads, passwordKeyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		c.MemoryKiB, c.Time, c.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword reports whether pw matches the stored hash, comparing in constant time.
// A malformed hash never matches.
func verifyPassword(pw, stored string) bool {
	c, salt, key, err := parsePasswordHash(stored)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, c.Time, c.MemoryKiB, c.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// parsePasswordHash reads a PHC argon2id string.
func parsePasswordHash(s string) (PasswordCost, []byte, []byte, error) {
	var c PasswordCost
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return c, nil, nil, errors.New("not an argon2id hash")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return c, nil, nil, errors.New("unsupported argon2 version")
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return c, nil, nil, errors.New("bad argon2 parameter")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return c, nil, nil, errors.New("bad argon2 parameter")
		}
		switch k {
		case "m":
			c.MemoryKiB = uint32(n)
		case "t":
			c.Time = uint32(n)
		case "p":
			if n > 255 {
				return c, nil, nil, errors.New("bad argon2 parallelism")
			}
			c.Threads = uint8(n)
		default:
			return c, nil, nil, errors.New("unknown argon2 parameter")
		}
	}
	if c.Time < 1 || c.Time > maxStoredTime || c.Threads < 1 ||
		c.MemoryKiB < 8*uint32(c.Threads) || c.MemoryKiB > maxStoredMemoryKiB {
		return c, nil, nil, errors.New("argon2 parameters out of range")
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return c, nil, nil, errors.New("bad argon2 salt")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return c, nil, nil, errors.New("bad argon2 key")
	}
	return c, salt, key, nil
}
