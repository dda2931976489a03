package web

import (
	"net/http"

	"github.com/wardenhq/warden"
)

// historyLimit is how many health results a user page shows.
const historyLimit = 50

// registerUserRoutes registers the integration users' pages (alerts link
// to them).
func (s *Server) registerUserRoutes() {
	s.router.Handle("GET /users/{org}/{username}", s.page(s.handleUserPage))
}

// handleUserPage shows one user: its current status, its recent health
// history and the applications that depend on it.
func (s *Server) handleUserPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	org, username := r.PathValue("org"), r.PathValue("username")
	u, err := s.UserService.User(ctx, org, username)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	st, err := s.StatusService.Statuses(ctx, warden.StatusFilter{Org: u.Org, Username: u.Username})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	status := &warden.UserStatus{Org: u.Org, Username: u.Username, State: warden.StateUnknown}
	if len(st) > 0 {
		status = st[0]
	}
	history, err := s.HealthService.HealthHistory(ctx, warden.HealthFilter{Org: u.Org, Username: u.Username, Limit: historyLimit})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	deps, err := s.DependentService.Dependents(ctx, warden.DependentFilter{Org: u.Org, Username: u.Username})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "user.html", map[string]any{
		"Title": u.Username, "User": u, "Status": status, "History": history, "HistoryLimit": historyLimit, "Dependents": deps, "Now": s.Now(),
	})
}
