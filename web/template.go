package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/wardenhq/warden"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the HTML pages, each a template named after its file, sharing
// the templates of layout.html. The request's functions (principal, can,
// back) are placeholders here, bound per request by render.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"userPath": userPath,
	// clip shortens a long text for a list (activity and policy alerts
	// have no state or cause, only their evidence).
	"clip": func(s string) string {
		if r := []rune(s); len(r) > 160 {
			return string(r[:160]) + "…"
		}
		return s
	},
	"principal": func() *warden.Principal { return nil },
	"can":       func(role string) bool { return false },
	"back":      func() string { return "/" },
}).ParseFS(templateFiles, "templates/*.html"))

// userPath returns the path of a user's page.
func userPath(org, username string) string {
	return "/users/" + url.PathEscape(org) + "/" + url.PathEscape(username)
}

// requestFuncs binds the template functions of r: its principal, whether
// it may act with a role, and its path to come back to after a form.
func requestFuncs(r *http.Request) template.FuncMap {
	p, ok := warden.PrincipalFrom(r.Context())
	return template.FuncMap{
		"principal": func() *warden.Principal {
			if !ok {
				return nil
			}
			return &p
		},
		"can":  func(role string) bool { return ok && p.Role.Allows(warden.Role(role)) },
		"back": func() string { return r.URL.RequestURI() },
	}
}

// render writes the page name with data and status. The page is rendered
// in full before anything is written, so a failure shows as a clean
// error rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	t, err := pages.Clone()
	if err == nil {
		err = t.Funcs(requestFuncs(r)).ExecuteTemplate(&buf, name, data)
	}
	if err != nil {
		s.Logger.Error("web: rendering failed", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error; the server's log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
