package auth

import (
	"context"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// CreateAccount adds a local account with a role and a password, which
// it hashes with argon2id. The action is audited.
func (s *Service) CreateAccount(ctx context.Context, username string, role warden.Role, password string) (*warden.Account, error) {
	a, err := s.createAccount(ctx, username, role, password)
	s.audit(ctx, "account.create", "account:"+username, err)
	return a, err
}

func (s *Service) createAccount(ctx context.Context, username string, role warden.Role, password string) (*warden.Account, error) {
	if !role.Valid() {
		return nil, warden.Errorf(warden.EINVALID, "role %q is not admin, operator or viewer", role)
	}
	hash, err := HashPassword(password, s.o.Argon2)
	if err != nil {
		return nil, err
	}
	a := &warden.Account{Username: username, Role: role, PasswordHash: hash}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Accounts returns every local account.
func (s *Service) Accounts(ctx context.Context) ([]*warden.Account, error) {
	return s.store.Accounts(ctx)
}

// DeleteAccount removes a local account and ends its sessions. The
// action is audited.
func (s *Service) DeleteAccount(ctx context.Context, username string) error {
	err := s.store.DeleteAccount(ctx, username)
	s.audit(ctx, "account.delete", "account:"+username, err)
	return err
}

// SetRole changes an account's role and ends its sessions, so that the
// new role applies at its next login. The action is audited.
func (s *Service) SetRole(ctx context.Context, username string, role warden.Role) error {
	err := s.updateAccount(ctx, username, func(a *warden.Account) error {
		if !role.Valid() {
			return warden.Errorf(warden.EINVALID, "role %q is not admin, operator or viewer", role)
		}
		a.Role = role
		return nil
	})
	s.audit(ctx, "account.set_role", "account:"+username+" role:"+string(role), err)
	return err
}

// ResetPassword sets an account's password, unlocks it and ends its
// sessions. The action is audited.
func (s *Service) ResetPassword(ctx context.Context, username, password string) error {
	err := s.updateAccount(ctx, username, func(a *warden.Account) error {
		hash, err := HashPassword(password, s.o.Argon2)
		if err != nil {
			return err
		}
		a.PasswordHash, a.FailedLogins, a.LockedUntil = hash, 0, time.Time{}
		return nil
	})
	s.audit(ctx, "account.reset_password", "account:"+username, err)
	return err
}

// updateAccount changes an account with change and ends its sessions.
func (s *Service) updateAccount(ctx context.Context, username string, change func(*warden.Account) error) error {
	a, err := s.store.Account(ctx, username)
	if err != nil {
		return err
	}
	if err := change(a); err != nil {
		return err
	}
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return err
	}
	_, err = s.store.DeleteSessions(ctx, "account", username)
	return err
}

// Login failures. Every failure of a username or password reads the same,
// whether the account exists, the password is wrong or the account is
// locked, so that nobody learns which usernames exist.
var (
	errLogin    = warden.Errorf(warden.EUNAUTHORIZED, "Wrong username or password.")
	errTooMany  = warden.Errorf(warden.EUNAVAILABLE, "Too many failed logins; try again later.")
	errNoLogins = warden.Errorf(warden.EINVALID, "Enter a username and a password.")
)

// Login checks a username and password from the client address from
// and returns the account's principal. It refuses, with one message for
// every case, an unknown username, a wrong password and a locked account;
// after LockAfter failures of a username (whether or not it has an
// account) or IPFailures from one address within LockFor, it refuses with
// errTooMany until the window ends, and a locked account stays locked for
// LockFor. Failed and successful logins are audited; the attempted
// username is recorded only when it names an account, since people type
// passwords into the username field.
func (s *Service) Login(ctx context.Context, username, password string) (warden.Principal, error) {
	p, target, err := s.login(ctx, username, password)
	actx := ctx
	if err == nil {
		actx = warden.WithPrincipal(ctx, p)
	}
	s.audit(actx, "login", target, err)
	return p, err
}

func (s *Service) login(ctx context.Context, username, password string) (warden.Principal, string, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return warden.Principal{}, "", errNoLogins
	}
	now := s.now()
	ipKey, userKey := "ip:"+SourceFrom(ctx), "user:"+strings.ToLower(username)
	if s.limits.blocked(ipKey, s.o.IPFailures, s.o.LockFor, now) || s.limits.blocked(userKey, s.o.LockAfter, s.o.LockFor, now) {
		return warden.Principal{}, "", errTooMany
	}
	a, err := s.store.Account(ctx, username)
	if warden.ErrorKind(err) == warden.ENOTFOUND {
		VerifyPassword(s.decoy, password) // the same work as for an account
		s.limits.fail(ipKey, s.o.LockFor, now)
		s.limits.fail(userKey, s.o.LockFor, now)
		return warden.Principal{}, "", errLogin
	}
	if err != nil {
		return warden.Principal{}, "", err
	}
	target := "account:" + a.Username
	if now.Before(a.LockedUntil) {
		VerifyPassword(s.decoy, password)
		return warden.Principal{}, target, errTooMany
	}
	if !VerifyPassword(a.PasswordHash, password) {
		s.limits.fail(ipKey, s.o.LockFor, now)
		s.limits.fail(userKey, s.o.LockFor, now)
		// The failure that locks the account reads like any other, as it
		// does for a username without an account.
		if _, err := s.store.FailLogin(ctx, a.Username, s.o.LockAfter, now.Add(s.o.LockFor)); err != nil {
			s.o.Logger.Warn("auth: counting a failed login failed", "err", err)
		}
		return warden.Principal{}, target, errLogin
	}
	s.limits.reset(userKey)
	a.FailedLogins, a.LockedUntil, a.LastLoginAt = 0, time.Time{}, now
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return warden.Principal{}, target, err
	}
	return warden.Principal{Kind: "account", Name: a.Username, Role: a.Role}, target, nil
}
