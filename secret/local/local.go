// Package local is Warden's default secret store: a single encrypted file
// on local disk, implementing [warden.SecretStore].
//
// # Encryption
//
// Envelope encryption with AES-256-GCM throughout. Every version of every
// secret gets its own random 256-bit data key. The value is sealed under
// the data key with additional data binding it to its record (the key
// name, the version number, a random per-version id that does not change
// with the stage, and the tags), so a ciphertext moved to another record
// fails to decrypt. The data key is sealed under the key-encryption key
// (KEK) with additional data naming the key and version. Nonces are random
// (96 bits) and stored in front of each ciphertext.
//
// The KEK never touches the store file; the file records only its
// fingerprint (a keyed hash, see [KeyEncryptionKey.Fingerprint]), so
// opening a store with the wrong KEK fails at once with "key-encryption key
// does not match: fingerprint ..." instead of producing garbage. KEKs come
// from a file ([KEKFromFile], which refuses files readable by group or
// others), an environment variable ([KEKFromEnv]) or are generated
// ([GenerateKEKFile]). [Store.RotateKEK] re-wraps every data key under a
// new KEK in one atomic file replacement: all or nothing.
//
// # File format
//
// One JSON file (format "warden-secrets", version 1) holds the whole
// store:
//
//	{
//	  "format": "warden-secrets",
//	  "version": 1,
//	  "kek": "<fingerprint of the KEK, 32 hex digits>",
//	  "secrets": {
//	    "<key>": {
//	      "current": 3, "pending": 4, "previous": 2,
//	      "versions": [
//	        {"version": 2, "id": "<32 hex>", "created": "<RFC 3339>",
//	         "tags": {"owner": "billing"},
//	         "dek": "<base64 nonce|sealed data key|tag>",
//	         "value": "<base64 nonce|sealed value|tag>"},
//	        ...
//	      ]
//	    }
//	  }
//	}
//
// Key names, version numbers, stages, tags and times are plaintext
// metadata; only values are secret. Every change rewrites the file through
// a temporary file in the same directory (mode 0600), fsync, rename and a
// directory fsync, so a crash leaves the old file or the new one. A mutex
// serializes operations within the process, and each operation holds an
// advisory lock on "<path>.lock" (on Unix: shared to read, exclusive to
// write), reloading the file when another process changed it, so several
// processes (warden serve and the CLI) can share one store. The decoder treats the file as untrusted input and is fuzzed.
//
// # Versions and stages
//
// Version ids are decimal numbers counting from 1 per key. Stages are
// pointers in the key's record, so promoting or discarding never touches
// ciphertext. The store keeps the newest [Options.MaxVersions] versions of
// each key (10 by default) and never drops a version that holds a stage.
package local

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/fileread"
	"github.com/wardenhq/warden/secret"
)

// DefaultMaxVersions is how many versions of a key the store keeps when
// Options.MaxVersions is zero.
const DefaultMaxVersions = 10

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// MaxVersions is how many versions of each key to keep (versions
	// holding a stage are always kept). Zero means DefaultMaxVersions.
	MaxVersions int
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
}

// Store is an encrypted, file-backed secret store. It is safe for
// concurrent use. Close releases the file lock.
type Store struct {
	path string
	opts Options

	mu    sync.Mutex
	kek   cipher.AEAD // nil once closed
	fp    string      // the KEK's fingerprint
	data  *fileData   // replaced, never modified, on every change
	stamp os.FileInfo // the file as data was last read or written
}

var _ warden.SecretStore = (*Store)(nil)

// Open opens the store file at path with the given key-encryption key,
// creating the file (and its directory, mode 0700) if it does not exist.
// It fails if another process has the file open, if the file is not a
// valid store file, or if it was written under a different KEK.
func Open(path string, kek KeyEncryptionKey) (*Store, error) {
	return OpenWithOptions(path, kek, Options{})
}

// OpenWithOptions is Open with options.
func OpenWithOptions(path string, kek KeyEncryptionKey, opts Options) (*Store, error) {
	const op = "local.Open"
	if kek.IsZero() {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "no key-encryption key"}
	}
	if opts.MaxVersions < 0 {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "MaxVersions must not be negative"}
	}
	if opts.MaxVersions == 0 {
		opts.MaxVersions = DefaultMaxVersions
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("cannot create the directory of %s", path), Err: err}
	}
	unlock, err := lockFile(path+".lock", true)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("cannot lock %s", path), Err: err}
	}
	defer unlock()
	removeStaleTemps(path)
	return open(path, kek, opts)
}

// maxFileSize bounds the store file Open reads.
const maxFileSize = 256 << 20

func open(path string, kek KeyEncryptionKey, opts Options) (*Store, error) {
	const op = "local.Open"
	s := &Store{path: path, opts: opts, kek: newAEAD(kek.k[:]), fp: kek.Fingerprint()}
	raw, err := fileread.Read("secret store", path, maxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.data = &fileData{Format: fileFormat, Version: fileVersion, KEK: kek.Fingerprint(), Secrets: map[string]*record{}}
		if err := s.write(s.data); err != nil {
			return nil, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("cannot create secret store %s", path), Err: err}
		}
		return s, nil
	case err != nil:
		return nil, err
	}
	defer clear(raw)
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o007 != 0 {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf(
			"secret store %s is accessible by other users (mode %04o); restrict it with: chmod 600 %s", path, fi.Mode().Perm(), path)}
	}
	if err := s.load(op, raw); err != nil {
		return nil, err
	}
	return s, nil
}

// load decodes the store file's bytes and checks they were written under
// this store's KEK. Callers hold s.mu (or own s exclusively).
func (s *Store) load(op string, raw []byte) error {
	data, err := decodeFile(raw)
	if err != nil {
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: fmt.Sprintf("secret store %s: %v", s.path, err), Err: err}
	}
	if subtle.ConstantTimeCompare([]byte(s.fp), []byte(data.KEK)) != 1 {
		return &warden.Error{Kind: warden.EUNAUTHORIZED, Op: op, Message: fmt.Sprintf(
			"key-encryption key does not match: fingerprint %s, but secret store %s was written under the key with fingerprint %s", s.fp, s.path, data.KEK)}
	}
	s.data = data
	s.stamp, _ = os.Stat(s.path)
	return nil
}

// lock takes the store file's lock (shared to read, exclusive to write) for
// one operation, and reloads the file if another process changed it since
// this store last read or wrote it. Callers hold s.mu.
func (s *Store) lock(op string, exclusive bool) (func() error, error) {
	unlock, err := lockFile(s.path+".lock", exclusive)
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("cannot lock %s", s.path), Err: err}
	}
	cur, err := os.Stat(s.path)
	if err == nil && s.stamp != nil && os.SameFile(cur, s.stamp) && cur.ModTime().Equal(s.stamp.ModTime()) && cur.Size() == s.stamp.Size() {
		return unlock, nil
	}
	raw, err := fileread.Read("secret store", s.path, maxFileSize)
	if err == nil {
		err = s.load(op, raw)
		clear(raw)
	}
	if err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// Path returns the store file's path.
func (s *Store) Path() string { return s.path }

// Close forgets the key and the data. Later calls fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kek, s.data = nil, nil
	return nil
}

// Put seals value as a new version of key. See package secret for the
// stage rules.
func (s *Store) Put(ctx context.Context, key string, value []byte, stage warden.Stage, tags map[string]string) (warden.SecretVersion, error) {
	const op = "local.Put"
	if err := secret.ValidatePut(key, value, stage, tags); err != nil {
		return warden.SecretVersion{}, secret.WithOp(op, err)
	}
	var out warden.SecretVersion
	err := s.update(ctx, op, key, func(r *record) (*record, error) {
		if r == nil {
			r = &record{}
		}
		n := 1
		if len(r.Versions) > 0 {
			n = r.Versions[len(r.Versions)-1].Version + 1
		}
		v := &version{Version: n, ID: newID(), Created: s.opts.Now().UTC().Round(0), Tags: secret.CloneTags(tags)}
		dek := randomBytes(dataKeySize)
		defer clear(dek)
		v.Value = newAEAD(dek).Seal(nil, nil, value, valueAAD(key, v))
		v.DEK = s.kek.Seal(nil, nil, dek, dekAAD(key, n))
		r.Versions = append(r.Versions, v)
		if stage == warden.StageCurrent {
			if r.Current != 0 {
				r.Previous = r.Current
			}
			r.Current, r.Pending = n, 0
		} else {
			r.Pending = n
		}
		r.prune(s.opts.MaxVersions)
		out = s.describe(key, r, v)
		return r, nil
	})
	return out, err
}

// Get returns the version of key in stage.
func (s *Store) Get(ctx context.Context, key string, stage warden.Stage) (*warden.Secret, error) {
	const op = "local.Get"
	if err := secret.ValidateKey(key); err != nil {
		return nil, secret.WithOp(op, err)
	}
	if err := secret.ValidateStage(stage); err != nil {
		return nil, secret.WithOp(op, err)
	}
	r, kek, err := s.read(ctx, op, key)
	if err != nil {
		return nil, err
	}
	n := map[warden.Stage]int{warden.StageCurrent: r.Current, warden.StagePending: r.Pending, warden.StagePrevious: r.Previous}[stage]
	if n == 0 {
		return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no %s version", key, stage)}
	}
	return s.unseal(op, kek, key, r, r.find(n))
}

// GetVersion returns the version of key numbered version.
func (s *Store) GetVersion(ctx context.Context, key, version string) (*warden.Secret, error) {
	const op = "local.GetVersion"
	if err := secret.ValidateKey(key); err != nil {
		return nil, secret.WithOp(op, err)
	}
	if version == "" {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: op, Message: "empty version"}
	}
	r, kek, err := s.read(ctx, op, key)
	if err != nil {
		return nil, err
	}
	v := r.find(parseVersion(version))
	if v == nil {
		return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no version %q", key, version)}
	}
	return s.unseal(op, kek, key, r, v)
}

// Versions lists key's versions, newest first.
func (s *Store) Versions(ctx context.Context, key string) ([]warden.SecretVersion, error) {
	const op = "local.Versions"
	if err := secret.ValidateKey(key); err != nil {
		return nil, secret.WithOp(op, err)
	}
	r, _, err := s.read(ctx, op, key)
	if err != nil {
		return nil, err
	}
	out := make([]warden.SecretVersion, 0, len(r.Versions))
	for i := len(r.Versions) - 1; i >= 0; i-- {
		out = append(out, s.describe(key, r, r.Versions[i]))
	}
	return out, nil
}

// Promote makes the pending version current and the current previous.
func (s *Store) Promote(ctx context.Context, key string) error {
	const op = "local.Promote"
	if err := secret.ValidateKey(key); err != nil {
		return secret.WithOp(op, err)
	}
	return s.update(ctx, op, key, func(r *record) (*record, error) {
		if r == nil {
			return nil, secret.NotFound(op, key)
		}
		if r.Pending == 0 {
			return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no pending version to promote", key)}
		}
		if r.Current != 0 {
			r.Previous = r.Current
		}
		r.Current, r.Pending = r.Pending, 0
		r.prune(s.opts.MaxVersions)
		return r, nil
	})
}

// Discard drops the pending stage; the version stays in the history.
func (s *Store) Discard(ctx context.Context, key string) error {
	const op = "local.Discard"
	if err := secret.ValidateKey(key); err != nil {
		return secret.WithOp(op, err)
	}
	return s.update(ctx, op, key, func(r *record) (*record, error) {
		if r == nil {
			return nil, secret.NotFound(op, key)
		}
		if r.Pending == 0 {
			return nil, &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q has no pending version to discard", key)}
		}
		r.Pending = 0
		r.prune(s.opts.MaxVersions)
		return r, nil
	})
}

// Delete removes key and every version of it from the file.
func (s *Store) Delete(ctx context.Context, key string) error {
	const op = "local.Delete"
	if err := secret.ValidateKey(key); err != nil {
		return secret.WithOp(op, err)
	}
	return s.update(ctx, op, key, func(r *record) (*record, error) {
		if r == nil {
			return nil, secret.NotFound(op, key)
		}
		return nil, nil
	})
}

// RotateKEK re-wraps every data key under newKEK and records newKEK's
// fingerprint, in one atomic replacement of the file: if any data key
// fails to unwrap, or the write fails, nothing changes. Afterwards only
// newKEK opens the store.
func (s *Store) RotateKEK(ctx context.Context, newKEK KeyEncryptionKey) error {
	const op = "local.RotateKEK"
	if newKEK.IsZero() {
		return &warden.Error{Kind: warden.EINVALID, Op: op, Message: "no new key-encryption key"}
	}
	if err := ctx.Err(); err != nil {
		return secret.ContextError(op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return errClosed(op)
	}
	unlock, err := s.lock(op, true)
	if err != nil {
		return err
	}
	defer unlock()
	next := newAEAD(newKEK.k[:])
	data := &fileData{Format: fileFormat, Version: fileVersion, KEK: newKEK.Fingerprint(), Secrets: make(map[string]*record, len(s.data.Secrets))}
	for key, r := range s.data.Secrets {
		nr := r.clone()
		for i, v := range nr.Versions {
			dek, err := s.kek.Open(nil, nil, v.DEK, dekAAD(key, v.Version))
			if err != nil {
				return tampered(op, key, v.Version, "data key", err)
			}
			nv := *v
			nv.DEK = next.Seal(nil, nil, dek, dekAAD(key, v.Version))
			clear(dek)
			nr.Versions[i] = &nv
		}
		data.Secrets[key] = nr
	}
	if err := s.write(data); err != nil {
		return &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("cannot write secret store %s; the old key-encryption key still applies", s.path), Err: err}
	}
	s.kek, s.data, s.fp = next, data, newKEK.Fingerprint()
	s.stamp, _ = os.Stat(s.path)
	return nil
}

// read returns key's record and the KEK cipher to open it with.
func (s *Store) read(ctx context.Context, op, key string) (*record, cipher.AEAD, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, secret.ContextError(op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return nil, nil, errClosed(op)
	}
	unlock, err := s.lock(op, false)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	r := s.data.Secrets[key]
	if r == nil {
		return nil, nil, secret.NotFound(op, key)
	}
	return r, s.kek, nil
}

// update applies fn to a copy of key's record (nil if absent) and writes
// the file with the result (nil deletes the key). The store changes only
// if the write succeeds.
func (s *Store) update(ctx context.Context, op, key string, fn func(*record) (*record, error)) error {
	if err := ctx.Err(); err != nil {
		return secret.ContextError(op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return errClosed(op)
	}
	unlock, err := s.lock(op, true)
	if err != nil {
		return err
	}
	defer unlock()
	var r *record
	if old := s.data.Secrets[key]; old != nil {
		r = old.clone()
	}
	r, err = fn(r)
	if err != nil {
		return err
	}
	data := *s.data
	data.Secrets = maps.Clone(s.data.Secrets)
	if r == nil {
		delete(data.Secrets, key)
	} else {
		data.Secrets[key] = r
	}
	if err := s.write(&data); err != nil {
		return &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf("cannot write secret store %s", s.path), Err: err}
	}
	s.data = &data
	s.stamp, _ = os.Stat(s.path)
	return nil
}

func (s *Store) write(data *fileData) error {
	b, err := encodeFile(data)
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, b)
}

func (s *Store) unseal(op string, kek cipher.AEAD, key string, r *record, v *version) (*warden.Secret, error) {
	dek, err := kek.Open(nil, nil, v.DEK, dekAAD(key, v.Version))
	if err != nil {
		return nil, tampered(op, key, v.Version, "data key", err)
	}
	defer clear(dek)
	value, err := newAEAD(dek).Open(nil, nil, v.Value, valueAAD(key, v))
	if err != nil {
		return nil, tampered(op, key, v.Version, "value", err)
	}
	return &warden.Secret{SecretVersion: s.describe(key, r, v), Value: value}, nil
}

func (s *Store) describe(key string, r *record, v *version) warden.SecretVersion {
	return warden.SecretVersion{
		Key:       key,
		Version:   strconv.Itoa(v.Version),
		Stage:     warden.Stage(r.stageOf(v.Version)),
		CreatedAt: v.Created,
		Tags:      secret.CloneTags(v.Tags),
	}
}

// prune drops the oldest versions that hold no stage until at most max
// remain (or only staged versions are left to drop).
func (r *record) prune(max int) {
	excess := len(r.Versions) - max
	if excess <= 0 {
		return
	}
	kept := r.Versions[:0:0]
	for _, v := range r.Versions {
		if excess > 0 && r.stageOf(v.Version) == "" {
			excess--
			continue
		}
		kept = append(kept, v)
	}
	r.Versions = kept
}

// valueAAD binds a sealed value to its record: key, version number,
// per-version id and tags.
func valueAAD(key string, v *version) []byte {
	tags, _ := json.Marshal(v.Tags) // map keys are sorted: deterministic
	return lengthPrefixed("warden/local/value/v1", key, strconv.Itoa(v.Version), v.ID, string(tags))
}

// dekAAD binds a sealed data key to its key name and version number.
func dekAAD(key string, n int) []byte {
	return lengthPrefixed("warden/local/dek/v1", key, strconv.Itoa(n))
}

// newAEAD returns AES-256-GCM with random nonces prepended to the
// ciphertext.
func newAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("local: " + err.Error()) // key sizes are fixed: unreachable
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic("local: " + err.Error())
	}
	return aead
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// parseVersion returns the version number s names in canonical decimal
// form, or 0.
func parseVersion(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || strconv.Itoa(n) != s {
		return 0
	}
	return n
}

func errClosed(op string) error {
	return &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: "secret store is closed"}
}

func tampered(op, key string, n int, what string, err error) error {
	return &warden.Error{Kind: warden.EINTERNAL, Op: op, Message: fmt.Sprintf(
		"secret %q version %d: %s failed to decrypt: the store file was modified, corrupted or has records swapped", key, n, what), Err: err}
}
