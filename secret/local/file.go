package local

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/secret"
)

// File format identifiers.
const (
	fileFormat  = "warden-secrets"
	fileVersion = 1
)

// Sizes of the sealed fields: AES-256-GCM with a random 96-bit nonce
// prepended and a 128-bit tag appended.
const (
	nonceSize   = 12
	tagSize     = 16
	dataKeySize = 32
	sealedDEK   = nonceSize + dataKeySize + tagSize
	minSealed   = nonceSize + 1 + tagSize
	maxSealed   = nonceSize + secret.MaxValueSize + tagSize
	idSize      = 16 // bytes of a version's random id
)

// fileData is the whole store file. Everything but the sealed fields is
// plaintext metadata: key names, version numbers, stages, tags and times.
type fileData struct {
	Format  string             `json:"format"`
	Version int                `json:"version"`
	KEK     string             `json:"kek"` // fingerprint of the key-encryption key
	Secrets map[string]*record `json:"secrets"`
}

// record is one key: its versions, oldest first, and which version holds
// each stage (0 for none).
type record struct {
	Current  int        `json:"current,omitempty"`
	Pending  int        `json:"pending,omitempty"`
	Previous int        `json:"previous,omitempty"`
	Versions []*version `json:"versions"`
}

// version is one sealed value. DEK is the data key sealed under the
// key-encryption key; Value is the value sealed under the data key. Both
// are nonce || ciphertext || tag, base64 in JSON.
type version struct {
	Version int               `json:"version"`
	ID      string            `json:"id"`
	Created time.Time         `json:"created"`
	Tags    map[string]string `json:"tags,omitempty"`
	DEK     []byte            `json:"dek"`
	Value   []byte            `json:"value"`
}

// stageOf returns the stage the record gives version v.
func (r *record) stageOf(v int) string {
	switch v {
	case r.Current:
		return "current"
	case r.Pending:
		return "pending"
	case r.Previous:
		return "previous"
	}
	return ""
}

// find returns the version numbered n, or nil.
func (r *record) find(n int) *version {
	if n <= 0 {
		return nil
	}
	for _, v := range r.Versions {
		if v.Version == n {
			return v
		}
	}
	return nil
}

// clone returns a copy of r that can be changed without changing r. The
// versions themselves are shared: they are never modified in place.
func (r *record) clone() *record {
	c := *r
	c.Versions = append([]*version(nil), r.Versions...)
	return &c
}

// decodeFile parses and validates a store file. The input is untrusted
// (anyone who can write the file controls it), so every field is checked
// before use; decryption authenticates the sealed fields later.
func decodeFile(data []byte) (*fileData, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileData
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a valid store file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a valid store file: data after the JSON document")
	}
	if f.Format != fileFormat {
		return nil, fmt.Errorf("not a store file: format %q, want %q", f.Format, fileFormat)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("store file version %d is not supported (this build reads version %d)", f.Version, fileVersion)
	}
	if len(f.KEK) != 32 || !isLowerHex(f.KEK) {
		return nil, errors.New("store file has a malformed key-encryption key fingerprint")
	}
	if f.Secrets == nil {
		f.Secrets = map[string]*record{}
	}
	for key, r := range f.Secrets {
		if err := secret.ValidateKey(key); err != nil {
			return nil, fmt.Errorf("store file has an invalid key: %w", err)
		}
		if err := validateRecord(r); err != nil {
			return nil, fmt.Errorf("store file: key %q: %w", key, err)
		}
	}
	return &f, nil
}

func validateRecord(r *record) error {
	if r == nil || len(r.Versions) == 0 {
		return errors.New("no versions")
	}
	ids := make(map[string]bool, len(r.Versions))
	for i, v := range r.Versions {
		if v == nil {
			return errors.New("null version")
		}
		if v.Version <= 0 || i > 0 && v.Version <= r.Versions[i-1].Version {
			return errors.New("version numbers must be positive and increasing")
		}
		if len(v.ID) != 2*idSize || !isLowerHex(v.ID) || ids[v.ID] {
			return fmt.Errorf("version %d: malformed or duplicate id", v.Version)
		}
		ids[v.ID] = true
		if v.Created.IsZero() {
			return fmt.Errorf("version %d: no creation time", v.Version)
		}
		if err := validateStoredTags(v.Tags); err != nil {
			return fmt.Errorf("version %d: %w", v.Version, err)
		}
		if len(v.DEK) != sealedDEK {
			return fmt.Errorf("version %d: sealed data key is %d bytes, want %d", v.Version, len(v.DEK), sealedDEK)
		}
		if len(v.Value) < minSealed || len(v.Value) > maxSealed {
			return fmt.Errorf("version %d: sealed value has an impossible size (%d bytes)", v.Version, len(v.Value))
		}
	}
	stages := []struct {
		name string
		n    int
	}{{"current", r.Current}, {"pending", r.Pending}, {"previous", r.Previous}}
	for i, s := range stages {
		if s.n == 0 {
			continue
		}
		if r.find(s.n) == nil {
			return fmt.Errorf("%s stage names missing version %d", s.name, s.n)
		}
		for _, o := range stages[:i] {
			if o.n == s.n {
				return fmt.Errorf("version %d is both %s and %s", s.n, o.name, s.name)
			}
		}
	}
	return nil
}

// validateStoredTags applies the tag rules Put applies.
func validateStoredTags(tags map[string]string) error {
	if tags != nil && len(tags) == 0 {
		return errors.New("empty tag map") // keeps encode(decode(x)) == x
	}
	if err := secret.ValidateTags(tags); err != nil {
		return errors.New("invalid tags")
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// encodeFile renders f as indented JSON.
func encodeFile(f *fileData) ([]byte, error) {
	return json.MarshalIndent(f, "", "  ")
}

// writeFileAtomic replaces path with data: it writes a temporary file in
// the same directory with mode 0600, syncs it, renames it over path and
// syncs the directory, so a crash leaves either the old or the new file.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every platform can sync a directory
		d.Close()
	}
	return nil
}

// removeStaleTemps deletes the temporary files that writeFileAtomic left
// beside path when the process died before renaming them (each a full
// copy of the ciphertext). Callers hold the store's exclusive lock, so no
// write is in progress.
func removeStaleTemps(path string) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, "."+base+".") && strings.HasSuffix(n, ".tmp") {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// lengthPrefixed appends each part as a decimal length, ':' and the bytes,
// so that no two different part lists produce the same additional data.
func lengthPrefixed(label string, parts ...string) []byte {
	b := []byte(label)
	for _, p := range parts {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	return b
}

// newID returns a random version id.
func newID() string {
	return hex.EncodeToString(randomBytes(idSize))
}
