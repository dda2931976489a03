package emulator

import (
	"crypto/subtle"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// loginLimitPerHour is Salesforce's per-user login rate limit.
const loginLimitPerHour = 3600

// maxHistoryRows bounds LoginHistory per org; the oldest half is dropped
// when it is reached (real orgs keep six months).
const maxHistoryRows = 200_000

// failure is why a login was refused, independent of protocol. Each
// protocol maps it to its own wire error.
type failure int

const (
	loginOK failure = iota
	failUnknownUser
	failBadPassword
	failNoToken
	failInactive
	failFrozen
	failLocked
	failExpired
	failIPRestricted
	failHoursRestricted
	failRate
	failFlowDisabled
	failAPIOnly
	failAPIDisabled
	failNotApproved
)

// historyStatus is the LoginHistory.Status each failure records.
var historyStatus = map[failure]string{
	loginOK:             "Success",
	failBadPassword:     "Invalid Password",
	failNoToken:         "Failed: API security token required",
	failInactive:        "User is Inactive",
	failFrozen:          "User is Frozen",
	failLocked:          "Password Lockout",
	failExpired:         "Password Expired",
	failIPRestricted:    "Restricted IP",
	failHoursRestricted: "Restricted time",
	failRate:            "Login Rate Exceeded",
	failFlowDisabled:    "Username-Password Flow Disabled",
	failAPIOnly:         "Failed: API-only user",
	failAPIDisabled:     "Failed: API Disabled",
	failNotApproved:     "Failed: OAuth Consumer Not Approved",
}

// attempt describes one login attempt.
type attempt struct {
	user       *user  // resolved user, or nil
	username   string // as given, when user is nil
	password   string // password (+ token) for password flows
	checkPass  bool   // verify password
	soap       bool   // SOAP login: an expired password still logs in
	ui         bool   // browser login (authorize page): API Only users refused
	ip         netip.Addr
	loginType  string // LoginHistory.LoginType
	apiType    string
	apiVersion string
	app        *connectedApp
	loginURL   string
}

// login runs every check Salesforce applies to a login, writes the
// LoginHistory row and counts it. Callers hold s.mu.
func (s *Server) login(a attempt) (*user, failure) {
	u := a.user
	if u == nil {
		u = s.userByName[strings.ToLower(a.username)]
	}
	if u == nil {
		return nil, failUnknownUser
	}
	now := s.now()
	o := u.org
	recent := u.recentLogins(now)
	f := loginOK
	switch {
	case recent >= loginLimitPerHour:
		f = failRate
	case !u.active:
		f = failInactive
	case u.frozen:
		f = failFrozen
	case a.checkPass && !a.soap && a.app != nil && !o.settings.passwordFlowAllowed:
		f = failFlowDisabled
	case u.isLocked(now):
		f = failLocked
	case a.checkPass:
		// Browser logins verify identity instead of asking for the
		// security token (identity verification is not emulated).
		f = s.checkPassword(u, a.password, a.ip, a.ui, now)
	}
	if f == loginOK {
		f = s.checkRestrictions(u, a, now)
	}
	if f == failRate {
		// While limited, Salesforce logs only some refusals: one a minute.
		if now.Sub(u.lastRateRow) >= time.Minute {
			u.lastRateRow = now
			s.recordLogin(u, a, f, now)
		}
		return u, f
	}
	u.loginTimes = append(u.loginTimes, now)
	o.usage.logins++
	o.usage.loginsByUser[u.username]++
	s.recordLogin(u, a, f, now)
	if f == loginOK || f == failExpired && a.soap {
		u.failedAttempts = 0
		u.lastLogin = now
	}
	return u, f
}

// checkPassword verifies password (+ security token) and counts failures
// toward lockout.
func (s *Server) checkPassword(u *user, given string, ip netip.Addr, browser bool, now time.Time) failure {
	if secretEqual(given, u.password+u.token) {
		return loginOK
	}
	if secretEqual(given, u.password) {
		if browser || u.trustedIP(ip) {
			return loginOK
		}
		return failNoToken
	}
	u.failedAttempts++
	if max := u.org.settings.maxLoginAttempts; max > 0 && u.failedAttempts >= max {
		u.locked, u.lockedAt = true, now
		u.org.touch()
		return failLocked
	}
	return failBadPassword
}

// checkRestrictions applies the profile's login IP ranges and hours, the
// API Only rule, and password expiry to an otherwise valid login.
func (s *Server) checkRestrictions(u *user, a attempt, now time.Time) failure {
	p := u.profile
	if len(p.loginRanges) > 0 && !inRanges(p.loginRanges, a.ip) {
		return failIPRestricted
	}
	if p.hasLoginHours && !p.withinHours(now.In(u.org.settings.timeZone)) {
		return failHoursRestricted
	}
	if a.ui && u.hasPerm("ApiUserOnly") {
		return failAPIOnly
	}
	if a.soap && !u.hasPerm("ApiEnabled") {
		return failAPIDisabled
	}
	if a.checkPass && u.passwordExpired(now) {
		return failExpired
	}
	return loginOK
}

// recordLogin appends a LoginHistory row.
func (s *Server) recordLogin(u *user, a attempt, f failure, now time.Time) {
	o := u.org
	app := ""
	if a.app != nil {
		app = a.app.name
	}
	if a.soap {
		app = "N/A"
	}
	row := &loginRow{userID: u.id, at: now, loginType: a.loginType, status: historyStatus[f], sourceIP: a.ip.String(),
		apiType: a.apiType, apiVersion: a.apiVersion, application: app, loginURL: a.loginURL}
	s.fillLoginRow(o, row)
	if len(o.history) >= maxHistoryRows {
		o.history = append(o.history[:0], o.history[len(o.history)/2:]...)
	}
	o.history = append(o.history, row)
	o.touch()
}

// fillLoginRow sets the id and the fields Salesforce fills on every row.
func (s *Server) fillLoginRow(o *org, row *loginRow) {
	row.id = s.newID(o, prefixLoginHistory)
	if row.status == "" {
		row.status = "Success"
	}
	if row.loginType == "" {
		row.loginType = "Remote Access 2.0"
	}
	if row.sourceIP == "" {
		row.sourceIP = "127.0.0.1"
	}
	if row.apiVersion == "" && row.apiType != "" {
		row.apiVersion = "62.0"
	}
	if row.apiVersion == "" {
		row.apiVersion = "N/A"
	}
	if row.application == "" {
		row.application = "N/A"
	}
	if row.loginURL == "" {
		row.loginURL = "login.salesforce.com"
	}
	row.browser, row.platform, row.tlsV, row.cipher = "Unknown", "Unknown", "TLS 1.3", "TLS_AES_256_GCM_SHA384"
	row.countryIso = "US"
}

func sortHistory(o *org) {
	sort.SliceStable(o.history, func(i, j int) bool { return o.history[i].at.Before(o.history[j].at) })
	for _, u := range o.users {
		sort.Slice(u.loginTimes, func(i, j int) bool { return u.loginTimes[i].Before(u.loginTimes[j]) })
	}
}

// recentLogins counts the user's login attempts in the past hour, dropping
// older ones.
func (u *user) recentLogins(now time.Time) int {
	cut := now.Add(-time.Hour)
	i := sort.Search(len(u.loginTimes), func(i int) bool { return u.loginTimes[i].After(cut) })
	if i > 0 {
		u.loginTimes = append(u.loginTimes[:0], u.loginTimes[i:]...)
	}
	return len(u.loginTimes)
}

// trustedIP reports whether logins from ip need no security token: it is in
// the org's trusted ranges or the profile's login IP ranges.
func (u *user) trustedIP(ip netip.Addr) bool {
	return inRanges(u.org.settings.trustedRanges, ip) || inRanges(u.profile.loginRanges, ip)
}

func inRanges(rs []ipRange, ip netip.Addr) bool {
	for _, r := range rs {
		if r.contains(ip) {
			return true
		}
	}
	return false
}

// withinHours reports whether t (in the org's time zone) is inside the
// profile's login hours.
func (p *profile) withinHours(t time.Time) bool {
	span, ok := p.loginHours[t.Weekday()]
	if !ok {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return m >= span[0] && m < span[1]
}

// approved reports whether the user may use the app under its
// "Permitted Users" policy.
func (a *connectedApp) approved(u *user) bool {
	if !a.adminApproved {
		return true
	}
	if a.preProfiles[u.profile.id] {
		return true
	}
	for _, as := range u.org.assigns {
		if as.user == u && a.preSets[as.ps.id] {
			return true
		}
	}
	return false
}

// secretEqual compares secrets in constant time.
func secretEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
