package activity

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// userState is what the rules remember about one integration user, kept
// in the store as JSON.
type userState struct {
	// FirstSeen is when the Engine first saw the user (its learning
	// window starts there).
	FirstSeen   time.Time `json:"firstSeen"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// Networks are the networks of the user's successful logins, with
	// when each was last seen.
	Networks map[string]time.Time `json:"networks,omitempty"`
	// Fails are the failures of the current window; Burst is the start of
	// the burst already alerted (zero when none is in progress).
	Fails []failure `json:"fails,omitempty"`
	Burst time.Time `json:"burst,omitzero"`
	// Hour is the current clock hour of the volume counters and Count its
	// logins; Usual is the moving average of completed hours, over Hours
	// of them. Pending is the latest completed hour, checked for a jump
	// once the hour after it is over too.
	Hour    time.Time    `json:"hour,omitzero"`
	Count   int          `json:"count,omitempty"`
	Usual   float64      `json:"usual,omitempty"`
	Hours   int          `json:"hours,omitempty"`
	Pending *pendingHour `json:"pending,omitempty"`
	// Minutes count the logins of the past hour by minute, oldest first.
	Minutes []minuteCount `json:"minutes,omitempty"`
	// Storm is the start of the alerted high-volume episode (zero when
	// none), StormHour the last clock hour it was active in.
	Storm     time.Time `json:"storm,omitzero"`
	StormHour time.Time `json:"stormHour,omitzero"`
	// Apps counts the logins of the current episode by application.
	Apps map[string]int `json:"apps,omitempty"`
	// Own are the sources of Warden's own logins as the user (its
	// credential checks, which the monitor tells from the client's), by
	// OwnSource, with when each was last seen: warden legacy does not
	// count them as the integration's.
	Own map[string]time.Time `json:"own,omitempty"`
	// Dormant is the last successful login a dormancy alert was raised for.
	Dormant time.Time `json:"dormant,omitzero"`
}

// fingerprint is what the per-sweep rules may change in the state.
type fingerprint struct {
	hour, storm, dormant time.Time
	minutes              int
	pending              *pendingHour
}

func (st *userState) fingerprint() fingerprint {
	return fingerprint{st.Hour, st.Storm, st.Dormant, len(st.Minutes), st.Pending}
}

// pendingHour is a completed clock hour awaiting its jump check.
type pendingHour struct {
	Hour  time.Time `json:"hour"`
	Count int       `json:"count"`
	Usual float64   `json:"usual"`
	Hours int       `json:"hours"`
	App   string    `json:"app"`
}

// minuteCount is the number of logins in one minute (Unix minutes).
type minuteCount struct {
	M int64 `json:"m"`
	N int   `json:"n"`
}

// failure is one failed login of a burst window.
type failure struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	IP     string    `json:"ip,omitempty"`
	App    string    `json:"app,omitempty"`
}

// usualAlpha weighs each completed hour in the usual hourly volume: about
// two days of memory.
const usualAlpha = 1.0 / 48

// login applies the per-row rules to one login of u.
func (a *analysis) login(u *warden.ActivityUser, st *userState, l *warden.Login) {
	rules := &a.e.rules
	a.rollHour(u, st, l.Time)
	if l.Time.Truncate(time.Hour).Equal(st.Hour) {
		st.Count++
	}
	st.countMinute(l.Time)
	if st.Apps == nil {
		st.Apps = map[string]int{}
	}
	st.Apps[appName(l)]++
	if !rules.HourlyVolume.Off {
		a.hourlyVolume(u, st, l.Time)
	}
	if !l.Succeeded() {
		if !rules.FailedLogins.Off {
			a.failed(u, st, l)
		}
		return
	}
	if !rules.NewNetwork.Off {
		a.newNetwork(u, st, l)
	}
	if l.Time.After(st.LastSuccess) {
		st.LastSuccess = l.Time
	}
	if !rules.OffHours.Off && a.e.opts.Hours != nil {
		if h := a.e.opts.Hours(a.s.Org, u.Username); h != nil && !h.Contains(l.Time) {
			zone := h.Zone
			if zone == nil {
				zone = time.UTC
			}
			local := l.Time.In(zone)
			a.emit(RuleOffHours, rules.OffHours.Severity, u, local.Format(time.DateOnly), l.Time,
				fmt.Sprintf("Login outside the declared hours: %s logged in at %s (%s) from %s through %s, outside its declared hours.",
					u.Username, local.Format("Mon 15:04 MST"), zone, orUnknown(l.SourceIP), appName(l)),
				"Find out who or what logs in at that time. If the integration now runs then, declare the hours (activity.hours); otherwise set Login Hours on the user's profile and rotate its credential.")
		}
	}
	if !rules.Interactive.Off && strings.EqualFold(l.LoginType, "Application") {
		a.emit(RuleInteractive, rules.Interactive.Severity, u, l.Time.UTC().Format(time.DateOnly), l.Time,
			fmt.Sprintf("Interactive login to an integration user: %s logged in through the browser (%s, %s) from %s at %s.",
				u.Username, orUnknown(l.Browser), orUnknown(l.Platform), orUnknown(l.SourceIP), l.Time.UTC().Format(time.RFC3339)),
			"An integration user should only log in through the API. Find out who used its credential, rotate it, and make the user API Only (the \"API Only User\" permission or the Minimum Access - API Only Integrations profile).")
	}
}

// failed counts a failed login towards a burst and alerts when the burst
// reaches the threshold.
func (a *analysis) failed(u *warden.ActivityUser, st *userState, l *warden.Login) {
	r := a.e.rules.FailedLogins
	cut := l.Time.Add(-r.Window)
	if !st.Burst.IsZero() && len(st.Fails) > 0 && st.Fails[len(st.Fails)-1].At.Before(cut) {
		st.Burst = time.Time{} // a window without failures ended the burst
	}
	n := 0
	for _, f := range st.Fails {
		if !f.At.Before(cut) {
			st.Fails[n] = f
			n++
		}
	}
	st.Fails = append(st.Fails[:n], failure{At: l.Time, Status: l.Status, IP: l.SourceIP, App: appName(l)})
	if !st.Burst.IsZero() {
		// The alerted burst goes on: keep only the latest failure, which
		// says when it ends.
		st.Fails = st.Fails[len(st.Fails)-1:]
		return
	}
	if len(st.Fails) < r.Count {
		return
	}
	st.Burst = st.Fails[0].At
	statuses, ips, apps := map[string]int{}, map[string]int{}, map[string]int{}
	for _, f := range st.Fails {
		statuses[f.Status]++
		ips[orUnknown(f.IP)]++
		apps[f.App]++
	}
	cause := salesforce.LoginStatusCause(l.Status)
	fix := "Check the credential the application uses against the one Warden holds (warden status, warden impact) and the user's state in Setup."
	switch cause {
	case warden.CauseCredentialRejected, warden.CauseSecurityTokenRequired:
		fix = "The application sends a wrong password or security token. If nobody changed the credential, someone is guessing it: find out who logs in from these addresses; otherwise give every dependent the current credential. Repeated failures lock the user out."
	case warden.CausePasswordLocked:
		fix = "The user is locked out. Unlock it in Setup once every dependent has the current credential."
	case warden.CauseUserFrozen, warden.CauseUserDeactivated:
		fix = "The user is frozen or inactive, yet something keeps trying to log in as it: stop that application or restore the user."
	case warden.CauseIPOrHoursRestricted:
		fix = "The logins come from outside the profile's Login IP Ranges or hours: find out which application logs in from these addresses."
	case warden.CauseLoginRateExceeded:
		fix = "The user exceeded 3,600 logins in an hour: the application must reuse its session (or get tokens from Warden's broker)."
	}
	a.emit(RuleFailedLogins, r.Severity, u, st.Burst.UTC().Format(time.RFC3339), st.Burst,
		fmt.Sprintf("%d failed logins of %s in %s: %s; from %s; application %s.",
			len(st.Fails), u.Username, l.Time.Sub(st.Burst).Round(time.Second), counted(statuses), counted(ips), counted(apps)), fix)
	st.Fails = st.Fails[len(st.Fails)-1:]
}

// newNetwork learns the networks of a user's successful logins and
// alerts on a new one after the learning window.
func (a *analysis) newNetwork(u *warden.ActivityUser, st *userState, l *warden.Login) {
	netw := network(l.SourceIP)
	if netw == "" {
		return
	}
	if st.Networks == nil {
		st.Networks = map[string]time.Time{}
	}
	_, known := st.Networks[netw]
	if l.Time.After(st.Networks[netw]) {
		st.Networks[netw] = l.Time
	}
	r := a.e.rules.NewNetwork
	if known || l.Time.Before(st.FirstSeen.Add(r.Learning)) {
		return
	}
	nets := make([]string, 0, len(st.Networks))
	for n := range st.Networks {
		if n != netw {
			nets = append(nets, n)
		}
	}
	sort.Strings(nets)
	a.emit(RuleNewNetwork, r.Severity, u, netw, l.Time,
		fmt.Sprintf("Login from a new network: %s logged in from %s (network %s, country %s) through %s at %s; in %s of history it had only logged in from %s.",
			u.Username, l.SourceIP, netw, orUnknown(l.CountryISO), appName(l), l.Time.UTC().Format(time.RFC3339),
			days(l.Time.Sub(st.FirstSeen)), strings.Join(nets, ", ")),
		"Confirm with the owner that the integration moved. If not, the credential or a token may be stolen: revoke the user's sessions and tokens, rotate its credential, and restrict its profile's Login IP Ranges.")
}

// rollHour moves the volume counters to the clock hour of t, folding
// completed hours into the usual volume. A completed hour is checked for
// a jump once the hour after it is over as well, so that a storm building
// towards the hourly limit raises one alert (hourly_volume), not two.
func (a *analysis) rollHour(u *warden.ActivityUser, st *userState, t time.Time) {
	hour := t.Truncate(time.Hour)
	if st.Hour.IsZero() {
		st.Hour = hour
		return
	}
	if !hour.After(st.Hour) {
		return
	}
	if p := st.Pending; p != nil {
		a.volumeJump(u, st, p)
	}
	st.Pending = &pendingHour{Hour: st.Hour, Count: st.Count, Usual: st.Usual, Hours: st.Hours, App: topApp(st.Apps)}
	if hour.Sub(st.Hour) > time.Hour {
		// The hour after it is over too (it had no logins).
		a.volumeJump(u, st, st.Pending)
		st.Pending = nil
	}
	gap := int(hour.Sub(st.Hour) / time.Hour)
	if st.Hours == 0 {
		st.Usual = float64(st.Count)
	} else {
		st.Usual += usualAlpha * (float64(st.Count) - st.Usual)
	}
	st.Usual *= math.Pow(1-usualAlpha, float64(gap-1))
	st.Hours += gap
	st.Hour, st.Count = hour, 0
	if st.Storm.IsZero() {
		st.Apps = nil
	}
}

// volumeJump checks a completed hour against the usual volume before it,
// unless a high-volume episode was active in it or the hour after.
func (a *analysis) volumeJump(u *warden.ActivityUser, st *userState, p *pendingHour) {
	r := a.e.rules.VolumeJump
	if r.Off || p.Hours < 24 || !st.StormHour.Before(p.Hour) || p.Count < r.Minimum || float64(p.Count) < r.Factor*max(p.Usual, 1) {
		return
	}
	a.emit(RuleVolumeJump, r.Severity, u, p.Hour.UTC().Format(time.RFC3339), p.Hour,
		fmt.Sprintf("Jump in login volume: %s logged in %d times between %s and %s UTC, %.0f times its usual %.1f an hour; mostly %s.",
			u.Username, p.Count, p.Hour.UTC().Format("2006-01-02 15:04"), p.Hour.Add(time.Hour).UTC().Format("15:04"),
			float64(p.Count)/max(p.Usual, 1), p.Usual, p.App),
		"Find out what changed in the application: a login per request, a retry loop or a new deployment. Reuse sessions (or get tokens from Warden's broker) to stay clear of the 3,600 logins an hour limit.")
}

// countMinute counts a login in its minute and forgets minutes more than
// an hour before the newest.
func (st *userState) countMinute(t time.Time) {
	m := t.Unix() / 60
	i := len(st.Minutes)
	for i > 0 && st.Minutes[i-1].M > m {
		i--
	}
	if i > 0 && st.Minutes[i-1].M == m {
		st.Minutes[i-1].N++
	} else {
		st.Minutes = append(st.Minutes, minuteCount{})
		copy(st.Minutes[i+1:], st.Minutes[i:])
		st.Minutes[i] = minuteCount{M: m, N: 1}
	}
	st.trimMinutes(st.Minutes[len(st.Minutes)-1].M)
}

// trimMinutes forgets the minutes an hour or more before minute newest.
func (st *userState) trimMinutes(newest int64) {
	n := 0
	for n < len(st.Minutes) && st.Minutes[n].M <= newest-60 {
		n++
	}
	st.Minutes = st.Minutes[n:]
	if len(st.Minutes) == 0 {
		st.Minutes = nil
	}
}

// closeHours rolls the volume counters to the sweep's time, so that an
// hour is checked once it is over even when no login follows it, and ends
// a volume episode that has calmed down.
func (a *analysis) closeHours(u *warden.ActivityUser, st *userState, now time.Time) {
	if st.Hour.IsZero() {
		return
	}
	a.rollHour(u, st, now)
	st.trimMinutes(now.Unix() / 60)
	if !st.Storm.IsZero() && st.pastHour() < a.e.rules.HourlyVolume.Share*LoginHourlyLimit/2 {
		st.Storm, st.Apps = time.Time{}, nil
	}
}

// pastHour is the number of logins in the hour of Minutes.
func (st *userState) pastHour() float64 {
	n := 0
	for _, m := range st.Minutes {
		n += m.N
	}
	return float64(n)
}

// hourlyVolume alerts when the user's logins of the past hour approach
// Salesforce's limit.
func (a *analysis) hourlyVolume(u *warden.ActivityUser, st *userState, t time.Time) {
	r := a.e.rules.HourlyVolume
	threshold := r.Share * LoginHourlyLimit
	n := st.pastHour()
	if !st.Storm.IsZero() {
		if n >= threshold {
			st.StormHour = st.Hour
		}
		return
	}
	if n < threshold {
		return
	}
	st.Storm, st.StormHour = t, st.Hour
	a.emit(RuleHourlyVolume, r.Severity, u, t.UTC().Format(time.RFC3339), t,
		fmt.Sprintf("Login volume near the hourly limit: %s logged in about %.0f times in the past hour (Salesforce refuses logins beyond %d an hour and may freeze the user); the logins come from %s.",
			u.Username, n, LoginHourlyLimit, topApp(st.Apps)),
		"The application logs in per request: make it reuse its session (a session lasts hours) or get short-lived tokens from Warden's broker instead of logging in.")
}

// dormant alerts on an active user without a successful login for the
// rule's period.
func (a *analysis) dormant(u *warden.ActivityUser, st *userState) {
	r := a.e.rules.Dormant
	if r.Off || !u.Active || u.Frozen {
		return
	}
	last := st.LastSuccess
	if u.LastLogin.After(last) {
		last = u.LastLogin
	}
	ref := last
	if ref.IsZero() {
		ref = st.FirstSeen
	}
	if a.s.At.Sub(ref) < r.After || st.Dormant.Equal(ref) {
		return
	}
	st.Dormant = ref
	since := "never logged in since Warden started watching it on " + ref.UTC().Format(time.DateOnly)
	if !last.IsZero() {
		since = "last logged in successfully on " + last.UTC().Format(time.DateOnly)
	}
	cred := string(u.Credential)
	if cred == "" {
		cred = "unknown"
	}
	deps := make([]string, 0, len(u.Dependents))
	for _, d := range u.Dependents {
		deps = append(deps, d.Name)
	}
	depText := "no recorded dependents"
	if len(deps) > 0 {
		depText = "dependents " + strings.Join(deps, ", ")
	}
	a.emit(RuleDormant, r.Severity, u, ref.UTC().Format(time.DateOnly), ref,
		fmt.Sprintf("Dormant integration user: %s has had no successful login for %s (it %s); its %s credential is still valid; %s.",
			u.Username, days(a.s.At.Sub(ref)), since, cred, depText),
		"If the integration is retired, deactivate the user and revoke its credential (warden rotate, or delete the secret and the connected app's tokens); otherwise find out why it stopped.")
}

// refreshTokens alerts when the user holds nearly as many refresh tokens
// for one app as Salesforce allows.
func (a *analysis) refreshTokens(u *warden.ActivityUser) {
	r := a.e.rules.RefreshTokens
	if r.Off {
		return
	}
	apps := make([]string, 0, len(u.RefreshTokens))
	for app := range u.RefreshTokens {
		apps = append(apps, app)
	}
	sort.Strings(apps)
	for _, app := range apps {
		n := u.RefreshTokens[app]
		if n < r.Count {
			continue
		}
		a.emit(RuleRefreshTokens, r.Severity, u, app+"/"+fmt.Sprint(n), a.s.At,
			fmt.Sprintf("Refresh tokens near the limit: %s holds %d refresh tokens for connected app %s; Salesforce keeps %d per user and app, so the next approval revokes the oldest and cuts off whoever uses it.",
				u.Username, n, app, RefreshTokenLimit),
			"Find out which clients approved the app again (each approval adds a token). Revoke the tokens nobody uses (Setup > Connected Apps OAuth Usage) and have every client share one managed token, or Warden's broker.")
	}
}

// network is the /24 of an IPv4 address or the /48 of an IPv6 one, or ""
// for an address that does not parse.
func network(ip string) string {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return ""
	}
	bits := 48
	if addr.Is4() || addr.Is4In6() {
		addr, bits = addr.Unmap(), 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// appName is the application of a login, or its login type when
// Salesforce records none.
func appName(l *warden.Login) string {
	if l.Application != "" && l.Application != "N/A" {
		return l.Application
	}
	if l.LoginType != "" {
		return "(" + l.LoginType + ")"
	}
	return "(unknown application)"
}

// counted writes "9 × Invalid Password, 1 × Password Lockout", most first.
func counted(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// topApp names the application with the most logins, with its count.
func topApp(apps map[string]int) string {
	best, n := "", -1
	for app, c := range apps {
		if c > n || c == n && app < best {
			best, n = app, c
		}
	}
	if n < 0 {
		return "an unknown application"
	}
	return fmt.Sprintf("application %s (%d logins)", best, n)
}

func orUnknown(s string) string {
	if s == "" || s == "N/A" {
		return "unknown"
	}
	return s
}

// days writes a duration in whole days, or hours below two days.
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
