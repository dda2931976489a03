package auth

import (
	"embed"
	"html/template"
	"net/http"
	"strconv"

	"github.com/wardenhq/warden"
)

//go:embed templates/login.html
var templates embed.FS

var loginPage = template.Must(template.ParseFS(templates, "templates/login.html"))

// maxLoginForm bounds a login form's body.
const maxLoginForm = 8 << 10

// Handler serves the routes of logging in and out:
//
//	GET  /login                the login form (no JavaScript)
//	POST /login                check the username and password, start a session, go to next
//	POST /logout               end the session (it needs the CSRF token), go to /login
//	GET  /auth/oidc/login      start single sign-on (404 without OIDC)
//	GET  /auth/oidc/callback   finish single sign-on
//
// Mount it at those paths in front of the dashboard; it sets its own
// security headers.
func (s *Service) Handler() http.Handler { return s.handler }

func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.Handle("POST /logout", s.Middleware(http.HandlerFunc(s.logout)))
	mux.HandleFunc("GET /auth/oidc/login", s.oidcLogin)
	mux.HandleFunc("GET /auth/oidc/callback", s.oidcCallback)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r.WithContext(WithSource(r.Context(), clientIP(r))))
	})
}

// loginData fills the login page.
type loginData struct {
	Error, Info, Next, Username string
	// OIDC is the single sign-on provider's name, when there is one.
	OIDC string
}

// renderLogin writes the login page with status.
func (s *Service) renderLogin(w http.ResponseWriter, status int, d loginData) {
	if s.o.OIDC != nil {
		d.OIDC = s.o.OIDC.name
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := loginPage.Execute(w, d); err != nil {
		s.o.Logger.Warn("auth: rendering the login page failed", "err", err)
	}
}

// nextPage returns where to go after logging in: next when it is a path
// on this site, else the dashboard.
func nextPage(next string) string {
	if safeNext(next) {
		return next
	}
	return "/"
}

func (s *Service) loginForm(w http.ResponseWriter, r *http.Request) {
	d := loginData{Next: nextPage(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("logged_out") != "" {
		d.Info = "You have logged out."
	}
	s.renderLogin(w, http.StatusOK, d)
}

func (s *Service) loginSubmit(w http.ResponseWriter, r *http.Request) {
	// A login form posted from another site would log the victim into
	// the attacker's account.
	if err := s.cop.Check(r); err != nil {
		writeHTMLError(w, warden.Errorf(warden.EFORBIDDEN, "cross-origin requests may not log in"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, http.StatusBadRequest, loginData{Error: "The form could not be read; try again.", Next: "/"})
		return
	}
	username, next := r.PostForm.Get("username"), nextPage(r.PostForm.Get("next"))
	p, err := s.Login(r.Context(), username, r.PostForm.Get("password"))
	if err == nil {
		// A new session id at every login: a session planted before it
		// (fixation) is dropped, not promoted.
		s.dropSession(r.Context(), r)
		_, err = s.startSession(r.Context(), w, p)
	}
	if err != nil {
		status := warden.HTTPStatus(err)
		msg := warden.ErrorMessage(err)
		switch {
		case err == errTooMany:
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(int(s.o.LockFor.Seconds())))
		case warden.ErrorKind(err) == warden.EINTERNAL:
			s.o.Logger.Error("auth: login failed", "err", err)
			msg = "Logging in failed; the server's log has the details."
		}
		if len(username) > 128 {
			username = ""
		}
		s.renderLogin(w, status, loginData{Error: msg, Next: next, Username: username})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request) {
	if _, ok := warden.PrincipalFrom(r.Context()); ok {
		s.endSession(r.Context(), w, r)
		s.audit(r.Context(), "logout", "", nil)
	} else {
		s.clearSession(w)
	}
	http.Redirect(w, r, "/login?logged_out=1", http.StatusSeeOther)
}
