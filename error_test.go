package warden_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wardenhq/warden"
)

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
		{"op prefix", &warden.Error{Kind: warden.EINVALID, Op: "config.Load", Message: "bad"}, warden.EINVALID, 2, "config.Load: bad"},
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
		})
	}
}
