// Package warden is the domain of Warden, a control plane for Salesforce
// integration users: the types every capability shares (orgs, integration
// users, credentials, dependents, health results) and the service
// interfaces that the store, secret and Salesforce packages implement.
package warden

import (
	"errors"
	"fmt"
)

// Error kinds: a small closed set that maps to HTTP status codes and CLI
// exit codes. Salesforce failures carry their own typed cause on top.
const (
	EINVALID      = "invalid"      // bad input; the caller must change it
	ENOTFOUND     = "not_found"    // the named thing does not exist
	ECONFLICT     = "conflict"     // the request conflicts with current state
	EUNAUTHORIZED = "unauthorized" // credentials missing or wrong
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
	EINTERNAL     = "internal"     // a bug or unexpected failure
)

// Error is a failure with a kind and a message safe to show to users.
// Internal details belong in Op and Err: Error includes them, for logs;
// ErrorMessage, which is what users see, does not.
type Error struct {
	Kind    string // one of the E* constants
	Op      string // operation that failed, e.g. "config.Load"
	Message string // safe for users
	Err     error  // underlying cause, for logs
}

// Error returns the operation and the message, or the operation and the
// underlying error when there is no message: the text for logs.
func (e *Error) Error() string {
	switch {
	case e.Op != "" && e.Message != "":
		return e.Op + ": " + e.Message
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Op + ": " + e.Err.Error()
	}
	return e.Op + ": " + e.Kind
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Prefix returns err with its user-facing message prefixed by prefix and
// ": ", keeping its kind: the way to add context that ErrorMessage shows
// (fmt.Errorf's context is for logs only). A nil err stays nil.
func Prefix(prefix string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: ErrorKind(err), Message: prefix + ": " + ErrorMessage(err), Err: err}
}

// ErrorKind returns the kind of err: the kind of the first *Error in its
// chain, or EINTERNAL when there is none. A nil error has no kind ("").
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the Message of the
// first *Error in its chain that has one. The operation names and the
// underlying errors are never part of it (Error gives them, for logs); an
// error without a message yields a generic one for its kind, such as
// "internal error".
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	kind := ErrorKind(err)
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			break
		}
		if e.Message != "" {
			return e.Message
		}
		err = e.Err
	}
	return genericMessages[kind]
}

// genericMessages stand in for errors that carry no safe message.
var genericMessages = map[string]string{
	EINVALID:      "invalid input",
	ENOTFOUND:     "not found",
	ECONFLICT:     "conflict with the current state",
	EUNAUTHORIZED: "unauthorized",
	EFORBIDDEN:    "forbidden",
	EUNAVAILABLE:  "a service Warden depends on is unavailable; retry later",
	EINTERNAL:     "internal error",
}

// ExitCode maps an error kind to a process exit code: 0 success, 2 invalid
// input, 3 not found, 4 conflict, 5 unauthorized or forbidden, 6
// unavailable, 1 anything else.
func ExitCode(err error) int {
	switch ErrorKind(err) {
	case "":
		return 0
	case EINVALID:
		return 2
	case ENOTFOUND:
		return 3
	case ECONFLICT:
		return 4
	case EUNAUTHORIZED, EFORBIDDEN:
		return 5
	case EUNAVAILABLE:
		return 6
	}
	return 1
}

// HTTPStatus maps an error kind to an HTTP status: 400 invalid, 404 not
// found, 409 conflict, 401 unauthorized, 403 forbidden, 503 unavailable,
// 500 anything else. Every server of Warden's (web, auth, broker) answers
// through it.
func HTTPStatus(err error) int {
	switch ErrorKind(err) {
	case EINVALID:
		return 400
	case ENOTFOUND:
		return 404
	case ECONFLICT:
		return 409
	case EUNAUTHORIZED:
		return 401
	case EFORBIDDEN:
		return 403
	case EUNAVAILABLE:
		return 503
	}
	return 500
}
