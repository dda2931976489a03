package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden"
)

// alertsRead is how many alert records the alerts page reads before
// filtering and paginating.
const alertsRead = 1000

// maxSnooze is the longest snooze.
const maxSnooze = 30 * 24 * time.Hour

// registerAlertRoutes registers the alerts page and its actions.
func (s *Server) registerAlertRoutes() {
	s.handle(Route{Method: "GET", Pattern: "/alerts", Role: warden.RoleViewer, Summary: "The alerts Warden sent, newest first, filtered and paginated."}, s.handleAlertsPage)
	s.handle(Route{Method: "POST", Pattern: "/alerts/{id}/ack", Role: warden.RoleOperator, Summary: "Acknowledge an alert with a reason (form)."}, s.handleAlertForm)
	s.handle(Route{Method: "POST", Pattern: "/alerts/{id}/snooze", Role: warden.RoleOperator, Summary: "Snooze an alert with a reason (form)."}, s.handleAlertForm)
}

// handleAlertsPage lists alerts; org, username and open=1 filter them.
func (s *Server) handleAlertsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	alerts, err := s.Store.Alerts(r.Context(), warden.AlertFilter{Org: q.Get("org"), Username: q.Get("username"), Open: q.Get("open") == "1", Limit: alertsRead})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	shown, pg := paginate(r, alerts)
	s.render(w, r, http.StatusOK, "alerts.html", map[string]any{"Title": "Alerts", "Alerts": shown, "Page": pg, "Query": q, "Now": s.Now()})
}

// handleAlertForm acknowledges or snoozes an alert from a form and goes
// back to the page named by the form's "back" field (the alerts page by
// default).
func (s *Server) handleAlertForm(w http.ResponseWriter, r *http.Request) {
	var err error
	if r.URL.Path[len(r.URL.Path)-4:] == "/ack" {
		_, err = s.acknowledge(r, r.PathValue("id"), r.PostFormValue("reason"))
	} else {
		_, err = s.snooze(r, r.PathValue("id"), r.PostFormValue("reason"), r.PostFormValue("for"))
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	back := r.PostFormValue("back")
	if back == "" || back[0] != '/' || (len(back) > 1 && (back[1] == '/' || back[1] == '\\')) {
		back = "/alerts"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// alertID parses an alert id of a path.
func alertID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, warden.Errorf(warden.EINVALID, "alert id %q is not a number", s)
	}
	return id, nil
}

// actor names the request's principal in the records of its actions.
func actor(r *http.Request) string {
	p, _ := warden.PrincipalFrom(r.Context())
	return p.Kind + ":" + p.Name
}

// acknowledge records the request's principal acknowledging alert id.
func (s *Server) acknowledge(r *http.Request, id, reason string) (*warden.AlertRecord, error) {
	n, err := alertID(id)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, warden.Errorf(warden.EINVALID, "say why you acknowledge the alert (reason)")
	}
	err = s.Store.AcknowledgeAlert(r.Context(), n, actor(r), reason, s.Now())
	s.audit(r, "alert.acknowledge", "alert "+id+": "+reason, err)
	if err != nil {
		return nil, err
	}
	return s.Store.Alert(r.Context(), n)
}

// snooze records the request's principal snoozing alert id for a
// duration such as "4h".
func (s *Server) snooze(r *http.Request, id, reason, duration string) (*warden.AlertRecord, error) {
	n, err := alertID(id)
	if err != nil {
		return nil, err
	}
	d, err := time.ParseDuration(duration)
	if err != nil || d <= 0 || d > maxSnooze {
		return nil, warden.Errorf(warden.EINVALID, "snooze for %q: give a duration between 1m and 720h, such as 4h", duration)
	}
	if reason == "" {
		return nil, warden.Errorf(warden.EINVALID, "say why you snooze the alert (reason)")
	}
	err = s.Store.SnoozeAlert(r.Context(), n, actor(r), reason, s.Now().Add(d))
	s.audit(r, "alert.snooze", "alert "+id+" for "+d.String()+": "+reason, err)
	if err != nil {
		return nil, err
	}
	return s.Store.Alert(r.Context(), n)
}
