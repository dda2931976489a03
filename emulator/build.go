package emulator

import (
	"fmt"
	"strings"
	"time"
)

// standard licences every org has.
var standardLicenses = []struct{ name, key string }{
	{"Salesforce", "SFDC"},
	{"Salesforce Integration", "SFDC_INTEGRATION"},
	{"Salesforce Platform", "AUL"},
}

// apply loads a validated seed into the server. It runs once, from New.
func (s *Server) apply(seed *Seed) error {
	now := s.now()
	for i := range seed.Orgs {
		so := &seed.Orgs[i]
		o, err := s.buildOrg(so, now)
		if err != nil {
			return fmt.Errorf("orgs[%d] (%s): %w", i, so.Name, err)
		}
		s.orgs = append(s.orgs, o)
		s.orgByID[o.id] = o
		s.orgByID[o.id[:15]] = o
	}
	return nil
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func (s *Server) buildOrg(so *SeedOrg, now time.Time) (*org, error) {
	id := normID(so.ID) // Validate filled it in when the seed had none
	o := &org{
		id: id, name: so.Name, edition: so.Edition, dailyMax: so.DailyAPIRequests,
		instanceName: "EMU" + fmt.Sprint(len(s.orgs)+1), tag: orgTag(id), created: now.Add(-365 * 24 * time.Hour),
		records: map[string]*dataObject{},
		usage:   usageCounters{loginsByUser: map[string]int{}},
	}
	st := so.Settings
	o.settings = orgSettings{
		soapLoginAllowed:     boolOr(st.SOAPLoginAllowed, true),
		passwordFlowAllowed:  boolOr(st.UsernamePasswordFlowAllowed, true),
		sessionTimeout:       time.Duration(st.SessionTimeoutMinutes) * time.Minute,
		passwordExpiresDays:  90,
		maxLoginAttempts:     st.MaxLoginAttempts,
		lockout:              time.Duration(st.LockoutMinutes) * time.Minute,
		timeZone:             time.UTC,
		timeZoneSidKey:       "GMT",
		defaultLocaleSidKey:  "en_US",
		defaultLanguageKey:   "en_US",
		organizationTypeName: o.edition + " Edition",
	}
	if st.PasswordExpiresDays != nil {
		o.settings.passwordExpiresDays = *st.PasswordExpiresDays
	}
	var err error
	if o.settings.trustedRanges, err = parseRanges(st.TrustedIPRanges); err != nil {
		return nil, fmt.Errorf("settings.trustedIpRanges: %w", err)
	}

	for _, d := range objects {
		if d.stored {
			s.ensureObject(o, d.name)
		}
	}
	for _, l := range standardLicenses {
		o.licenses = append(o.licenses, &userLicense{id: s.newID(o, prefixUserLicense), name: l.name, key: l.key, total: 100})
	}
	o.psls = append(o.psls, &permSetLicense{id: s.newID(o, prefixPSL), developerName: "SalesforceAPIIntegrationPsl",
		label: "Salesforce API Integration", key: "SalesforceAPIIntegrationPsl", total: 5})

	for i := range so.Profiles {
		sp := &so.Profiles[i]
		p := &profile{id: s.newID(o, prefixProfile), name: sp.Name, neverExpires: sp.PasswordNeverExpires}
		for _, l := range o.licenses {
			if strings.EqualFold(l.name, sp.UserLicense) || (sp.UserLicense == "" && l.name == "Salesforce") {
				p.license = l
			}
		}
		if p.license == nil {
			l := &userLicense{id: s.newID(o, prefixUserLicense), name: sp.UserLicense, key: strings.ToUpper(strings.ReplaceAll(sp.UserLicense, " ", "_")), total: 10}
			o.licenses = append(o.licenses, l)
			p.license = l
		}
		if p.loginRanges, err = parseRanges(sp.LoginIPRanges); err != nil {
			return nil, fmt.Errorf("profiles[%d].loginIpRanges: %w", i, err)
		}
		if sp.LoginHours != nil {
			p.hasLoginHours = true
			if p.loginHours, err = parseHours(sp.LoginHours); err != nil {
				return nil, fmt.Errorf("profiles[%d].loginHours: %w", i, err)
			}
		}
		ps := s.newPermSet(o, profilePermSetName(sp.Name), sp.Name, sp.Permissions, sp.Objects, now)
		ps.profile = p
		p.ps = ps
		if sp.PasswordNeverExpires {
			ps.perms["PasswordNeverExpires"] = true
		}
		o.profiles = append(o.profiles, p)
	}
	for i := range so.PermissionSets {
		sps := &so.PermissionSets[i]
		label := sps.Label
		if label == "" {
			label = sps.Name
		}
		ps := s.newPermSet(o, sps.Name, label, sps.Permissions, sps.Objects, now)
		if sps.License != "" {
			for _, l := range o.psls {
				if strings.EqualFold(l.label, sps.License) || strings.EqualFold(l.developerName, sps.License) {
					ps.license = l
				}
			}
			if ps.license == nil {
				l := &permSetLicense{id: s.newID(o, prefixPSL), developerName: strings.ReplaceAll(sps.License, " ", ""), label: sps.License, key: strings.ReplaceAll(sps.License, " ", ""), total: 10}
				o.psls = append(o.psls, l)
				ps.license = l
			}
		}
	}
	for i := range so.Users {
		su := &so.Users[i]
		p := o.profileByName(su.Profile)
		if p == nil {
			return nil, fmt.Errorf("users[%d] (%s): unknown profile %q", i, su.Username, su.Profile)
		}
		u := &user{
			id: s.newID(o, prefixUser), loginID: s.newID(o, prefixUserLogin),
			username: su.Username, first: su.FirstName, last: su.LastName, email: su.Email,
			org: o, profile: p, active: boolOr(su.Active, true), frozen: su.Frozen, locked: su.PasswordLocked,
			password: su.Password, token: su.SecurityToken, created: now.Add(-180 * 24 * time.Hour), modified: now,
			lastPasswordChange: now, timeZone: "GMT", userType: "Standard",
		}
		if u.locked {
			u.lockedAt = now
			u.failedAttempts = o.settings.maxLoginAttempts
		}
		if u.last == "" {
			u.last, _, _ = strings.Cut(u.username, "@")
		}
		if u.email == "" {
			u.email = u.username
		}
		u.alias = aliasOf(u)
		if su.LastPasswordChange != nil {
			u.lastPasswordChange = su.LastPasswordChange.UTC()
		}
		if _, dup := s.userByName[strings.ToLower(u.username)]; dup {
			return nil, fmt.Errorf("users[%d]: duplicate username %q", i, u.username)
		}
		s.userByName[strings.ToLower(u.username)] = u
		o.users = append(o.users, u)
		for _, name := range su.PermissionSets {
			ps := o.permSetByName(name)
			if ps == nil {
				return nil, fmt.Errorf("users[%d] (%s): unknown permission set %q", i, su.Username, name)
			}
			o.assigns = append(o.assigns, &assignment{id: s.newID(o, prefixAssignment), user: u, ps: ps, created: now})
			if ps.license != nil && !hasPSLAssign(o, u, ps.license) {
				o.pslAssign = append(o.pslAssign, &pslAssignment{id: s.newID(o, prefixPSLAssign), user: u, psl: ps.license})
			}
		}
	}
	if admin := o.admin(); admin != nil {
		for _, u := range o.users {
			u.createdByID, u.modifiedByID = admin.id, admin.id
		}
	}
	for i := range so.ConnectedApps {
		sa := &so.ConnectedApps[i]
		a := &connectedApp{
			id: s.newID(o, prefixConnectedApp), name: sa.Name, key: sa.ConsumerKey, secret: sa.ConsumerSecret,
			callback: sa.CallbackURL, adminApproved: sa.PermittedUsers == "admin_approved",
			preProfiles: map[string]bool{}, preSets: map[string]bool{},
			expireAfter: time.Duration(sa.RefreshTokenPolicy.ExpireAfterHours) * time.Hour,
			idle:        time.Duration(sa.RefreshTokenPolicy.IdleHours) * time.Hour,
			rotate:      sa.RotateRefreshTokens, org: o, created: o.created,
		}
		if sa.Certificate != "" {
			if a.pub, err = parseCertificate(sa.Certificate); err != nil {
				return nil, fmt.Errorf("connectedApps[%d].certificate: %w", i, err)
			}
		}
		for _, n := range sa.PreAuthorizedProfiles {
			if p := o.profileByName(n); p != nil {
				a.preProfiles[p.id] = true
			}
		}
		for _, n := range sa.PreAuthorizedPermSets {
			if ps := o.permSetByName(n); ps != nil {
				a.preSets[ps.id] = true
			}
		}
		if sa.ClientCredentialsUser != "" {
			a.ccUser = s.userByName[strings.ToLower(sa.ClientCredentialsUser)]
		}
		if _, dup := s.appByKey[a.key]; dup {
			return nil, fmt.Errorf("connectedApps[%d]: duplicate consumerKey", i)
		}
		s.appByKey[a.key] = a
		o.apps = append(o.apps, a)
	}
	for i, rt := range so.RefreshTokens {
		u := s.userByName[strings.ToLower(rt.User)]
		a := o.appByName(rt.App)
		if u == nil || u.org != o || a == nil {
			return nil, fmt.Errorf("refreshTokens[%d]: unknown user or app", i)
		}
		issued := now
		if rt.IssuedAt != nil {
			issued = rt.IssuedAt.UTC()
		}
		t := s.issueRefresh(u, a, issued, "")
		delete(s.refresh, t.token)
		t.token = rt.Token
		s.refresh[t.token] = t
	}
	for _, h := range so.LoginHistory {
		u := s.userByName[strings.ToLower(h.User)]
		if u == nil || u.org != o {
			return nil, fmt.Errorf("loginHistory: unknown user %q", h.User)
		}
		row := &loginRow{userID: u.id, at: h.Time.UTC(), status: h.Status, loginType: h.LoginType,
			apiType: h.APIType, sourceIP: h.SourceIP, application: h.Application}
		s.fillLoginRow(o, row)
		o.history = append(o.history, row)
		u.loginTimes = append(u.loginTimes, row.at)
		if row.status == "Success" && row.at.After(u.lastLogin) {
			u.lastLogin = row.at
		}
	}
	for _, a := range so.AuditTrail {
		by := o.admin()
		if a.By != "" {
			if u := s.userByName[strings.ToLower(a.By)]; u != nil && u.org == o {
				by = u
			}
		}
		row := &auditRow{id: s.newID(o, prefixAuditTrail), action: a.Action, section: a.Section, display: a.Display, at: a.Time.UTC()}
		if row.section == "" {
			row.section = "Manage Users"
		}
		if by != nil {
			row.byID = by.id
		}
		o.audit = append(o.audit, row)
	}
	sortHistory(o)
	return o, nil
}

func hasPSLAssign(o *org, u *user, l *permSetLicense) bool {
	for _, a := range o.pslAssign {
		if a.user == u && a.psl == l {
			return true
		}
	}
	return false
}

func (s *Server) newPermSet(o *org, name, label string, perms []string, objects map[string][]string, now time.Time) *permSet {
	ps := &permSet{id: s.newID(o, prefixPermissionSet), name: name, label: label, perms: map[string]bool{},
		objects: map[string]*objectAccess{}, created: now}
	for _, p := range perms {
		ps.perms[strings.TrimPrefix(p, "Permissions")] = true
	}
	for obj, ops := range objects {
		oa := &objectAccess{id: s.newID(o, prefixObjectPermission)}
		for _, op := range ops {
			setObjectOp(oa, op, true)
		}
		ps.objects[strings.ToLower(obj)] = oa
		s.ensureObject(o, obj)
	}
	o.permSets = append(o.permSets, ps)
	return ps
}

// setObjectOp sets one object permission by its seed name and applies the
// implications Salesforce enforces (Edit needs Read, ModifyAll needs all).
func setObjectOp(oa *objectAccess, op string, v bool) bool {
	switch strings.ToLower(op) {
	case "read":
		oa.read = v
	case "create":
		oa.create = v
	case "edit":
		oa.edit = v
	case "delete":
		oa.del = v
	case "viewall":
		oa.viewAll = v
	case "modifyall":
		oa.modifyAll = v
	default:
		return false
	}
	if v {
		oa.read = true
		if oa.modifyAll {
			oa.edit, oa.del, oa.viewAll = true, true, true
		}
		if oa.del {
			oa.edit = true
		}
	}
	return true
}

// profilePermSetName is the Name Salesforce gives a profile's own permission set.
func profilePermSetName(profile string) string {
	var b strings.Builder
	b.WriteString("X00e")
	for _, r := range profile {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func aliasOf(u *user) string {
	a := strings.ToLower(string([]rune(u.first + "x")[:1]) + u.last)
	if len(a) > 8 {
		a = a[:8]
	}
	return a
}
