package web

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/wardenhq/warden"
)

// registerStatusRoutes registers the list of every user and its JSON
// alias.
func (s *Server) registerStatusRoutes() {
	s.handle(Route{Method: "GET", Pattern: "/status", Role: warden.RoleViewer, Summary: "Every integration user's health, filtered and paginated."}, s.handleStatusPage)
	s.handle(Route{Method: "GET", Pattern: "/api/status", Role: warden.RoleViewer, API: true, Schema: "UserStatusArray",
		Summary: "Every user's current health: the document \"warden status --json\" prints (alias of /api/v1/users without paging)."}, s.handleStatusAPI)
}

// filterStatuses keeps the statuses matching the request's filters: org,
// state and q (a substring of the username, cause or owner-free text).
func filterStatuses(r *http.Request, st []*warden.UserStatus) []*warden.UserStatus {
	q := r.URL.Query()
	org, state, text := q.Get("org"), q.Get("state"), strings.ToLower(q.Get("q"))
	var out []*warden.UserStatus
	for _, u := range st {
		if (org == "" || u.Org == org) && (state == "" || string(u.State) == state) &&
			(text == "" || strings.Contains(strings.ToLower(u.Username+" "+string(u.Cause)+" "+u.Evidence), text)) {
			out = append(out, u)
		}
	}
	return out
}

// handleStatusPage shows every user's current health.
func (s *Server) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.Store.Statuses(r.Context(), warden.StatusFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	counts := map[string]int{}
	for _, u := range st {
		counts[string(u.State)]++
	}
	shown, pg := paginate(r, filterStatuses(r, st))
	s.render(w, r, http.StatusOK, "status.html", map[string]any{
		"Title": "Integration user health", "Refresh": true, "Statuses": shown, "All": len(st), "Counts": counts, "Now": s.Now(), "Page": pg,
		"Query": r.URL.Query(), "States": []warden.State{warden.StateOK, warden.StateDegraded, warden.StateError, warden.StateUnknown},
	})
}

// handleStatusAPI serves every user's current health as JSON.
func (s *Server) handleStatusAPI(w http.ResponseWriter, r *http.Request) {
	st, err := s.Store.Statuses(r.Context(), warden.StatusFilter{})
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
	return encodeJSON(w, nonNilWarnings(statuses))
}

// nonNilWarnings returns statuses with every nil Warnings an empty list,
// copying the statuses it changes.
func nonNilWarnings(statuses []*warden.UserStatus) []*warden.UserStatus {
	out := make([]*warden.UserStatus, len(statuses))
	for i, u := range statuses {
		if u.Warnings == nil {
			c := *u
			c.Warnings = []string{}
			u = &c
		}
		out[i] = u
	}
	return out
}
