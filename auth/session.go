package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/wardenhq/warden"
)

// sessionCookie is the session cookie's name: with the __Host- prefix
// under TLS, so that the browser only accepts it Secure, host-only and
// for the whole site.
func (s *Service) sessionCookie() string {
	if s.o.Secure {
		return "__Host-warden_session"
	}
	return "warden_session"
}

// touchEvery is how stale a session's LastSeenAt (or a token's
// LastUsedAt) may get before a request writes it again: the idle timeout
// is enforced to within this much.
const touchEvery = time.Minute

// startSession creates a session for p, sets its cookie on w, and
// returns the principal with the session's CSRF token.
func (s *Service) startSession(ctx context.Context, w http.ResponseWriter, p warden.Principal) (warden.Principal, error) {
	id := randomID(32)
	now := s.now()
	se := &warden.Session{Hash: hashSecret(id), Kind: p.Kind, Name: p.Name, Role: p.Role,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.o.SessionTTL)}
	if err := s.store.CreateSession(ctx, se); err != nil {
		return p, err
	}
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookie(), Value: id, Path: "/", HttpOnly: true, Secure: s.o.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.o.SessionTTL / time.Second)})
	p.CSRF = csrfToken(id)
	return p, nil
}

// clearSession tells the browser to drop the session cookie.
func (s *Service) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookie(), Value: "", Path: "/", HttpOnly: true, Secure: s.o.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// session returns the principal of the live session whose id is id, with
// its CSRF token. An unknown, expired or idle session is not one: an
// expired or idle one is deleted.
func (s *Service) session(ctx context.Context, id string) (warden.Principal, bool) {
	if id == "" || len(id) > 128 {
		return warden.Principal{}, false
	}
	hash := hashSecret(id)
	se, err := s.store.Session(ctx, hash)
	if err != nil {
		if warden.ErrorKind(err) != warden.ENOTFOUND {
			s.o.Logger.Warn("auth: reading a session failed", "err", err)
		}
		return warden.Principal{}, false
	}
	now := s.now()
	if !now.Before(se.ExpiresAt) || now.Sub(se.LastSeenAt) >= s.o.IdleTimeout {
		if err := s.store.DeleteSession(ctx, hash); err != nil {
			s.o.Logger.Warn("auth: deleting an ended session failed", "err", err)
		}
		return warden.Principal{}, false
	}
	if now.Sub(se.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, hash, now); err != nil {
			s.o.Logger.Warn("auth: recording a session's use failed", "err", err)
		}
	}
	return warden.Principal{Kind: se.Kind, Name: se.Name, Role: se.Role, CSRF: csrfToken(id)}, true
}

// endSession deletes the session of r's cookie, if any, and clears the
// cookie.
func (s *Service) endSession(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	s.dropSession(ctx, r)
	s.clearSession(w)
}

// dropSession deletes the session of r's cookie, if any, from the store.
func (s *Service) dropSession(ctx context.Context, r *http.Request) {
	if c, err := r.Cookie(s.sessionCookie()); err == nil && c.Value != "" && len(c.Value) <= 128 {
		if err := s.store.DeleteSession(ctx, hashSecret(c.Value)); err != nil {
			s.o.Logger.Warn("auth: deleting a session failed", "err", err)
		}
	}
}

// PruneSessions deletes the sessions that have expired or gone idle, and
// reports how many; serve calls it now and then.
func (s *Service) PruneSessions(ctx context.Context) (int, error) {
	now := s.now()
	return s.store.PruneSessions(ctx, now, now.Add(-s.o.IdleTimeout))
}
