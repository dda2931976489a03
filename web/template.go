package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the HTML pages, each a template named after its file, sharing
// the "head" and "foot" templates of layout.html.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"userPath": userPath,
}).ParseFS(templateFiles, "templates/*.html"))

// userPath returns the path of a user's page.
func userPath(org, username string) string {
	return "/users/" + url.PathEscape(org) + "/" + url.PathEscape(username)
}

// render writes the page name with data and status. The page is rendered
// in full before anything is written, so a failure shows as a clean
// error rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.Logger.Error("web: rendering failed", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error; the server's log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
