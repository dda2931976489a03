package web

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// historyLimit is how many health results a user page reads: enough for
// its chart and its paginated table.
const historyLimit = 500

// registerUserRoutes registers the integration users' pages (alerts link
// to them) and the user's actions.
func (s *Server) registerUserRoutes() {
	s.handle(Route{Method: "GET", Pattern: "/users/{org}/{username}", Role: warden.RoleViewer,
		Summary: "One integration user: state, cause, fix, evidence, permissions, dependents, credential, history, activity and actions."}, s.handleUserPage)
	s.handle(Route{Method: "POST", Pattern: "/users/{org}/{username}/check", Role: warden.RoleOperator,
		Summary: "Check the user now (form); redirects back to the user page."}, s.handleCheckForm)
	s.handle(Route{Method: "POST", Pattern: "/users/{org}/{username}/reauthorize", Role: warden.RoleOperator,
		Summary: "Start a browser re-authorization of the user's refresh token (form); redirects to Salesforce's authorization page."}, s.handleReauthorizeForm)
}

// handleUserPage shows one user.
func (s *Server) handleUserPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.userDetail(ctx, r.PathValue("org"), r.PathValue("username"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	history, err := s.Store.HealthHistory(ctx, warden.HealthFilter{Org: d.User.Org, Username: d.User.Username, Limit: historyLimit})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := s.Now()
	data := map[string]any{
		"Title": d.User.Username, "Detail": d, "User": d.User, "Status": d.Status, "Now": now,
		"HealthChart": healthChart(history, now), "CanCheck": s.Checker != nil, "CanRotate": s.Rotator != nil, "CanReauthorize": s.Reauthorizer != nil && d.Impact != nil && d.Impact.Credential != nil && d.Impact.Credential.Kind == warden.CredentialRefreshToken,
	}
	data["History"], data["Page"] = paginate(r, history)
	data["Reauthorized"] = r.URL.Query().Get("reauthorized") == "1" // the re-authorization callback's redirect
	if s.Activity != nil {
		since := now.Add(-24 * time.Hour)
		logins, err := s.Activity.Logins(ctx, d.User.Org, d.User.Username, since)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		changes, err := s.Activity.SetupChanges(ctx, d.User.Org, d.User.Username, since)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		first := now.UTC().Truncate(time.Hour).Add(-23 * time.Hour) // the chart's first hour
		logins.Hours = slices.DeleteFunc(slices.Clone(logins.Hours), func(h LoginHour) bool { return h.Start.Before(first) })
		if len(logins.Hours) > 0 {
			total, failures := 0, map[string]int{}
			for _, h := range logins.Hours {
				total += h.Total()
				for st, n := range h.Failures {
					failures[st] += n
				}
			}
			data["LoginChart"], data["Logins"], data["LoginFailures"] = loginChart(logins.Hours, now), total, failures
			data["RecentLogins"] = logins.Recent
		}
		data["SetupChanges"] = changes
	}
	s.render(w, r, http.StatusOK, "user.html", data)
}

// handleCheckForm checks the user now and goes back to its page.
func (s *Server) handleCheckForm(w http.ResponseWriter, r *http.Request) {
	org, username := r.PathValue("org"), r.PathValue("username")
	if _, err := s.check(r, org, username); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, userPath(org, username)+"?checked=1", http.StatusSeeOther)
}

// handleReauthorizeForm starts a re-authorization and sends the browser to
// the authorization page; its callback comes back to the user page.
func (s *Server) handleReauthorizeForm(w http.ResponseWriter, r *http.Request) {
	u, err := s.reauthorize(r, r.PathValue("org"), r.PathValue("username"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// reauthorize starts the Reauthorizer's re-authorization of a user and
// returns the URL to send the person to.
func (s *Server) reauthorize(r *http.Request, org, username string) (string, error) {
	if s.Reauthorizer == nil {
		return "", errNotImplemented("this server does not re-authorize credentials")
	}
	u, err := s.Reauthorizer.Reauthorize(r.Context(), org, username)
	s.audit(r, "user.reauthorize.start", org+"/"+username, err)
	return u, err
}

// check runs the Checker on a user of the inventory.
func (s *Server) check(r *http.Request, org, username string) (warden.UserStatus, error) {
	if s.Checker == nil {
		return warden.UserStatus{}, errNotImplemented("checking a user now needs the monitor, which this server does not run")
	}
	u, err := s.Store.User(r.Context(), org, username)
	if err != nil {
		return warden.UserStatus{}, err
	}
	st, err := s.Checker.Check(r.Context(), u.Org, u.Username)
	s.audit(r, "user.check", u.Org+"/"+u.Username, err)
	return st, err
}

// healthChart charts the user's health checks of the last 24 hours, per
// hour and state.
func healthChart(history []*warden.HealthResult, now time.Time) Chart {
	c := Chart{Title: "Health checks per hour, last 24 hours", Unit: "checks"}
	states := []warden.State{warden.StateOK, warden.StateDegraded, warden.StateError, warden.StateUnknown}
	start := now.UTC().Truncate(time.Hour).Add(-23 * time.Hour)
	counts := make([][]float64, len(states))
	for i := range counts {
		counts[i] = make([]float64, 24)
	}
	for h := range 24 {
		c.Labels = append(c.Labels, start.Add(time.Duration(h)*time.Hour).Format("15h"))
	}
	for _, r := range history {
		h := int(r.CheckedAt.Sub(start) / time.Hour)
		if h < 0 || h >= 24 {
			continue
		}
		for i, st := range states {
			if r.State == st {
				counts[i][h]++
			}
		}
	}
	for i, st := range states {
		c.Series = append(c.Series, Series{Name: string(st), Class: string(st), Values: counts[i]})
	}
	return c
}

// loginLimit is Salesforce's limit of logins per user per hour.
const loginLimit = 3600

// loginChart charts logins of the last 24 hours per hour: successes,
// failures by status (the most frequent first), and the hourly limit.
func loginChart(hours []LoginHour, now time.Time) Chart {
	c := Chart{Title: "Logins per hour, last 24 hours (limit 3,600 per hour)", Unit: "logins", Limit: loginLimit, LimitLabel: "3,600 / hour"}
	start := now.UTC().Truncate(time.Hour).Add(-23 * time.Hour)
	for h := range 24 {
		c.Labels = append(c.Labels, start.Add(time.Duration(h)*time.Hour).Format("15h"))
	}
	ok := make([]float64, 24)
	failed := map[string][]float64{}
	totals := map[string]int{}
	for _, lh := range hours {
		h := int(lh.Start.Sub(start) / time.Hour)
		if lh.Start.Before(start) || h >= 24 {
			continue
		}
		ok[h] += float64(lh.Successes)
		for st, n := range lh.Failures {
			if failed[st] == nil {
				failed[st] = make([]float64, 24)
			}
			failed[st][h] += float64(n)
			totals[st] += n
		}
	}
	c.Series = []Series{{Name: "successes", Class: "ok", Values: ok}}
	statuses := slices.Collect(maps.Keys(failed))
	slices.SortFunc(statuses, func(a, b string) int {
		if d := totals[b] - totals[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	classes := []string{"error", "degraded", "unknown"}
	for i, st := range statuses {
		c.Series = append(c.Series, Series{Name: st, Class: classes[min(i, len(classes)-1)], Values: failed[st]})
	}
	return c
}
