package warden_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func TestPrefix(t *testing.T) {
	if warden.Prefix("x", nil) != nil {
		t.Error("Prefix of nil is not nil")
	}
	inner := &warden.Error{Kind: warden.ENOTFOUND, Op: "sqlite.Org", Message: `org "acme" not found`}
	err := warden.Prefix("secret store azure", fmt.Errorf("wrapped: %w", inner))
	if warden.ErrorKind(err) != warden.ENOTFOUND || warden.ErrorMessage(err) != `secret store azure: org "acme" not found` || !errors.Is(err, inner) {
		t.Errorf("Prefix: kind %s, message %q", warden.ErrorKind(err), warden.ErrorMessage(err))
	}
	if got := warden.ErrorMessage(warden.Prefix("reading", errors.New("secret detail"))); got != "reading: internal error" {
		t.Errorf("Prefix of an internal error: %q", got)
	}
}

func TestErrorKindAndExitCode(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		kind    string
		code    int
		message string
	}{
		{"nil", nil, "", 0, ""},
		{"invalid", warden.Errorf(warden.EINVALID, "orgs[0].name: must not be empty"), warden.EINVALID, 2, "orgs[0].name: must not be empty"},
		{"wrapped not found", fmt.Errorf("load: %w", warden.Errorf(warden.ENOTFOUND, "no org %q", "acme")), warden.ENOTFOUND, 3, `no org "acme"`},
		{"conflict", warden.Errorf(warden.ECONFLICT, "x"), warden.ECONFLICT, 4, "x"},
		{"forbidden", warden.Errorf(warden.EFORBIDDEN, "x"), warden.EFORBIDDEN, 5, "x"},
		{"unavailable", warden.Errorf(warden.EUNAVAILABLE, "x"), warden.EUNAVAILABLE, 6, "x"},
		{"plain error is internal", errors.New("secret detail"), warden.EINTERNAL, 1, "internal error"},
		{"op is not shown", &warden.Error{Kind: warden.EINVALID, Op: "config.Load", Message: "bad"}, warden.EINVALID, 2, "bad"},
		{"wrapped text is not shown", &warden.Error{Kind: warden.EUNAVAILABLE, Op: "sqlite.Org", Err: errors.New("dial tcp 10.0.0.1: secret detail")},
			warden.EUNAVAILABLE, 6, "a service Warden depends on is unavailable; retry later"},
		{"message below a bare error", &warden.Error{Kind: warden.ENOTFOUND, Op: "a", Err: &warden.Error{Kind: warden.ENOTFOUND, Op: "b", Message: "no org"}},
			warden.ENOTFOUND, 3, "no org"},
		{"internal without message", &warden.Error{Kind: warden.EINTERNAL, Op: "x", Err: errors.New("secret detail")}, warden.EINTERNAL, 1, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := warden.ErrorKind(tt.err); got != tt.kind {
				t.Errorf("ErrorKind = %q, want %q", got, tt.kind)
			}
			if got := warden.ExitCode(tt.err); got != tt.code {
				t.Errorf("ExitCode = %d, want %d", got, tt.code)
			}
			if got := warden.ErrorMessage(tt.err); got != tt.message {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.message)
			}
			if tt.err != nil && strings.Contains(warden.ErrorMessage(tt.err), "secret detail") {
				t.Errorf("ErrorMessage shows the wrapped error: %q", warden.ErrorMessage(tt.err))
			}
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		kind string
		want int
	}{
		{warden.EINVALID, 400}, {warden.ENOTFOUND, 404}, {warden.ECONFLICT, 409}, {warden.EUNAUTHORIZED, 401},
		{warden.EFORBIDDEN, 403}, {warden.EUNAVAILABLE, 503}, {warden.EINTERNAL, 500},
	}
	for _, tt := range tests {
		if got := warden.HTTPStatus(fmt.Errorf("wrapped: %w", warden.Errorf(tt.kind, "x"))); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.kind, got, tt.want)
		}
	}
	if got := warden.HTTPStatus(errors.New("plain")); got != 500 {
		t.Errorf("a plain error: %d", got)
	}
}
