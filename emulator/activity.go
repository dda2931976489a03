package emulator

// Generated activity for the activity rules (docs/activity.md): many
// integration users with weeks of ordinary login history and, on request,
// one of each anomaly the rules must find.

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// ActivityRequest is the body of POST /_emulator/orgs/{org}/activity.
type ActivityRequest struct {
	// Users is how many integration users to create (gen00000@<org
	// domain>, ...), with the org's first profile that has API Enabled.
	Users int `json:"users"`
	// Days of history before now (default 30) and Every, the interval
	// between a user's logins (default "20m").
	Days  int    `json:"days"`
	Every string `json:"every"`
	// Anomalies plants one of each: a login from a new network (user 1,
	// two days ago), a burst of 20 logins at 02:00 UTC three days ago
	// (user 2, which otherwise logs in only 06:00-20:00 UTC), 3,000 logins within an hour five days ago (user 3), a
	// profile change by an admin four days ago (user 4) and a user without
	// logins whose last login was 45 days ago (user 5).
	Anomalies bool `json:"anomalies"`
}

// ActivityResult is the answer: the users created, the rows written and
// the anomalies planted (rule name and username).
type ActivityResult struct {
	Users     []string          `json:"users"`
	Rows      int               `json:"rows"`
	Anomalies map[string]string `json:"anomalies,omitempty"`
}

// controlActivity generates users and their login history. Callers hold
// s.mu.
func (s *Server) controlActivity(w http.ResponseWriter, r *http.Request, o *org) {
	var in ActivityRequest
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Days == 0 {
		in.Days = 30
	}
	every := 20 * time.Minute
	if in.Every != "" {
		d, err := time.ParseDuration(in.Every)
		if err != nil || d < time.Minute {
			controlError(w, http.StatusBadRequest, "every: %q is not a duration of at least 1m", in.Every)
			return
		}
		every = d
	}
	perUser := int(time.Duration(in.Days) * 24 * time.Hour / every)
	switch {
	case in.Users < 1 || in.Anomalies && in.Users < 6:
		controlError(w, http.StatusBadRequest, "users: must be at least 1 (6 with anomalies)")
		return
	case in.Days < 1 || in.Days > 180:
		controlError(w, http.StatusBadRequest, "days: must be between 1 and 180")
		return
	case len(o.history)+in.Users*perUser+3100 > maxHistoryRows:
		controlError(w, http.StatusBadRequest, "users × days / every: %d rows would exceed the %d LoginHistory rows an emulated org keeps", in.Users*perUser, maxHistoryRows)
		return
	}
	var prof *profile // API Enabled, preferably without Modify All Data
	for _, p := range o.profiles {
		if p.ps.perms["ApiEnabled"] && (prof == nil || prof.ps.perms["ModifyAllData"] && !p.ps.perms["ModifyAllData"]) {
			prof = p
		}
	}
	if prof == nil {
		controlError(w, http.StatusBadRequest, "org %s has no profile with API Enabled", o.name)
		return
	}
	domain := strings.ToLower(strings.ReplaceAll(o.name, " ", "")) + ".gen"
	now := s.now()
	start := now.Add(-time.Duration(in.Days) * 24 * time.Hour)
	var admin *user
	for _, u := range o.users {
		if u.active && u.hasPerm("ManageUsers") {
			admin = u
			break
		}
	}
	out := ActivityResult{Anomalies: map[string]string{}}
	rows := 0
	add := func(u *user, at time.Time, ip string) {
		row := &loginRow{userID: u.id, at: at, sourceIP: ip, application: "Gen App " + u.username[:8], countryIso: "US"}
		s.fillLoginRow(o, row)
		o.history = append(o.history, row)
		if at.After(u.lastLogin) {
			u.lastLogin = at
		}
		rows++
	}
	for i := range in.Users {
		name := fmt.Sprintf("gen%05d@%s", i, domain)
		if s.userByName[name] != nil {
			controlError(w, http.StatusBadRequest, "user %s exists: generate into another org", name)
			return
		}
		u := &user{id: s.newID(o, prefixUser), loginID: s.newID(o, prefixUserLogin), username: name, first: "Gen", last: fmt.Sprintf("%05d", i),
			email: name, alias: fmt.Sprintf("g%05d", i), org: o, profile: prof, active: true, password: "Gen-Passw0rd!", token: strings.ToUpper(randToken(18))[:24],
			created: start, modified: start, lastPasswordChange: start, timeZone: "GMT", userType: "Standard"}
		s.userByName[name] = u
		o.users = append(o.users, u)
		out.Users = append(out.Users, name)
		ip := fmt.Sprintf("10.%d.%d.5", i/250, i%250)
		if in.Anomalies && i == 5 {
			u.lastLogin = now.Add(-45 * 24 * time.Hour)
			out.Anomalies["dormant"] = name
			continue
		}
		offset := time.Duration(i) * every / time.Duration(in.Users)
		for at := start.Add(offset); at.Before(now); at = at.Add(every) {
			if in.Anomalies && i == 2 && (at.UTC().Hour() < 6 || at.UTC().Hour() >= 20) {
				continue // user 2 works 06:00-20:00 UTC
			}
			add(u, at, ip)
		}
		if !in.Anomalies {
			continue
		}
		switch i {
		case 1:
			add(u, now.Add(-48*time.Hour+7*time.Minute), "203.0.113.77")
			out.Anomalies["new_network"] = name
		case 2:
			night := now.Add(-72 * time.Hour).Truncate(24 * time.Hour).Add(2 * time.Hour)
			for k := range 20 {
				add(u, night.Add(time.Duration(k)*time.Minute), ip)
			}
			out.Anomalies["off_hours"] = name
		case 3:
			h := now.Add(-120 * time.Hour).Truncate(24 * time.Hour).Add(10*time.Hour + 5*time.Minute)
			for k := range 3000 {
				add(u, h.Add(time.Duration(k)*time.Second), ip)
			}
			out.Anomalies["hourly_volume"] = name
		case 4:
			row := &auditRow{id: s.newID(o, prefixAuditTrail), action: "changedprofileforuser", section: "Manage Users",
				display: "Changed profile for user " + name + " from " + prof.name + " to System Administrator", at: now.Add(-96 * time.Hour)}
			if admin != nil {
				row.byID = admin.id
			}
			o.audit = append(o.audit, row)
			out.Anomalies["setup_change"] = name
		}
	}
	sort.SliceStable(o.history, func(i, j int) bool { return o.history[i].at.Before(o.history[j].at) })
	sort.SliceStable(o.audit, func(i, j int) bool { return o.audit[i].at.Before(o.audit[j].at) })
	out.Rows = rows
	o.touch()
	writeJSON(w, http.StatusOK, out)
}
