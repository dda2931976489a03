package salesforce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Evidence is what a monitoring session saw about a user while diagnosing a
// failed login.
type Evidence struct {
	Found            bool
	UserID           string
	IsActive         bool
	IsFrozen         bool
	IsPasswordLocked bool
	PasswordExpired  bool
	// LastLogins are the user's most recent LoginHistory rows, newest
	// first.
	LastLogins []warden.Login
	// Gaps lists what could not be read (a missing permission, say).
	Gaps []string
}

// String summarises the evidence for an error message.
func (ev *Evidence) String() string {
	if !ev.Found {
		return "no such user is visible to the monitoring user"
	}
	parts := []string{fmt.Sprintf("User.IsActive=%t", ev.IsActive)}
	if !ev.gap("UserLogin") {
		parts = append(parts, fmt.Sprintf("UserLogin.IsFrozen=%t", ev.IsFrozen), fmt.Sprintf("UserLogin.IsPasswordLocked=%t", ev.IsPasswordLocked))
	}
	if !ev.gap("password") {
		parts = append(parts, fmt.Sprintf("password isExpired=%t", ev.PasswordExpired))
	}
	if len(ev.LastLogins) > 0 {
		l := ev.LastLogins[0]
		parts = append(parts, fmt.Sprintf("last login %s: %q (%s, %s)", l.Time.UTC().Format(time.RFC3339), l.Status, l.LoginType, l.SourceIP))
	} else if !ev.gap("LoginHistory") {
		parts = append(parts, "no LoginHistory rows")
	}
	for _, g := range ev.Gaps {
		parts = append(parts, "could not read "+g)
	}
	return strings.Join(parts, "; ")
}

func (ev *Evidence) gap(what string) bool {
	for _, g := range ev.Gaps {
		if strings.HasPrefix(g, what) {
			return true
		}
	}
	return false
}

// Inspect reads, with a monitoring (admin) session, what Salesforce knows
// about a user's ability to log in: User.IsActive, UserLogin.IsFrozen and
// IsPasswordLocked, the password resource's isExpired and the latest
// LoginHistory rows, all in one composite request. The monitoring user
// needs Manage Users (or View All Data for LoginHistory).
func Inspect(ctx context.Context, monitor *Session, username string) (*Evidence, error) {
	userID := Quote("@{user.records[0].Id}")
	var b Batch
	users := Users("WHERE Username = "+Quote(username)).AddTo(&b, "user")
	logins := UserLogins("WHERE UserId = "+userID).AddTo(&b, "login")
	password := b.Request(Subrequest{Method: "GET", URL: "sobjects/User/@{user.records[0].Id}/password", ReferenceID: "password"})
	history := LoginHistory("WHERE UserId = "+userID+" ORDER BY LoginTime DESC LIMIT 5").AddTo(&b, "history")
	if err := b.Send(ctx, monitor); err != nil {
		return nil, err
	}
	ev := &Evidence{}
	if users.Err != nil {
		return nil, users.Err
	}
	if len(users.Records) == 0 {
		return ev, nil
	}
	u := users.Records[0]
	ev.Found, ev.UserID, ev.IsActive = true, u.ID, u.IsActive
	if logins.Err != nil {
		ev.Gaps = append(ev.Gaps, "UserLogin ("+briefError(logins.Err)+")")
	} else if len(logins.Records) > 0 {
		ev.IsFrozen, ev.IsPasswordLocked = logins.Records[0].IsFrozen, logins.Records[0].IsPasswordLocked
	}
	var pw PasswordStatus
	if err := password.Decode(&pw); err != nil {
		ev.Gaps = append(ev.Gaps, "password ("+briefError(err)+")")
	} else {
		ev.PasswordExpired = pw.IsExpired
	}
	if history.Err != nil {
		ev.Gaps = append(ev.Gaps, "LoginHistory ("+briefError(history.Err)+")")
	}
	ev.LastLogins = history.Records
	return ev, nil
}

func briefError(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code + ": " + e.Message
		}
		return e.Message
	}
	return "failed"
}

// Diagnose refines a failed login. Salesforce answers most user-state
// problems at login with a generic "authentication failure" (or SOAP
// INVALID_LOGIN), which this package reports as
// warden.CauseCredentialRejected. Diagnose inspects the user with a
// monitoring session (see Inspect) and returns a copy of the login error
// with the precise cause (user_deactivated, user_frozen, password_locked,
// password_expired, login_rate_exceeded, security_token_required,
// legacy_auth_disabled, ip_or_hours_restricted, ...) and the evidence
// appended to its Message; Code keeps Salesforce's raw code. A login
// error that already carries a precise cause is returned unchanged, and
// so is a nil error. When the inspection itself fails, the login error is
// returned with a note saying why it could not be refined.
func Diagnose(ctx context.Context, monitor *Session, username string, loginErr error) error {
	if loginErr == nil {
		return nil
	}
	var le *Error
	if !errors.As(loginErr, &le) {
		le = &Error{Op: "salesforce.Diagnose", Message: warden.ErrorMessage(loginErr), Cause: warden.CauseCredentialRejected, err: loginErr}
	}
	if le.Cause != warden.CauseCredentialRejected && le.Cause != warden.CauseNone {
		return loginErr
	}
	out := *le
	ev, err := Inspect(ctx, monitor, username)
	if err != nil {
		out.Message += " [diagnosis failed: " + briefError(err) + "]"
		return &out
	}
	if c := ev.verdict(le.Op); c != warden.CauseNone {
		out.Cause = c
	}
	out.Message += " [diagnosed: " + ev.String() + "]"
	return &out
}

// verdict picks the cause the evidence proves, in the order Salesforce
// checks a login: the user's state flags first, then the status of the
// latest recorded attempt, then (for password logins) expiry.
func (ev *Evidence) verdict(op string) warden.Cause {
	switch {
	case !ev.Found:
		return warden.CauseCredentialRejected
	case !ev.IsActive:
		return warden.CauseUserDeactivated
	case ev.IsFrozen:
		return warden.CauseUserFrozen
	case ev.IsPasswordLocked:
		return warden.CausePasswordLocked
	}
	if len(ev.LastLogins) > 0 {
		if c := LoginStatusCause(ev.LastLogins[0].Status); c != warden.CauseNone {
			return c
		}
	}
	if ev.PasswordExpired && (op == "salesforce.PasswordGrant" || op == "salesforce.SOAPLogin") {
		return warden.CausePasswordExpired
	}
	return warden.CauseNone
}
