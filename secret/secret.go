// Package secret holds what Warden's secret store backends share: the
// rules every backend applies to keys, values, stages and tags, so that a
// secret accepted by one backend is accepted by all of them.
//
// The backends live in sub-packages and implement [warden.SecretStore]:
//
//   - secret/local: an encrypted file (the default; envelope encryption
//     under a key-encryption key, AES-256-GCM).
//   - secret/vault: HashiCorp Vault's KV version 2 secrets engine.
//   - secret/azurekv: Azure Key Vault secrets.
//
// secret/secrettest is the conformance suite all three pass. The Vault and
// Azure backends are contract-tested against in-process servers
// (secret/vault/vaulttest and secret/azurekv/azurekvtest, which follow the
// services' documented wire shapes), not against live services.
//
// # Shared rules
//
// A key is 1 to [MaxKeyLength] characters: segments of ASCII letters,
// digits, '.', '_' and '-', separated by single '/'; no empty segment and
// no "." or ".." segment. Keys are case-sensitive in every backend.
//
// A value is 1 to [MaxValueSize] bytes of arbitrary binary data. Empty
// values are rejected (EINVALID): an empty credential is always a bug, and
// rejecting it everywhere keeps the backends consistent.
//
// Put accepts only [warden.StageCurrent] and [warden.StagePending]. A Put
// to current supersedes any pending version (a rotation in flight then
// fails to promote rather than overwrite the newer value); a Put to
// pending replaces any earlier pending version. Discard and Promote fail
// with ENOTFOUND when nothing is pending; Delete fails with ENOTFOUND when
// the key does not exist. A discarded or superseded version stays in the
// history with no stage.
//
// Tags are at most [MaxTags] pairs; names are 1 to 64 characters of ASCII
// letters, digits, '.', '_' and '-', values valid UTF-8 of at most 256
// bytes. Names beginning with "warden" (any case) are reserved for the
// backends' own bookkeeping. Tags are set by Put and never change.
//
// Version ids are backend-specific strings: decimal numbers counting from
// 1 for local and Vault, Key Vault's 32-hex-digit ids for Azure. A version
// id that names nothing (including a malformed one) is ENOTFOUND; an empty
// one is EINVALID.
package secret

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// Limits shared by every backend. MaxValueSize keeps a base64-encoded
// value under Azure Key Vault's 25 KiB secret size limit.
const (
	MaxKeyLength      = 200
	MaxValueSize      = 16 << 10
	MaxTags           = 10
	MaxTagNameLength  = 64
	MaxTagValueLength = 256
	// ReservedTagPrefix starts tag names that only backends may use.
	ReservedTagPrefix = "warden"
)

// ValidateKey returns an EINVALID error unless key follows the key rules
// in the package documentation. The message quotes the key, which is a
// name and never secret material.
func ValidateKey(key string) error {
	if key == "" {
		return warden.Errorf(warden.EINVALID, "secret key is empty")
	}
	if len(key) > MaxKeyLength {
		return warden.Errorf(warden.EINVALID, "secret key is longer than %d characters", MaxKeyLength)
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return warden.Errorf(warden.EINVALID, "secret key %q has an empty segment (leading, trailing or double '/')", printable(key))
		case ".", "..":
			return warden.Errorf(warden.EINVALID, "secret key %q has a %q segment", printable(key), seg)
		}
		for i := 0; i < len(seg); i++ {
			if !nameByte(seg[i]) {
				return warden.Errorf(warden.EINVALID, "secret key %q has a character outside A-Z a-z 0-9 . _ - /", printable(key))
			}
		}
	}
	return nil
}

// ValidateValue returns an EINVALID error when value is empty or larger
// than MaxValueSize. The message never includes the value.
func ValidateValue(value []byte) error {
	if len(value) == 0 {
		return warden.Errorf(warden.EINVALID, "secret value is empty")
	}
	if len(value) > MaxValueSize {
		return warden.Errorf(warden.EINVALID, "secret value is %d bytes; the limit is %d", len(value), MaxValueSize)
	}
	return nil
}

// ValidatePutStage returns an EINVALID error unless stage is one Put
// accepts: current or pending.
func ValidatePutStage(stage warden.Stage) error {
	switch stage {
	case warden.StageCurrent, warden.StagePending:
		return nil
	}
	return warden.Errorf(warden.EINVALID, "cannot put a secret in stage %q: use %q or %q", printable(string(stage)), warden.StageCurrent, warden.StagePending)
}

// ValidateStage returns an EINVALID error unless stage is current, pending
// or previous.
func ValidateStage(stage warden.Stage) error {
	switch stage {
	case warden.StageCurrent, warden.StagePending, warden.StagePrevious:
		return nil
	}
	return warden.Errorf(warden.EINVALID, "unknown secret stage %q", printable(string(stage)))
}

// ValidateTags returns an EINVALID error unless tags follow the tag rules
// in the package documentation.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return warden.Errorf(warden.EINVALID, "%d tags; the limit is %d", len(tags), MaxTags)
	}
	for name, value := range tags {
		if name == "" || len(name) > MaxTagNameLength {
			return warden.Errorf(warden.EINVALID, "tag name must be 1 to %d characters", MaxTagNameLength)
		}
		for i := 0; i < len(name); i++ {
			if !nameByte(name[i]) || name[i] == '/' {
				return warden.Errorf(warden.EINVALID, "tag name %q has a character outside A-Z a-z 0-9 . _ -", printable(name))
			}
		}
		if len(name) >= len(ReservedTagPrefix) && strings.EqualFold(name[:len(ReservedTagPrefix)], ReservedTagPrefix) {
			return warden.Errorf(warden.EINVALID, "tag name %q is reserved (names beginning with %q belong to the backend)", name, ReservedTagPrefix)
		}
		if len(value) > MaxTagValueLength || !utf8.ValidString(value) {
			return warden.Errorf(warden.EINVALID, "tag %q: value must be valid UTF-8 of at most %d bytes", name, MaxTagValueLength)
		}
	}
	return nil
}

// ValidatePut applies every rule Put checks, in a fixed order, so that
// backends report the same error for the same bad input.
func ValidatePut(key string, value []byte, stage warden.Stage, tags map[string]string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ValidatePutStage(stage); err != nil {
		return err
	}
	if err := ValidateValue(value); err != nil {
		return err
	}
	return ValidateTags(tags)
}

// CloneTags returns a copy of tags, or nil when tags is empty.
func CloneTags(tags map[string]string) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	return maps.Clone(tags)
}

// Equal reports whether two secret values are equal, in time that depends
// only on their lengths.
func Equal(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// WithOp sets the operation name on err when it is a *warden.Error without
// one, and returns err.
func WithOp(op string, err error) error {
	if e, ok := err.(*warden.Error); ok && e.Op == "" {
		e.Op = op
	}
	return err
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/'
}

// printable shortens s and makes it safe to quote in a message.
func printable(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// ContextError returns err as an EUNAVAILABLE error for op when it comes
// from a canceled or expired context, and nil otherwise.
func ContextError(op string, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "request canceled", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &warden.Error{Kind: warden.EUNAVAILABLE, Op: op, Message: "request timed out", Err: err}
	}
	return nil
}

// NotFound returns the ENOTFOUND error every backend gives for a missing
// key.
func NotFound(op, key string) error {
	return &warden.Error{Kind: warden.ENOTFOUND, Op: op, Message: fmt.Sprintf("secret %q not found", key)}
}

// KeyLocks serializes writers per key within one store. The zero value is
// ready to use.
type KeyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// Lock locks key and returns the function that unlocks it.
func (l *KeyLocks) Lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*keyLock{}
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()
	k.mu.Lock()
	return func() {
		k.mu.Unlock()
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}
