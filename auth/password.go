package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/wardenhq/warden"
)

// Argon2Params are the argon2id cost parameters of new password hashes.
type Argon2Params struct {
	// Memory in KiB, Time in passes, Threads in lanes.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultArgon2 is OWASP's recommended argon2id setting: 19 MiB of
// memory, two passes, one lane.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 12

// maxPasswordLength bounds what is hashed, so that a huge form field
// cannot make the server spend memory on it.
const maxPasswordLength = 1024

// HashPassword returns password's argon2id hash in PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash) with a random 16-byte salt.
func HashPassword(password string, p Argon2Params) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword rejects a password too short or too long to use.
func checkPassword(password string) error {
	switch {
	case len(password) < MinPasswordLength:
		return warden.Errorf(warden.EINVALID, "the password must have at least %d characters", MinPasswordLength)
	case len(password) > maxPasswordLength:
		return warden.Errorf(warden.EINVALID, "the password must have at most %d characters", maxPasswordLength)
	}
	return nil
}

// VerifyPassword reports whether password matches hash, a PHC string
// that HashPassword made, comparing in constant time. A malformed hash
// matches nothing.
func VerifyPassword(hash, password string) bool {
	if len(password) > maxPasswordLength {
		return false
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Memory > 1<<18 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// GeneratePassword returns a random password: 26 characters of base32
// (130 bits), as crypto/rand.Text makes them.
func GeneratePassword() string { return rand.Text() }
