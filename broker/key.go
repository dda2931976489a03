package broker

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/wardenhq/warden"
)

// KeyPrefix begins every broker key.
const KeyPrefix = "wbk_"

// A key is KeyPrefix, 8 random bytes of public id (hex), "_", and 32
// random bytes of secret (hex): wbk_<16 hex>_<64 hex>. Only the SHA-256 of
// the secret is stored. Hex keeps the key inside what Salesforce clients
// accept in place of a session id.
const (
	idBytes     = 8
	secretBytes = 32
)

// NewKey returns a new random key and the record to store for it (without
// users, operations or dependent, which the caller fills in). The key is
// shown once; the record holds only its hash.
func NewKey() (key string, k *warden.BrokerKey) {
	id := make([]byte, idBytes)
	secret := make([]byte, secretBytes)
	rand.Read(id)
	rand.Read(secret)
	ids, secrets := hex.EncodeToString(id), hex.EncodeToString(secret)
	return KeyPrefix + ids + "_" + secrets, &warden.BrokerKey{ID: ids, Hash: hashSecret(secrets)}
}

// hashSecret returns the hex SHA-256 of a key's secret part.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// sessionIDForm is what the Salesforce CLI insists an access token looks
// like; a key may be wrapped in it (docs/broker.md).
var sessionIDForm = regexp.MustCompile(`^00D\w{12,15}!`)

// parseKey splits a presented key into its id and secret; ok is false when
// it is not shaped like a broker key. A key given as 00D…!wbk_… (for
// clients that check the shape of a session id) is unwrapped.
func parseKey(s string) (id, secret string, ok bool) {
	if loc := sessionIDForm.FindStringIndex(s); loc != nil {
		s = s[loc[1]:]
	}
	rest, found := strings.CutPrefix(s, KeyPrefix)
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || len(id) != 2*idBytes || len(secret) != 2*secretBytes || !isHex(id) || !isHex(secret) {
		return "", "", false
	}
	return id, secret, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// matches reports, in constant time, whether secret is the one k was made
// with.
func matches(k *warden.BrokerKey, secret string) bool {
	h := hashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(h), []byte(k.Hash)) == 1
}
