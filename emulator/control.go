package emulator

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The control API under /_emulator/ changes the emulator's state the way an
// admin (or the passage of time, or a failing network) would. It speaks
// JSON; errors are {"error": "..."} with a 4xx status. docs/emulator.md
// documents every endpoint.

func controlError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// decodeControl decodes a JSON body strictly (unknown keys are errors).
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body) // read and bounded before the lock, see readBody
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		controlError(w, http.StatusBadRequest, "invalid JSON body: %v", err)
		return false
	}
	return true
}

// OrgInfo describes an org in control-API listings.
type OrgInfo struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Edition       string     `json:"edition"`
	InstanceName  string     `json:"instanceName"`
	Users         []UserInfo `json:"users"`
	ConnectedApps []AppInfo  `json:"connectedApps"`
}

// UserInfo describes a user in control-API listings.
type UserInfo struct {
	ID              string   `json:"id"`
	Username        string   `json:"username"`
	Active          bool     `json:"active"`
	Frozen          bool     `json:"frozen"`
	PasswordLocked  bool     `json:"passwordLocked"`
	PasswordExpired bool     `json:"passwordExpired"`
	Profile         string   `json:"profile"`
	PermissionSets  []string `json:"permissionSets"`
}

// AppInfo describes a connected app in control-API listings.
type AppInfo struct {
	Name        string `json:"name"`
	ConsumerKey string `json:"consumerKey"`
}

func (s *Server) orgInfo(o *org) OrgInfo {
	info := OrgInfo{ID: o.id, Name: o.name, Edition: o.edition, InstanceName: o.instanceName, Users: []UserInfo{}, ConnectedApps: []AppInfo{}}
	for _, u := range o.users {
		info.Users = append(info.Users, s.userInfo(u))
	}
	for _, a := range o.apps {
		info.ConnectedApps = append(info.ConnectedApps, AppInfo{Name: a.name, ConsumerKey: a.key})
	}
	return info
}

func (s *Server) userInfo(u *user) UserInfo {
	ui := UserInfo{ID: u.id, Username: u.username, Active: u.active, Frozen: u.frozen, PasswordLocked: u.isLocked(s.now()),
		PasswordExpired: u.passwordExpired(s.now()), Profile: u.profile.name, PermissionSets: []string{}}
	for _, a := range u.org.assigns {
		if a.user == u {
			ui.PermissionSets = append(ui.PermissionSets, a.ps.name)
		}
	}
	return ui
}

// findOrg resolves an org by id (15 or 18 characters) or by name.
func (s *Server) findOrg(key string) *org {
	if o := s.orgByID[key]; o != nil {
		return o
	}
	for _, o := range s.orgs {
		if strings.EqualFold(o.name, key) {
			return o
		}
	}
	return nil
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/_emulator"), "/"), "/")
	route := parts[0]
	switch {
	case route == "clock":
		s.controlClock(w, r)
		return
	case route == "faults":
		s.controlFaults(w, r, parts[1:])
		return
	case route == "mailbox" && len(parts) == 3 && parts[2] == "password":
		s.controlMailboxPassword(w, r, parts[1]) // rotation.go
		return
	case route == "mailbox" && len(parts) == 2 && r.Method == http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		msgs := s.mail[strings.ToLower(parts[1])]
		if msgs == nil {
			msgs = []Mail{}
		}
		writeJSON(w, http.StatusOK, msgs)
		return
	case route == "orgs" && len(parts) == 1 && r.Method == http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		out := make([]OrgInfo, 0, len(s.orgs))
		for _, o := range s.orgs {
			out = append(out, s.orgInfo(o))
		}
		writeJSON(w, http.StatusOK, out)
		return
	case route == "orgs" && len(parts) >= 2:
		s.mu.Lock()
		defer s.mu.Unlock()
		o := s.findOrg(parts[1])
		if o == nil {
			controlError(w, http.StatusNotFound, "no org %q", parts[1])
			return
		}
		s.controlOrg(w, r, o, parts[2:])
		return
	}
	controlError(w, http.StatusNotFound, "no control endpoint %s %s", r.Method, r.URL.Path)
}

func (s *Server) controlOrg(w http.ResponseWriter, r *http.Request, o *org, parts []string) {
	m := r.Method
	switch {
	case len(parts) == 0 && m == http.MethodGet:
		writeJSON(w, http.StatusOK, s.orgInfo(o))
	case len(parts) == 1 && parts[0] == "settings" && m == http.MethodPatch:
		var in struct {
			SOAPLoginAllowed            *bool `json:"soapLoginAllowed"`
			UsernamePasswordFlowAllowed *bool `json:"usernamePasswordFlowAllowed"`
			DailyAPIRequests            *int  `json:"dailyApiRequests"`
			SessionTimeoutMinutes       *int  `json:"sessionTimeoutMinutes"`
			PasswordExpiresDays         *int  `json:"passwordExpiresDays"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		switch {
		case in.DailyAPIRequests != nil && *in.DailyAPIRequests < 0:
			controlError(w, http.StatusBadRequest, "dailyApiRequests: %d is negative", *in.DailyAPIRequests)
			return
		case in.SessionTimeoutMinutes != nil && *in.SessionTimeoutMinutes < 1:
			controlError(w, http.StatusBadRequest, "sessionTimeoutMinutes: %d is less than 1", *in.SessionTimeoutMinutes)
			return
		case in.PasswordExpiresDays != nil && *in.PasswordExpiresDays < 0:
			controlError(w, http.StatusBadRequest, "passwordExpiresDays: %d is negative (0 means never)", *in.PasswordExpiresDays)
			return
		}
		if in.SOAPLoginAllowed != nil {
			o.settings.soapLoginAllowed = *in.SOAPLoginAllowed
		}
		if in.UsernamePasswordFlowAllowed != nil {
			o.settings.passwordFlowAllowed = *in.UsernamePasswordFlowAllowed
		}
		if in.DailyAPIRequests != nil {
			o.dailyMax = *in.DailyAPIRequests
		}
		if in.SessionTimeoutMinutes != nil {
			o.settings.sessionTimeout = time.Duration(*in.SessionTimeoutMinutes) * time.Minute
		}
		if in.PasswordExpiresDays != nil {
			o.settings.passwordExpiresDays = *in.PasswordExpiresDays
		}
		o.touch()
		writeJSON(w, http.StatusOK, s.orgInfo(o))
	case len(parts) == 1 && parts[0] == "usage" && m == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"apiRequests": o.usage.apiRequests, "logins": o.usage.logins,
			"loginsByUser": o.usage.loginsByUser, "dailyApiRequests": map[string]int{"Max": o.dailyMax, "Used": o.apiUsed}})
	case len(parts) == 1 && parts[0] == "usage" && m == http.MethodDelete:
		o.usage = usageCounters{loginsByUser: map[string]int{}}
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 1 && parts[0] == "refresh-tokens" && m == http.MethodPost:
		var in struct{ Username, App string }
		if !decodeControl(w, r, &in) {
			return
		}
		u, a := s.userByName[strings.ToLower(in.Username)], o.appByName(in.App)
		if u == nil || u.org != o {
			controlError(w, http.StatusBadRequest, "username: no user %q in org %s", in.Username, o.name)
			return
		}
		if a == nil {
			controlError(w, http.StatusBadRequest, "app: no connected app %q in org %s", in.App, o.name)
			return
		}
		t := s.issueRefresh(u, a, s.now(), "")
		writeJSON(w, http.StatusOK, map[string]string{"refresh_token": t.token})
	case len(parts) == 1 && parts[0] == "revoke" && m == http.MethodPost:
		var in struct{ Username string }
		if !decodeControl(w, r, &in) {
			return
		}
		u := s.userByName[strings.ToLower(in.Username)]
		if u == nil || u.org != o {
			controlError(w, http.StatusBadRequest, "username: no user %q in org %s", in.Username, o.name)
			return
		}
		s.revokeUser(u)
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 1 && parts[0] == "activity" && m == http.MethodPost: // activity.go
		s.controlActivity(w, r, o)
	case len(parts) == 1 && parts[0] == "connected-apps" && m == http.MethodPost:
		s.controlApp(w, r, o)
	case len(parts) == 2 && (parts[0] == "permissionsets" || parts[0] == "profiles") && m == http.MethodPatch:
		s.controlPermSet(w, r, o, parts[0], parts[1])
	case len(parts) >= 2 && parts[0] == "users":
		u := s.userByName[strings.ToLower(parts[1])]
		if u == nil || u.org != o {
			controlError(w, http.StatusNotFound, "no user %q in org %s", parts[1], o.name)
			return
		}
		s.controlUser(w, r, u, parts[2:])
	default:
		controlError(w, http.StatusNotFound, "no control endpoint %s %s", m, r.URL.Path)
	}
}

func (s *Server) controlUser(w http.ResponseWriter, r *http.Request, u *user, parts []string) {
	o, by, m := u.org, u.org.admin(), r.Method
	switch {
	case len(parts) == 0 && m == http.MethodGet:
		writeJSON(w, http.StatusOK, s.userInfo(u))
	case len(parts) == 0 && m == http.MethodPatch:
		var in struct {
			Active          *bool   `json:"active"`
			Frozen          *bool   `json:"frozen"`
			PasswordLocked  *bool   `json:"passwordLocked"`
			Profile         *string `json:"profile"`
			PasswordExpired *bool   `json:"passwordExpired"`
			Password        *string `json:"password"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		var p *profile
		if in.Profile != nil {
			if p = o.profileByName(*in.Profile); p == nil {
				controlError(w, http.StatusBadRequest, "profile: no profile %q in org %s", *in.Profile, o.name)
				return
			}
		}
		if in.Active != nil && *in.Active != u.active {
			s.setActive(u, *in.Active, by)
		}
		if in.Frozen != nil {
			s.setFrozen(u, *in.Frozen, by)
		}
		if in.PasswordLocked != nil {
			s.setLocked(u, *in.PasswordLocked, by)
		}
		if p != nil && p != u.profile {
			s.setProfile(u, p, by)
		}
		if in.PasswordExpired != nil {
			u.forceExpired = *in.PasswordExpired
			if !*in.PasswordExpired && u.passwordExpired(s.now()) {
				u.lastPasswordChange = s.now()
			}
		}
		if in.Password != nil {
			u.password, u.lastPasswordChange, u.forceExpired = *in.Password, s.now(), false
			s.audit(o, by, "changedpassword", "Changed password for user "+u.username)
		}
		o.touch()
		writeJSON(w, http.StatusOK, s.userInfo(u))
	case len(parts) == 2 && parts[0] == "permissionsets" && (m == http.MethodPut || m == http.MethodDelete):
		ps := o.permSetByName(parts[1])
		if ps == nil {
			controlError(w, http.StatusNotFound, "no permission set %q in org %s", parts[1], o.name)
			return
		}
		a := o.assigned(u, ps)
		if m == http.MethodPut && a == nil {
			if ps.license != nil && !hasPSLAssign(o, u, ps.license) {
				o.pslAssign = append(o.pslAssign, &pslAssignment{id: s.newID(o, prefixPSLAssign), user: u, psl: ps.license})
			}
			o.assigns = append(o.assigns, &assignment{id: s.newID(o, prefixAssignment), user: u, ps: ps, created: s.now()})
			s.audit(o, by, "PermSetAssign", fmt.Sprintf("Permission set %s: assigned to user %s", ps.label, u.username))
		}
		if m == http.MethodDelete && a != nil {
			for i, x := range o.assigns {
				if x == a {
					o.assigns = append(o.assigns[:i], o.assigns[i+1:]...)
					break
				}
			}
			s.audit(o, by, "PermSetUnassign", fmt.Sprintf("Permission set %s: unassigned from user %s", ps.label, u.username))
		}
		o.touch()
		writeJSON(w, http.StatusOK, s.userInfo(u))
	case len(parts) == 1 && parts[0] == "reset-password" && m == http.MethodPost:
		tmp := s.resetPassword(u, by)
		o.touch()
		writeJSON(w, http.StatusOK, map[string]string{"password": tmp})
	case len(parts) == 1 && parts[0] == "reset-token" && m == http.MethodPost:
		u.token = newSecurityToken()
		s.deliver(u, "Your new Salesforce security token",
			fmt.Sprintf("Dear %s,\n\nYou recently requested a new security token for %s.\n\nSecurity token (case-sensitive): %s\n", u.name(), u.username, u.token),
			"", u.token)
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 1 && parts[0] == "logins" && m == http.MethodPost:
		// Simulate logins by a client of this user without the protocol
		// round trip, e.g. a client that logs in per request.
		var in struct {
			Count     int    `json:"count"`
			Status    string `json:"status"`
			LoginType string `json:"loginType"`
			APIType   string `json:"apiType"`
			App       string `json:"app"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		if in.Count <= 0 || in.Count > 100000 {
			controlError(w, http.StatusBadRequest, "count: must be between 1 and 100000")
			return
		}
		now := s.now()
		for i := 0; i < in.Count; i++ {
			row := &loginRow{userID: u.id, at: now, status: in.Status, loginType: in.LoginType, apiType: in.APIType, application: in.App}
			s.fillLoginRow(o, row)
			o.history = append(o.history, row)
			u.loginTimes = append(u.loginTimes, now)
		}
		o.usage.logins += in.Count
		o.usage.loginsByUser[u.username] += in.Count
		o.touch()
		w.WriteHeader(http.StatusNoContent)
	default:
		controlError(w, http.StatusNotFound, "no control endpoint %s %s", m, r.URL.Path)
	}
}

// controlPermSet changes a permission set's (or a profile's) system and
// object permissions: {"permissions":{"ApiEnabled":false},"objects":{"Account":["Read"]}}.
func (s *Server) controlPermSet(w http.ResponseWriter, r *http.Request, o *org, kind, name string) {
	var ps *permSet
	if kind == "profiles" {
		if p := o.profileByName(name); p != nil {
			ps = p.ps
		}
	} else {
		ps = o.permSetByName(name)
	}
	if ps == nil {
		controlError(w, http.StatusNotFound, "no %s %q in org %s", strings.TrimSuffix(kind, "s"), name, o.name)
		return
	}
	var in struct {
		Permissions map[string]bool     `json:"permissions"`
		Objects     map[string][]string `json:"objects"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	for p := range in.Permissions {
		if !IsSystemPermission(strings.TrimPrefix(p, "Permissions")) {
			controlError(w, http.StatusBadRequest, "permissions: unknown system permission %q", p)
			return
		}
	}
	for obj, ops := range in.Objects {
		for _, op := range ops {
			if !setObjectOp(&objectAccess{}, op, true) {
				controlError(w, http.StatusBadRequest, "objects.%s: unknown object permission %q", obj, op)
				return
			}
		}
	}
	q := &request{o: o, u: o.admin(), now: s.now()}
	body := input{}
	for p, v := range in.Permissions {
		body["Permissions"+strings.TrimPrefix(p, "Permissions")] = v
	}
	s.setPerms(q, ps, body)
	for obj, ops := range in.Objects {
		s.ensureObject(o, obj)
		oa := &objectAccess{id: s.newID(o, prefixObjectPermission)}
		if old := ps.objects[strings.ToLower(obj)]; old != nil {
			oa.id = old.id
		}
		for _, op := range ops {
			setObjectOp(oa, op, true)
		}
		if len(ops) == 0 {
			delete(ps.objects, strings.ToLower(obj))
		} else {
			ps.objects[strings.ToLower(obj)] = oa
		}
		s.audit(o, q.u, "PermSetObjectPermChange", fmt.Sprintf("Permission set %s: object permissions for %s set to %v", ps.label, obj, ops))
	}
	o.touch()
	writeJSON(w, http.StatusOK, map[string]any{"name": ps.name, "permissions": sortedTrue(ps.perms)})
}

func sortedTrue(m map[string]bool) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		if m[k] {
			out = append(out, k)
		}
	}
	return out
}

func (s *Server) controlClock(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var in struct {
			Advance string     `json:"advance"`
			Set     *time.Time `json:"set"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		switch {
		case in.Advance != "" && in.Set != nil:
			controlError(w, http.StatusBadRequest, "give one of advance and set")
			return
		case in.Advance != "":
			d, err := time.ParseDuration(in.Advance)
			if err != nil || d < 0 {
				controlError(w, http.StatusBadRequest, "advance: %q is not a non-negative duration such as 90m", in.Advance)
				return
			}
			s.offset += d
		case in.Set != nil:
			if in.Set.Before(s.now()) {
				controlError(w, http.StatusBadRequest, "set: the clock cannot move backwards")
				return
			}
			s.offset += in.Set.Sub(s.now())
		default:
			controlError(w, http.StatusBadRequest, "give advance (a duration) or set (a time)")
			return
		}
	default:
		controlError(w, http.StatusMethodNotAllowed, "use GET or POST")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"now": s.now(), "offset": s.offset.String()})
}

// Advance moves the emulator's clock forward, as POST /_emulator/clock does.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// Now returns the emulator's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// controlApp creates a connected app, or updates the one with the same
// consumer key, as an admin would in Setup (Salesforce has no REST API for
// connected apps). The body has the keys of a seed's connectedApps[] item:
// {"name","consumerKey","consumerSecret","certificate","permittedUsers",
// "preAuthorizedPermissionSets","clientCredentialsUser",...}.
func (s *Server) controlApp(w http.ResponseWriter, r *http.Request, o *org) {
	var in SeedConnectedApp
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Name == "" || in.ConsumerKey == "" {
		controlError(w, http.StatusBadRequest, "name and consumerKey are required")
		return
	}
	if in.PermittedUsers != "" && in.PermittedUsers != "all" && in.PermittedUsers != "admin_approved" {
		controlError(w, http.StatusBadRequest, "permittedUsers: %q is not all or admin_approved", in.PermittedUsers)
		return
	}
	a := s.appByKey[in.ConsumerKey]
	if a != nil && a.org != o {
		controlError(w, http.StatusConflict, "consumerKey: %q belongs to an app of another org", in.ConsumerKey)
		return
	}
	if other := o.appByName(in.Name); other != nil && other != a {
		controlError(w, http.StatusConflict, "name: org %s already has a connected app %q", o.name, in.Name)
		return
	}
	status := http.StatusOK
	if a == nil {
		a = &connectedApp{id: s.newID(o, prefixConnectedApp), key: in.ConsumerKey, org: o, created: s.now()}
		status = http.StatusCreated
	}
	var pub *rsa.PublicKey
	if in.Certificate != "" {
		var err error
		if pub, err = parseCertificate(in.Certificate); err != nil {
			controlError(w, http.StatusBadRequest, "certificate: %v", err)
			return
		}
	}
	var cc *user
	if in.ClientCredentialsUser != "" {
		if cc = s.userByName[strings.ToLower(in.ClientCredentialsUser)]; cc == nil || cc.org != o {
			controlError(w, http.StatusBadRequest, "clientCredentialsUser: no user %q in org %s", in.ClientCredentialsUser, o.name)
			return
		}
	}
	pre := map[string]bool{}
	for _, n := range in.PreAuthorizedPermSets {
		ps := o.permSetByName(n)
		if ps == nil {
			controlError(w, http.StatusBadRequest, "preAuthorizedPermissionSets: no permission set %q in org %s", n, o.name)
			return
		}
		pre[ps.id] = true
	}
	preProfiles := map[string]bool{}
	for _, n := range in.PreAuthorizedProfiles {
		p := o.profileByName(n)
		if p == nil {
			controlError(w, http.StatusBadRequest, "preAuthorizedProfiles: no profile %q in org %s", n, o.name)
			return
		}
		preProfiles[p.id] = true
	}
	a.name, a.secret, a.callback, a.pub, a.ccUser = in.Name, in.ConsumerSecret, in.CallbackURL, pub, cc
	a.adminApproved, a.preSets, a.preProfiles = in.PermittedUsers == "admin_approved", pre, preProfiles
	a.expireAfter = time.Duration(in.RefreshTokenPolicy.ExpireAfterHours) * time.Hour
	a.idle = time.Duration(in.RefreshTokenPolicy.IdleHours) * time.Hour
	a.rotate = in.RotateRefreshTokens
	if status == http.StatusCreated {
		s.appByKey[a.key] = a
		o.apps = append(o.apps, a)
	}
	o.touch()
	writeJSON(w, status, AppInfo{Name: a.name, ConsumerKey: a.key})
}
