package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/emulator/soql"
)

// org is the live state of one emulated org. All fields are guarded by
// Server.mu.
type org struct {
	id, name, edition string
	instanceName      string
	tag               string // 4 characters that make ids of this org unique
	settings          orgSettings
	dailyMax          int
	apiUsed           int       // requests counted against DailyApiRequests
	apiDay            time.Time // UTC day apiUsed belongs to
	created           time.Time

	licenses  []*userLicense
	psls      []*permSetLicense
	profiles  []*profile
	permSets  []*permSet // includes the profiles' own permission sets
	users     []*user
	apps      []*connectedApp
	assigns   []*assignment
	pslAssign []*pslAssignment
	history   []*loginRow
	audit     []*auditRow
	oauth     []*refreshToken // every refresh token ever issued, for OauthToken
	loginIPs  []*loginIP
	records   map[string]*dataObject // Account, Contact, custom objects
	// customObjects counts the org's custom objects, for their key prefixes.
	customObjects int

	usage usageCounters

	rowsVersion uint64 // bumped on every change; invalidates rows
	rows        map[string][]soql.Row
	index       map[string]map[string]soql.Row
}

type orgSettings struct {
	soapLoginAllowed     bool
	passwordFlowAllowed  bool
	sessionTimeout       time.Duration
	passwordExpiresDays  int
	maxLoginAttempts     int
	lockout              time.Duration
	trustedRanges        []ipRange
	timeZone             *time.Location
	timeZoneSidKey       string
	defaultLocaleSidKey  string
	defaultLanguageKey   string
	organizationTypeName string
}

type usageCounters struct {
	apiRequests  int
	logins       int
	loginsByUser map[string]int
}

type ipRange struct{ start, end netip.Addr }

func (r ipRange) contains(a netip.Addr) bool {
	a = a.Unmap()
	return r.start.BitLen() == a.BitLen() && r.start.Compare(a) <= 0 && a.Compare(r.end) <= 0
}

type userLicense struct {
	id, name, key string
	total         int
}

type permSetLicense struct {
	id, developerName, label, key string
	total                         int
}

type profile struct {
	id, name      string
	license       *userLicense
	ps            *permSet // the profile's own permission set
	neverExpires  bool
	loginRanges   []ipRange
	loginHours    map[time.Weekday][2]int // minutes since midnight [start, end)
	hasLoginHours bool
	description   string
}

type objectAccess struct {
	id                                          string
	read, create, edit, del, viewAll, modifyAll bool
}

type permSet struct {
	id, name, label string
	profile         *profile // owner when the set belongs to a profile
	license         *permSetLicense
	perms           map[string]bool // system permission name without prefix -> granted
	objects         map[string]*objectAccess
	created         time.Time
	// extra holds the fields written through the API that have no
	// dedicated state (Description, ...), returned as written.
	extra soql.Row
}

type user struct {
	id, loginID               string
	username, first, last     string
	email, alias              string
	org                       *org
	profile                   *profile
	active, frozen, locked    bool
	lockedAt                  time.Time
	password, token           string
	lastPasswordChange        time.Time
	forceExpired              bool
	failedAttempts            int
	lastLogin                 time.Time
	created, modified         time.Time
	loginTimes                []time.Time // recent login attempts for the hourly limit
	lastRateRow               time.Time   // last "Login Rate Exceeded" row written
	timeZone                  string
	federationID, userType    string
	createdByID, modifiedByID string
	// extra holds the fields written through the API that have no
	// dedicated state (Title, Phone, ManagerId, ...), returned as written.
	extra soql.Row
}

type connectedApp struct {
	id, name, key, secret, callback string
	pub                             *rsa.PublicKey
	adminApproved                   bool
	preProfiles, preSets            map[string]bool // by id
	expireAfter, idle               time.Duration
	rotate                          bool
	staged                          *stagedSecret // a consumer secret staged for rotation (rotation.go)
	ccUser                          *user
	org                             *org
	created                         time.Time
}

type assignment struct {
	id      string
	user    *user
	ps      *permSet
	created time.Time
}

type pslAssignment struct {
	id   string
	user *user
	psl  *permSetLicense
}

type loginRow struct {
	id, userID                         string
	at                                 time.Time
	loginType, status, sourceIP        string
	apiType, apiVersion, application   string
	loginURL, browser, platform, tlsV  string
	authServiceID, countryIso, cipher  string
	clientVersion, loginSubType, geoID string
}

type auditRow struct {
	id, action, section, display, byID, delegate string
	at                                           time.Time
}

type refreshToken struct {
	id, token, family string
	user              *user
	app               *connectedApp
	issued, lastUsed  time.Time
	useCount          int
	revoked, rotated  bool
}

type loginIP struct {
	id, userID, sourceIP string
	created              time.Time
}

// dataObject holds the records of a stored object (Account, Contact,
// UserRole, Invoice__c, ...) of one org.
type dataObject struct {
	name string
	def  *objectDef
	rows []soql.Row
	// deleted rows are in the recycle bin: IsDeleted is true and only
	// queryAll sees them.
	deleted []soql.Row
}

// effectivePerms returns the union of the user's profile and assigned
// permission sets.
func (u *user) effectivePerms() map[string]bool {
	out := make(map[string]bool, 16)
	for p, ok := range u.profile.ps.perms {
		if ok {
			out[p] = true
		}
	}
	for _, a := range u.org.assigns {
		if a.user == u {
			for p, ok := range a.ps.perms {
				if ok {
					out[p] = true
				}
			}
		}
	}
	return out
}

// hasPerm reports whether any of the user's permission sources grants perm.
func (u *user) hasPerm(perm string) bool {
	if u.profile.ps.perms[perm] {
		return true
	}
	for _, a := range u.org.assigns {
		if a.user == u && a.ps.perms[perm] {
			return true
		}
	}
	return false
}

// objectAccess returns the user's effective access to an object.
func (u *user) objectAccess(object string) objectAccess {
	var out objectAccess
	merge := func(ps *permSet) {
		if oa := ps.objects[strings.ToLower(object)]; oa != nil {
			out.read = out.read || oa.read
			out.create = out.create || oa.create
			out.edit = out.edit || oa.edit
			out.del = out.del || oa.del
			out.viewAll = out.viewAll || oa.viewAll
			out.modifyAll = out.modifyAll || oa.modifyAll
		}
	}
	merge(u.profile.ps)
	for _, a := range u.org.assigns {
		if a.user == u {
			merge(a.ps)
		}
	}
	if u.hasPerm("ViewAllData") {
		out.read, out.viewAll = true, true
	}
	if u.hasPerm("ModifyAllData") {
		out = objectAccess{read: true, create: true, edit: true, del: true, viewAll: true, modifyAll: true}
	}
	return out
}

func (u *user) name() string { return strings.TrimSpace(u.first + " " + u.last) }

// passwordExpired reports whether the user's password has expired at now.
func (u *user) passwordExpired(now time.Time) bool {
	if u.forceExpired {
		return true
	}
	days := u.org.settings.passwordExpiresDays
	if days <= 0 || u.profile.neverExpires || u.hasPerm("PasswordNeverExpires") {
		return false
	}
	return !now.Before(u.lastPasswordChange.Add(time.Duration(days) * 24 * time.Hour))
}

// isLocked reports whether the user is locked out at now; a lockout ends by
// itself after the org's lockout interval.
func (u *user) isLocked(now time.Time) bool {
	if !u.locked {
		return false
	}
	if lo := u.org.settings.lockout; lo > 0 && !u.lockedAt.IsZero() && !now.Before(u.lockedAt.Add(lo)) {
		u.locked, u.failedAttempts = false, 0
		u.org.touch()
		return false
	}
	return true
}

func (o *org) touch() { o.rowsVersion++; o.rows = nil; o.index = nil }

func (o *org) profileByName(name string) *profile {
	for _, p := range o.profiles {
		if strings.EqualFold(p.name, name) {
			return p
		}
	}
	return nil
}

func (o *org) permSetByName(name string) *permSet {
	for _, ps := range o.permSets {
		if ps.profile == nil && strings.EqualFold(ps.name, name) {
			return ps
		}
	}
	return nil
}

func (o *org) userByID(id string) *user {
	id = normID(id)
	for _, u := range o.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

func (o *org) appByName(name string) *connectedApp {
	for _, a := range o.apps {
		if strings.EqualFold(a.name, name) || strings.EqualFold(a.apiName(), name) {
			return a
		}
	}
	return nil
}

// admin returns the user on whose behalf control-API changes are recorded:
// the first active user with Manage Users.
func (o *org) admin() *user {
	for _, u := range o.users {
		if u.active && u.hasPerm("ManageUsers") {
			return u
		}
	}
	if len(o.users) > 0 {
		return o.users[0]
	}
	return nil
}

func (o *org) assigned(u *user, ps *permSet) *assignment {
	for _, a := range o.assigns {
		if a.user == u && a.ps == ps {
			return a
		}
	}
	return nil
}

// orgTag derives the 4-character id tag of an org from its id.
func orgTag(orgID string) string {
	h := fnv.New32a()
	h.Write([]byte(orgID))
	n := h.Sum32()
	var b [4]byte
	for i := range b {
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b[:])
}

func parseRanges(in []SeedIPRange) ([]ipRange, error) {
	out := make([]ipRange, 0, len(in))
	for _, r := range in {
		s, err := netip.ParseAddr(r.Start)
		if err != nil {
			return nil, fmt.Errorf("bad IP %q", r.Start)
		}
		e, err := netip.ParseAddr(r.End)
		if err != nil {
			return nil, fmt.Errorf("bad IP %q", r.End)
		}
		out = append(out, ipRange{s.Unmap(), e.Unmap()})
	}
	return out, nil
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func parseHours(in map[string]string) (map[time.Weekday][2]int, error) {
	out := make(map[time.Weekday][2]int, len(in))
	for day, span := range in {
		wd, ok := weekdays[strings.ToLower(day)]
		if !ok {
			return nil, fmt.Errorf("unknown weekday %q", day)
		}
		var h1, m1, h2, m2 int
		if _, err := fmt.Sscanf(span, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil {
			return nil, fmt.Errorf("login hours %q: want HH:MM-HH:MM", span)
		}
		out[wd] = [2]int{h1*60 + m1, h2*60 + m2}
	}
	return out, nil
}

func parseCertificate(pemText string) (*rsa.PublicKey, error) {
	for rest := []byte(pemText); ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("no PEM certificate or public key")
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, err
			}
			if k, ok := c.PublicKey.(*rsa.PublicKey); ok {
				return k, nil
			}
			return nil, fmt.Errorf("certificate key is not RSA")
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			if rk, ok := k.(*rsa.PublicKey); ok {
				return rk, nil
			}
			return nil, fmt.Errorf("public key is not RSA")
		}
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
