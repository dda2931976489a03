package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden"
)

// Limits of the API's lists.
const (
	defaultAPILimit = 100
	maxAPILimit     = 1000
	maxBodyBytes    = 64 << 10
)

// List is the one shape of every list the API returns: one page of items,
// the total before paging, and the offset and limit applied.
type List[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// list pages items by the request's offset and limit parameters.
func list[T any](r *http.Request, items []T) (List[T], error) {
	q := r.URL.Query()
	l := List[T]{Total: len(items), Limit: defaultAPILimit}
	var err error
	if v := q.Get("limit"); v != "" {
		if l.Limit, err = strconv.Atoi(v); err != nil || l.Limit < 1 || l.Limit > maxAPILimit {
			return l, warden.Errorf(warden.EINVALID, "limit %q: give a number from 1 to %d", v, maxAPILimit)
		}
	}
	if v := q.Get("offset"); v != "" {
		if l.Offset, err = strconv.Atoi(v); err != nil || l.Offset < 0 {
			return l, warden.Errorf(warden.EINVALID, "offset %q: give a number from 0", v)
		}
	}
	lo := min(l.Offset, len(items))
	l.Items = nonNil(items[lo:min(lo+l.Limit, len(items))])
	return l, nil
}

// serveList writes items, or err, as a paged List.
func serveList[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T, err error) {
	if err != nil {
		s.jsonError(w, r, err)
		return
	}
	l, err := list(r, items)
	if err != nil {
		s.jsonError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

// serveOne writes v, or err.
func (s *Server) serveOne(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.jsonError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// decodeBody decodes the request's JSON body into v, refusing unknown
// fields and bodies over maxBodyBytes.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return warden.Errorf(warden.EINVALID, "the request body is not the JSON object this route takes: %v", err)
	}
	return nil
}

// AlertAction is the body of the acknowledge and snooze actions.
type AlertAction struct {
	Reason string `json:"reason"`
	// For is how long a snooze lasts, as a Go duration ("4h").
	For string `json:"for,omitempty"`
}

// UserActivity is what /api/v1/users/{org}/{username}/activity returns:
// the user's health history and, when the server reads them, its logins
// of the last 24 hours counted per hour, the latest of them in full, and
// the setup changes that touched it.
type UserActivity struct {
	Health       []*warden.HealthResult `json:"health"`
	LoginsRead   bool                   `json:"loginsRead"`
	LoginHours   []LoginHour            `json:"loginHours"`
	Logins       []warden.Login         `json:"logins"`
	SetupChanges []warden.SetupChange   `json:"setupChanges"`
}

// ActionResult is the answer of the rotate and re-authorize actions.
type ActionResult struct {
	RotationID string `json:"rotationId,omitempty"`
	URL        string `json:"url,omitempty"`
}

// registerAPIRoutes registers /api/v1.
func (s *Server) registerAPIRoutes() {
	v := warden.RoleViewer
	op := warden.RoleOperator
	api := func(method, pattern string, role warden.Role, schema, summary string, query []string, h http.HandlerFunc) {
		s.handle(Route{Method: method, Pattern: "/api/v1" + pattern, Role: role, API: true, Schema: schema, Summary: summary, Query: query}, h)
	}
	paging := []string{"limit", "offset"}
	api("GET", "/openapi.json", v, "OpenAPI", "This document: the OpenAPI 3.1 description of the API.", nil, s.handleOpenAPI)
	api("GET", "/me", v, "Principal", "Who the request acts for, and its role.", nil, func(w http.ResponseWriter, r *http.Request) {
		p, _ := warden.PrincipalFrom(r.Context())
		writeJSON(w, http.StatusOK, p)
	})
	api("GET", "/orgs", v, "OrgSummaryList", "Every org with its users' counts by state and the API requests Warden made in it.", paging, func(w http.ResponseWriter, r *http.Request) {
		orgs, _, err := s.orgSummaries(r.Context())
		serveList(s, w, r, orgs, err)
	})
	api("GET", "/orgs/{org}", v, "OrgSummary", "One org's summary.", nil, func(w http.ResponseWriter, r *http.Request) {
		orgs, _, err := s.orgSummaries(r.Context())
		if err == nil {
			for _, o := range orgs {
				if o.Name == r.PathValue("org") {
					writeJSON(w, http.StatusOK, o)
					return
				}
			}
			err = warden.Errorf(warden.ENOTFOUND, "org %q is not in the inventory", r.PathValue("org"))
		}
		s.jsonError(w, r, err)
	})
	api("GET", "/users", v, "UserStatusList", "Every integration user's current health; org, state and q filter.", append([]string{"org", "state", "q"}, paging...), func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Store.Statuses(r.Context(), warden.StatusFilter{})
		serveList(s, w, r, nonNilWarnings(filterStatuses(r, st)), err)
	})
	api("GET", "/users/{org}/{username}", v, "UserDetail", "One user: status, inventory, credential and dependents (impact), findings, rotations and alerts.", nil, func(w http.ResponseWriter, r *http.Request) {
		d, err := s.userDetail(r.Context(), r.PathValue("org"), r.PathValue("username"))
		s.serveOne(w, r, http.StatusOK, d, err)
	})
	api("GET", "/users/{org}/{username}/dependents", v, "ImpactReport", "What breaks if the user is frozen or its password changes.", nil, func(w http.ResponseWriter, r *http.Request) {
		d, err := s.userDetail(r.Context(), r.PathValue("org"), r.PathValue("username"))
		if err != nil {
			s.jsonError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, d.Impact)
	})
	api("GET", "/users/{org}/{username}/activity", v, "UserActivity", "The user's health history (limit, newest first) and, when read, its logins and setup changes of the last 24 hours.", []string{"limit"}, s.handleActivityAPI)
	api("POST", "/users/{org}/{username}/check", op, "UserStatus", "Check the user now and return its status.", nil, func(w http.ResponseWriter, r *http.Request) {
		st, err := s.check(r, r.PathValue("org"), r.PathValue("username"))
		s.serveOne(w, r, http.StatusOK, st, err)
	})
	api("POST", "/users/{org}/{username}/rotate", op, "ActionResult", "Rotate the user's credential now (501 until the server has the rotation capability).", nil, func(w http.ResponseWriter, r *http.Request) {
		if s.Rotator == nil {
			s.jsonError(w, r, errNotImplemented("this server does not rotate credentials"))
			return
		}
		id, err := s.Rotator.Rotate(r.Context(), r.PathValue("org"), r.PathValue("username"))
		s.serveOne(w, r, http.StatusOK, ActionResult{RotationID: id}, err)
	})
	api("POST", "/users/{org}/{username}/reauthorize", op, "ActionResult", "Start a browser re-authorization of the user's refresh-token credential; returns the authorization URL (501 when the server does not re-authorize).", nil, func(w http.ResponseWriter, r *http.Request) {
		u, err := s.reauthorize(r, r.PathValue("org"), r.PathValue("username"))
		s.serveOne(w, r, http.StatusOK, ActionResult{URL: u}, err)
	})
	api("GET", "/dependents", v, "ImpactReportList", "Every user with dependents and what breaks if it is frozen; org and owner filter.", append([]string{"org", "owner"}, paging...), func(w http.ResponseWriter, r *http.Request) {
		reps, err := s.impacts(r.Context(), r.URL.Query().Get("org"), r.URL.Query().Get("owner"))
		serveList(s, w, r, reps, err)
	})
	api("GET", "/findings", v, "FindingList", "Policy findings of the latest audit; org, username, rule and severity (the least) filter.", append([]string{"org", "username", "rule", "severity"}, paging...), func(w http.ResponseWriter, r *http.Request) {
		fs, err := s.findingsFor(r)
		serveList(s, w, r, fs, err)
	})
	api("GET", "/legacy-auth", v, "LegacyUserList", "Users still on password + security token login, with their dependents.", append([]string{"org"}, paging...), func(w http.ResponseWriter, r *http.Request) {
		us, err := s.legacyUsers(r.Context(), r.URL.Query().Get("org"))
		serveList(s, w, r, us, err)
	})
	api("GET", "/rotations", v, "RotationRecordList", "Rotation steps, newest first; credential filters.", append([]string{"credential"}, paging...), func(w http.ResponseWriter, r *http.Request) {
		rs, err := s.Store.Rotations(r.Context(), r.URL.Query().Get("credential"), maxAPILimit)
		serveList(s, w, r, rs, err)
	})
	api("GET", "/alerts", v, "AlertRecordList", "Alerts Warden sent, newest first; org, username and open=1 filter.", append([]string{"org", "username", "open"}, paging...), func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		as, err := s.Store.Alerts(r.Context(), warden.AlertFilter{Org: q.Get("org"), Username: q.Get("username"), Open: q.Get("open") == "1", Limit: alertsRead})
		serveList(s, w, r, as, err)
	})
	api("GET", "/alerts/{id}", v, "AlertRecord", "One alert.", nil, func(w http.ResponseWriter, r *http.Request) {
		id, err := alertID(r.PathValue("id"))
		if err != nil {
			s.jsonError(w, r, err)
			return
		}
		a, err := s.Store.Alert(r.Context(), id)
		s.serveOne(w, r, http.StatusOK, a, err)
	})
	for _, action := range []string{"ack", "snooze"} {
		summary := "Acknowledge an alert with a reason: repeats of its problem are not sent until it recovers."
		if action == "snooze" {
			summary = "Snooze an alert with a reason for a duration (for: \"4h\"): repeats of its problem are not sent until then."
		}
		s.handle(Route{Method: "POST", Pattern: "/api/v1/alerts/{id}/" + action, Role: op, API: true, Schema: "AlertRecord", Body: "AlertAction", Summary: summary},
			func(w http.ResponseWriter, r *http.Request) {
				var body AlertAction
				if err := decodeBody(r, &body); err != nil {
					s.jsonError(w, r, err)
					return
				}
				var a *warden.AlertRecord
				var err error
				if action == "ack" {
					a, err = s.acknowledge(r, r.PathValue("id"), body.Reason)
				} else {
					a, err = s.snooze(r, r.PathValue("id"), body.Reason, body.For)
				}
				s.serveOne(w, r, http.StatusOK, a, err)
			})
	}
	api("GET", "/broker/keys", warden.RoleAdmin, "BrokerKeyList", "The token broker's keys (docs/broker.md), never their secrets: scope, dependent, expiry, last use, revocation.", paging, func(w http.ResponseWriter, r *http.Request) {
		keys, err := s.Store.BrokerKeys(r.Context())
		serveList(s, w, r, keys, err)
	})
}

// handleActivityAPI serves a user's activity.
func (s *Server) handleActivityAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := s.Store.User(ctx, r.PathValue("org"), r.PathValue("username"))
	if err != nil {
		s.jsonError(w, r, err)
		return
	}
	limit := defaultAPILimit
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxAPILimit {
			s.jsonError(w, r, warden.Errorf(warden.EINVALID, "limit %q: give a number from 1 to %d", v, maxAPILimit))
			return
		}
	}
	a := UserActivity{LoginHours: []LoginHour{}, Logins: []warden.Login{}, SetupChanges: []warden.SetupChange{}}
	if a.Health, err = s.Store.HealthHistory(ctx, warden.HealthFilter{Org: u.Org, Username: u.Username, Limit: limit}); err != nil {
		s.jsonError(w, r, err)
		return
	}
	a.Health = nonNil(a.Health)
	if s.Activity != nil {
		since := s.Now().Add(-24 * time.Hour)
		a.LoginsRead = true
		var la LoginActivity
		if la, err = s.Activity.Logins(ctx, u.Org, u.Username, since); err == nil {
			a.SetupChanges, err = s.Activity.SetupChanges(ctx, u.Org, u.Username, since)
		}
		if err != nil {
			s.jsonError(w, r, err)
			return
		}
		a.LoginHours, a.Logins, a.SetupChanges = nonNil(la.Hours), nonNil(la.Recent), nonNil(a.SetupChanges)
	}
	writeJSON(w, http.StatusOK, a)
}
