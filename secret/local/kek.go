package local

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/fileread"
)

// KEKSize is the size of a key-encryption key in bytes (AES-256).
const KEKSize = 32

// KeyEncryptionKey is the 256-bit key that wraps the store's data keys.
// Its bytes are never printed: String and GoString show only its
// fingerprint. The zero value is not a usable key.
type KeyEncryptionKey struct {
	k *[KEKSize]byte
}

// NewKEK returns a key-encryption key holding a copy of b, which must be
// exactly 32 bytes.
func NewKEK(b []byte) (KeyEncryptionKey, error) {
	if len(b) != KEKSize {
		return KeyEncryptionKey{}, warden.Errorf(warden.EINVALID, "key-encryption key must be %d bytes, got %d", KEKSize, len(b))
	}
	var k [KEKSize]byte
	copy(k[:], b)
	return KeyEncryptionKey{k: &k}, nil
}

// GenerateKEK returns a new random key-encryption key.
func GenerateKEK() KeyEncryptionKey {
	var k [KEKSize]byte
	rand.Read(k[:]) // never fails (crypto/rand panics if the system source does)
	return KeyEncryptionKey{k: &k}
}

// KEKFromFile reads a key-encryption key from a file holding either
// exactly 32 raw bytes or their standard base64 encoding (surrounding
// whitespace ignored). It refuses a file that its group or other users
// may read or write.
func KEKFromFile(path string) (KeyEncryptionKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return KeyEncryptionKey{}, &warden.Error{Kind: warden.ENOTFOUND, Op: "local.KEKFromFile", Message: fmt.Sprintf("key-encryption key file %s does not exist (create one with GenerateKEKFile)", path), Err: err}
		}
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINTERNAL, Op: "local.KEKFromFile", Message: fmt.Sprintf("cannot read key-encryption key file %s", path), Err: err}
	}
	if !fi.Mode().IsRegular() {
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINVALID, Op: "local.KEKFromFile", Message: fmt.Sprintf("key-encryption key file %s is not a regular file", path)}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINVALID, Op: "local.KEKFromFile", Message: fmt.Sprintf(
			"key-encryption key file %s is accessible by group or others (mode %04o); restrict it with: chmod 600 %s", path, perm, path)}
	}
	data, err := fileread.Read("key-encryption key file", path, fileread.MaxKey)
	if err != nil {
		return KeyEncryptionKey{}, err
	}
	defer clear(data)
	if len(data) == KEKSize {
		return NewKEK(data)
	}
	k, err := decodeKEKText(data)
	if err != nil {
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINVALID, Op: "local.KEKFromFile", Message: fmt.Sprintf(
			"key-encryption key file %s must hold %d raw bytes or their base64 encoding", path, KEKSize)}
	}
	return k, nil
}

// KEKFromEnv reads a base64-encoded key-encryption key from the named
// environment variable.
func KEKFromEnv(name string) (KeyEncryptionKey, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINVALID, Op: "local.KEKFromEnv", Message: fmt.Sprintf("environment variable %s is not set", name)}
	}
	k, err := decodeKEKText([]byte(v))
	if err != nil {
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINVALID, Op: "local.KEKFromEnv", Message: fmt.Sprintf(
			"environment variable %s must hold the base64 encoding of %d bytes", name, KEKSize)}
	}
	return k, nil
}

// GenerateKEKFile creates a new random key-encryption key and writes its
// base64 encoding to path with mode 0600. It never overwrites an existing
// file.
func GenerateKEKFile(path string) (KeyEncryptionKey, error) {
	k := GenerateKEK()
	text := make([]byte, base64.StdEncoding.EncodedLen(KEKSize), base64.StdEncoding.EncodedLen(KEKSize)+1)
	base64.StdEncoding.Encode(text, k.k[:])
	text = append(text, '\n')
	defer clear(text)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return KeyEncryptionKey{}, &warden.Error{Kind: warden.ECONFLICT, Op: "local.GenerateKEKFile", Message: fmt.Sprintf("%s already exists; refusing to overwrite a key-encryption key", path), Err: err}
		}
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINTERNAL, Op: "local.GenerateKEKFile", Message: fmt.Sprintf("cannot create %s", path), Err: err}
	}
	_, err = f.Write(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return KeyEncryptionKey{}, &warden.Error{Kind: warden.EINTERNAL, Op: "local.GenerateKEKFile", Message: fmt.Sprintf("cannot write %s", path), Err: err}
	}
	return k, nil
}

func decodeKEKText(text []byte) (KeyEncryptionKey, error) {
	text = bytes.TrimSpace(text)
	buf := make([]byte, base64.RawStdEncoding.DecodedLen(len(text))) // the larger of the two
	defer clear(buf)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		n, err := enc.Decode(buf, text)
		if err == nil && n == KEKSize {
			return NewKEK(buf[:n])
		}
	}
	return KeyEncryptionKey{}, errors.New("not a base64-encoded 256-bit key")
}

// Fingerprint identifies the key without revealing it: the first 16 bytes
// of HMAC-SHA256(key, a fixed label), in hex. The store file records the
// fingerprint of the key that wraps its data keys.
func (k KeyEncryptionKey) Fingerprint() string {
	if k.k == nil {
		return ""
	}
	m := hmac.New(sha256.New, k.k[:])
	m.Write([]byte("warden local store key-encryption key fingerprint v1"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// IsZero reports whether k holds no key.
func (k KeyEncryptionKey) IsZero() bool { return k.k == nil }

// Equal reports whether k and o are the same key, in constant time.
func (k KeyEncryptionKey) Equal(o KeyEncryptionKey) bool {
	if k.k == nil || o.k == nil {
		return k.k == o.k
	}
	return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1
}

// String describes the key by its fingerprint, never by its bytes.
func (k KeyEncryptionKey) String() string {
	if k.k == nil {
		return "local.KeyEncryptionKey(none)"
	}
	return "local.KeyEncryptionKey(fingerprint " + k.Fingerprint() + ")"
}

// GoString is String, so that %#v does not print the key either.
func (k KeyEncryptionKey) GoString() string { return k.String() }
