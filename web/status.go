package web

import (
	"bytes"
	"io"
	"net/http"

	"github.com/wardenhq/warden"
)

// registerStatusRoutes registers the status page and its JSON.
func (s *Server) registerStatusRoutes() {
	s.router.Handle("GET /{$}", s.page(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/status", http.StatusFound)
	}))
	s.router.Handle("GET /status", s.page(s.handleStatusPage))
	s.router.Handle("GET /api/status", s.api(s.handleStatusAPI))
}

// handleStatusPage shows every user's current health.
func (s *Server) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.StatusService.Statuses(r.Context(), warden.StatusFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	counts := map[string]int{}
	for _, u := range st {
		counts[string(u.State)]++
	}
	s.render(w, r, http.StatusOK, "status.html", map[string]any{
		"Title": "Integration user health", "Refresh": true, "Statuses": st, "Counts": counts, "Now": s.Now(),
	})
}

// handleStatusAPI serves every user's current health as JSON.
func (s *Server) handleStatusAPI(w http.ResponseWriter, r *http.Request) {
	st, err := s.StatusService.Statuses(r.Context(), warden.StatusFilter{})
	if err != nil {
		s.jsonError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := WriteStatuses(&buf, st); err != nil {
		s.jsonError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf.Bytes())
}

// WriteStatuses writes statuses as the JSON document that /api/status
// serves and "warden status --json" prints: an array of warden.UserStatus
// objects (never null; warnings are always an array), indented by two
// spaces.
func WriteStatuses(w io.Writer, statuses []*warden.UserStatus) error {
	out := make([]*warden.UserStatus, len(statuses))
	for i, u := range statuses {
		if u.Warnings == nil {
			c := *u
			c.Warnings = []string{}
			u = &c
		}
		out[i] = u
	}
	return encodeJSON(w, out)
}
