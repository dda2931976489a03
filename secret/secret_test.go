package secret_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"acme/prod/password", true},
		{"A-b_c.d/e", true},
		{".hidden/x", true},
		{strings.Repeat("k", secret.MaxKeyLength), true},
		{"", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{"a/./b", false},
		{"a/..", false},
		{"a b", false},
		{"a\x00", false},
		{"é", false},
		{strings.Repeat("k", secret.MaxKeyLength+1), false},
	}
	for _, tt := range tests {
		err := secret.ValidateKey(tt.key)
		if (err == nil) != tt.ok || err != nil && warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("ValidateKey(%q) = %v; want ok=%v", tt.key, err, tt.ok)
		}
	}
}

func TestValidatePut(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		value []byte
		stage warden.Stage
		tags  map[string]string
		want  string // substring of the error, "" for success
	}{
		{"ok", "k", []byte("v"), warden.StageCurrent, map[string]string{"owner": "x"}, ""},
		{"pending", "k", []byte("v"), warden.StagePending, nil, ""},
		{"bad key first", "", nil, "bogus", nil, "key is empty"},
		{"previous", "k", []byte("v"), warden.StagePrevious, nil, "cannot put"},
		{"empty value", "k", nil, warden.StageCurrent, nil, "value is empty"},
		{"too big", "k", make([]byte, secret.MaxValueSize+1), warden.StageCurrent, nil, "limit"},
		{"reserved tag", "k", []byte("v"), warden.StageCurrent, map[string]string{"WARDEN-x": "1"}, "reserved"},
	}
	for _, tt := range tests {
		err := secret.ValidatePut(tt.key, tt.value, tt.stage, tt.tags)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || warden.ErrorKind(err) != warden.EINVALID):
			t.Errorf("%s: %v; want EINVALID containing %q", tt.name, err, tt.want)
		}
	}
	// Messages never contain values.
	err := secret.ValidatePut("k", []byte(strings.Repeat("s3cret", 3000)), warden.StageCurrent, nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("oversized value error %v", err)
	}
}

func TestContextError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := secret.ContextError("op", fmt.Errorf("wrapped: %w", ctx.Err())); warden.ErrorKind(err) != warden.EUNAVAILABLE {
		t.Errorf("canceled: %v", err)
	}
	if err := secret.ContextError("op", fmt.Errorf("other")); err != nil {
		t.Errorf("other error: %v", err)
	}
}

func TestEqual(t *testing.T) {
	if !secret.Equal([]byte("a"), []byte("a")) || secret.Equal([]byte("a"), []byte("b")) || secret.Equal([]byte("a"), []byte("ab")) {
		t.Error("Equal is wrong")
	}
}
