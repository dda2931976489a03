package config

// Filling defaults and validating a decoded Config. Every problem goes to
// the Doc with the line of the value it is about; values that failed to
// decode are skipped (the decoder has reported them).
//
// Messages never quote a secret value (tokens, passwords, webhook URLs,
// routing keys, DSNs): they may have come from the environment.

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/strictyaml"
)

type validator struct {
	doc *strictyaml.Doc
	c   *Config

	stores    map[string]string // secret store name -> path of its name
	orgs      map[string]string // org name -> path
	creds     map[string]int    // credential name -> index
	users     map[string]int    // org + "\x00" + lower-case username -> index
	usernames map[string]string // lower-case username -> path
	teams     map[string]string // team -> path
	channels  map[string]string // notification channel name -> path
}

func (v *validator) add(path, format string, args ...any) { v.doc.Add(path, format, args...) }

// ref names path for "also ..." messages, with its line when known.
func (v *validator) ref(path string) string {
	if l := v.doc.Line(path); l > 0 {
		return fmt.Sprintf("%s at line %d", path, l)
	}
	return path
}

// register records a name in m, reporting it when it is missing,
// malformed (with strict naming) or a duplicate. It reports whether the
// name is usable.
func (v *validator) register(m map[string]string, path, what, name string, strict bool) bool {
	switch {
	case strings.TrimSpace(name) == "":
		v.add(path, "is required")
		return false
	case strict && !validName(name):
		v.add(path, "%q is not a valid name (use letters, digits, '.', '_' and '-')", name)
		return false
	}
	if other, dup := m[name]; dup {
		v.add(path, "duplicate %s %q (also %s)", what, name, v.ref(other))
		return false
	}
	m[name] = path
	return true
}

// validName reports whether s is a usable inventory name (the rule of
// warden.Org.Validate).
func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			return false
		}
	}
	return true
}

// hint lists the names that do exist, for "not found" messages.
func hint(what string, m map[string]string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (no %s are declared)", what)
	}
	sort.Strings(names)
	const shown = 10
	more := ""
	if len(names) > shown {
		more = fmt.Sprintf(", ... (%d more)", len(names)-shown)
		names = names[:shown]
	}
	return fmt.Sprintf(" (%s: %s%s)", what, strings.Join(names, ", "), more)
}

// oneOf checks that value is one of allowed, reporting it with a "did you
// mean" hint otherwise.
func (v *validator) oneOf(path, value string, allowed []string) bool {
	if slices.Contains(allowed, value) {
		return true
	}
	want := strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
	if s := strictyaml.Suggest(value, allowed); s != "" {
		v.add(path, "%q is not %s (did you mean %q?)", value, want, s)
	} else {
		v.add(path, "%q is not %s", value, want)
	}
	return false
}

// unused reports the keys that are set but mean nothing for kind.
func (v *validator) unused(path, kind string, fields []kindField) {
	for _, f := range fields {
		if f.set && !slices.Contains(f.kinds, kind) {
			v.add(path+"."+f.key, "is not used by kind %s (only by %s)", kind, strings.Join(f.kinds, ", "))
		}
	}
}

type kindField struct {
	key   string
	set   bool
	kinds []string
}

func (v *validator) run() {
	c := v.c
	v.stores = map[string]string{}
	v.orgs = map[string]string{}
	v.creds = map[string]int{}
	v.users = map[string]int{}
	v.usernames = map[string]string{}
	v.teams = map[string]string{}
	v.channels = map[string]string{}

	v.store()
	v.server()
	v.monitor()
	v.activity()
	v.broker()
	// Names first, so that references can be checked in any order.
	for i := range c.SecretStores {
		v.register(v.stores, fmt.Sprintf("secretStores[%d].name", i), "secret store name", c.SecretStores[i].Name, true)
	}
	for i := range c.Orgs {
		v.register(v.orgs, fmt.Sprintf("orgs[%d].name", i), "org name", c.Orgs[i].Name, true)
	}
	credNames := map[string]string{}
	for i := range c.Credentials {
		if v.register(credNames, fmt.Sprintf("credentials[%d].name", i), "credential name", c.Credentials[i].Name, true) {
			v.creds[c.Credentials[i].Name] = i
		}
	}
	for i := range c.Owners {
		v.register(v.teams, fmt.Sprintf("owners[%d].team", i), "team", c.Owners[i].Team, false)
	}
	for i := range c.Notifications {
		v.register(v.channels, fmt.Sprintf("notifications[%d].name", i), "notification name", c.Notifications[i].Name, true)
	}
	v.access() // auth and tls (config/auth.go)

	for i := range c.SecretStores {
		v.secretStore(fmt.Sprintf("secretStores[%d]", i), &c.SecretStores[i])
	}
	for i := range c.Orgs {
		v.org(fmt.Sprintf("orgs[%d]", i), &c.Orgs[i])
	}
	for i := range c.Credentials {
		v.credential(fmt.Sprintf("credentials[%d]", i), &c.Credentials[i])
	}
	for i := range c.Users {
		v.user(fmt.Sprintf("users[%d]", i), i, &c.Users[i])
	}
	for i := range c.Owners {
		v.owner(fmt.Sprintf("owners[%d]", i), &c.Owners[i])
	}
	dependents := map[string]string{}
	for i := range c.Dependents {
		v.dependent(fmt.Sprintf("dependents[%d]", i), &c.Dependents[i], dependents)
	}
	for i := range c.Notifications {
		v.notification(fmt.Sprintf("notifications[%d]", i), &c.Notifications[i])
	}
	v.rotation() // after the names: it refers to secret stores
}

func (v *validator) store() {
	s := &v.c.Store
	if s.Driver == "" {
		s.Driver = DefaultStoreDriver
	}
	if !v.oneOf("store.driver", s.Driver, []string{"sqlite", "postgres"}) {
		return
	}
	switch s.Driver {
	case "sqlite":
		if s.DSN != "" {
			v.add("store.dsn", "is only used with driver postgres")
		}
		if s.Path == "" {
			s.Path = DefaultSQLitePath
		}
	case "postgres":
		if s.DSN == "" {
			v.add("store.dsn", "is required with driver postgres")
		}
		if s.Path != "" {
			v.add("store.path", "is only used with driver sqlite")
		}
	}
}

func (v *validator) server() {
	s := &v.c.Server
	if s.Addr == "" {
		s.Addr = DefaultServerAddr
	} else if _, port, err := net.SplitHostPort(s.Addr); err != nil || !validPort(port, true) {
		v.add("server.addr", "%q is not host:port (e.g. 127.0.0.1:8080, or :8080 for every interface)", s.Addr)
	}
	if s.PublicURL != "" && !httpURL(s.PublicURL) {
		v.add("server.publicUrl", "%q is not an absolute http(s) URL", s.PublicURL)
	}
}

func validPort(s string, zeroOK bool) bool {
	p, err := strconv.ParseUint(s, 10, 16)
	return err == nil && (p > 0 || zeroOK)
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == ""
}

func (v *validator) monitor() {
	m := &v.c.Monitor
	v.interval("monitor.sweepInterval", &m.SweepInterval, DefaultSweepInterval)
	v.interval("monitor.livenessInterval", &m.LivenessInterval, DefaultLivenessInterval)
	if m.PasswordExpiryWarning == 0 {
		m.PasswordExpiryWarning = Duration(DefaultExpiryWarning)
	}
	if m.DailyAPIShare == 0 {
		m.DailyAPIShare = DefaultDailyAPIShare
	} else {
		v.share("monitor.dailyApiShare", m.DailyAPIShare)
	}
}

// interval fills a zero interval with def and checks it is at least 1s.
func (v *validator) interval(path string, d *Duration, def time.Duration) {
	switch {
	case *d == 0:
		*d = Duration(def)
	case d.D() < time.Second:
		v.add(path, "must be at least 1s, got %s", d)
	}
}

func (v *validator) share(path string, x float64) bool {
	if x <= 0 || x > 1 {
		v.add(path, "must be more than 0 and at most 1 (a share of the org's daily API requests, e.g. 0.05), got %v", x)
		return false
	}
	return true
}

func (v *validator) secretStore(p string, s *SecretStore) {
	if s.Kind == "" {
		v.add(p+".kind", "is required (local, vault or azurekv)")
		return
	}
	if !v.oneOf(p+".kind", s.Kind, []string{"local", "vault", "azurekv"}) {
		return
	}
	v.unused(p, s.Kind, []kindField{
		{"path", s.Path != "", []string{"local"}},
		{"keyFile", s.KeyFile != "", []string{"local"}},
		{"keyEnv", s.KeyEnv != "", []string{"local"}},
		{"address", s.Address != "", []string{"vault"}},
		{"token", s.Token != "", []string{"vault"}},
		{"mount", s.Mount != "", []string{"vault"}},
		{"prefix", s.Prefix != "", []string{"vault", "azurekv"}},
		{"vaultUrl", s.VaultURL != "", []string{"azurekv"}},
	})
	switch s.Kind {
	case "local":
		switch {
		case s.KeyFile == "" && s.KeyEnv == "":
			v.add(p, "a local secret store needs keyFile or keyEnv (where its key-encryption key is)")
		case s.KeyFile != "" && s.KeyEnv != "":
			v.add(p+".keyEnv", "give keyFile or keyEnv, not both")
		case s.KeyEnv != "" && !envName(s.KeyEnv):
			v.add(p+".keyEnv", "%q is not an environment variable name", s.KeyEnv)
		}
		if s.Path == "" {
			s.Path = DefaultSecretsPath
		}
	case "vault":
		switch {
		case s.Address == "":
			v.add(p+".address", "is required for kind vault")
		case !httpURL(s.Address):
			v.add(p+".address", "%q is not an absolute http(s) URL (e.g. https://vault.example.com:8200)", s.Address)
		}
		if s.Token == "" {
			v.add(p+".token", "is required for kind vault (use ${VAULT_TOKEN})")
		}
		if s.Mount == "" {
			s.Mount = DefaultVaultMount
		}
		if s.Prefix == "" {
			s.Prefix = DefaultVaultPrefix
		}
	case "azurekv":
		switch {
		case s.VaultURL == "":
			v.add(p+".vaultUrl", "is required for kind azurekv")
		case !httpURL(s.VaultURL) || !strings.HasPrefix(s.VaultURL, "https:"):
			v.add(p+".vaultUrl", "%q is not an https URL (e.g. https://myvault.vault.azure.net)", s.VaultURL)
		}
		if s.Prefix == "" {
			s.Prefix = DefaultAzureKVPrefix
		} else if !azurePrefixRE.MatchString(s.Prefix) {
			v.add(p+".prefix", "%q may hold only letters, digits and '-' (Key Vault secret names)", s.Prefix)
		}
	}
}

var azurePrefixRE = regexp.MustCompile(`^[0-9a-zA-Z-]*$`)

func (v *validator) org(p string, o *Org) {
	switch {
	case o.LoginURL == "":
		v.add(p+".loginUrl", "is required (e.g. https://login.salesforce.com, https://test.salesforce.com or a My Domain URL)")
	default:
		if _, err := warden.CheckLoginURL(o.LoginURL); err != nil {
			v.add(p+".loginUrl", "%s", warden.ErrorMessage(err))
		}
	}
	if o.MonitoringCredential == "" {
		v.add(p+".monitoringCredential", "is required (the credential Warden reads the org with)")
	} else {
		v.credentialOf(p+".monitoringCredential", o.MonitoringCredential, o.Name)
	}
	switch {
	case o.DailyAPIShare == 0:
		o.DailyAPIShare = v.c.Monitor.DailyAPIShare
	default:
		v.share(p+".dailyApiShare", o.DailyAPIShare)
	}
	if !slices.Contains(passwordLifetimes, o.PasswordExpiresDays) {
		v.add(p+".passwordExpiresDays", "%d is not one of Salesforce's password lifetimes: 30, 60, 90, 180 or 365 days, or -1 for never (leave it out for the default, 90)", o.PasswordExpiresDays)
	}
}

// passwordLifetimes are the values of Salesforce's "User passwords expire
// in" setting, in days (-1: never), and 0 for the default.
var passwordLifetimes = []int{0, warden.PasswordsNeverExpire, 30, 60, 90, 180, 365}

// credentialOf checks that credential name exists and belongs to org, and
// returns it.
func (v *validator) credentialOf(path, name, org string) *Credential {
	i, ok := v.creds[name]
	if !ok {
		names := map[string]string{}
		for _, c := range v.c.Credentials {
			if c.Org == org {
				names[c.Name] = ""
			}
		}
		v.add(path, "credential %q not found%s", name, hint(fmt.Sprintf("credentials of org %q", org), names))
		return nil
	}
	c := &v.c.Credentials[i]
	if org != "" && c.Org != org {
		v.add(path, "credential %q belongs to org %q, not %q", name, c.Org, org)
		return nil
	}
	return c
}

var credentialKinds = []string{
	string(warden.CredentialJWT), string(warden.CredentialClientCredentials),
	string(warden.CredentialRefreshToken), string(warden.CredentialPassword),
}

// credential applies the rules of warden.Credential.Validate.
func (v *validator) credential(p string, c *Credential) {
	v.orgRef(p+".org", c.Org)
	switch {
	case c.Kind == "":
		v.add(p+".kind", "is required (jwt, client_credentials, refresh_token or password)")
	case v.oneOf(p+".kind", c.Kind, credentialKinds):
		kind := warden.CredentialKind(c.Kind)
		if kind != warden.CredentialClientCredentials && c.Username == "" {
			v.add(p+".username", "is required for kind %s", kind)
		}
		if kind != warden.CredentialPassword && c.ClientID == "" {
			v.add(p+".clientId", "is required for kind %s", kind)
		}
		switch {
		case c.TwinUsername != "" && kind != warden.CredentialPassword:
			v.add(p+".twinUsername", "is for password credentials, not %s (a jwt credential alternates connected apps: twinClientId)", kind)
		case c.TwinUsername != "" && strings.EqualFold(c.TwinUsername, c.Username):
			v.add(p+".twinUsername", "must be another user than username %s", c.Username)
		}
		switch {
		case c.TwinClientID != "" && kind != warden.CredentialJWT:
			v.add(p+".twinClientId", "is for jwt credentials, not %s", kind)
		case c.TwinClientID != "" && c.TwinClientID == c.ClientID:
			v.add(p+".twinClientId", "must be another connected app than clientId")
		}
	}
	if c.Username != "" && !usernameShaped(c.Username) {
		v.add(p+".username", "%q is not a Salesforce username (want name@domain.tld)", c.Username)
	}
	if c.TwinUsername != "" && !usernameShaped(c.TwinUsername) {
		v.add(p+".twinUsername", "%q is not a Salesforce username (want name@domain.tld)", c.TwinUsername)
	}
	if c.Secret != (SecretRef{}) {
		switch {
		case c.Secret.Store == "":
			v.add(p+".secret.store", "is required")
		case v.stores[c.Secret.Store] == "":
			v.add(p+".secret.store", "secret store %q not found%s", c.Secret.Store, hint("secret stores", v.stores))
		}
		if c.Secret.Key == "" {
			v.add(p+".secret.key", "is required")
		}
	}
}

// orgRef checks a reference to an org and reports whether it resolves.
func (v *validator) orgRef(path, name string) bool {
	switch {
	case name == "":
		v.add(path, "is required")
	case v.orgs[name] == "":
		v.add(path, "org %q not found%s", name, hint("orgs", v.orgs))
	default:
		return true
	}
	return false
}

// teamRef checks a reference to an owner team.
func (v *validator) teamRef(path, team string) {
	if v.teams[team] == "" {
		v.add(path, "team %q not found in owners%s", team, hint("teams", v.teams))
	}
}

func userKey(org, username string) string { return org + "\x00" + strings.ToLower(username) }

func (v *validator) user(p string, i int, u *User) {
	orgOK := v.orgRef(p+".org", u.Org)
	switch {
	case strings.TrimSpace(u.Username) == "":
		v.add(p+".username", "is required")
	case !usernameShaped(u.Username):
		v.add(p+".username", "%q is not a Salesforce username (want name@domain.tld)", u.Username)
	default:
		// Salesforce usernames are unique across all orgs.
		lower := strings.ToLower(u.Username)
		if other, dup := v.usernames[lower]; dup {
			v.add(p+".username", "duplicate username %q (also %s)", u.Username, v.ref(other))
			break
		}
		v.usernames[lower] = p + ".username"
		v.users[userKey(u.Org, u.Username)] = i
	}
	if u.Credential != "" && orgOK {
		if c := v.credentialOf(p+".credential", u.Credential, u.Org); c != nil && c.Username != "" && u.Username != "" &&
			!strings.EqualFold(c.Username, u.Username) && !strings.EqualFold(c.TwinUsername, u.Username) {
			v.add(p+".credential", "credential %q logs in as %q, not as this user", c.Name, c.Username)
		}
	}
	if u.Owner != "" {
		v.teamRef(p+".owner", u.Owner)
	}
}

// usernameShaped reports whether s looks like name@domain.tld, as
// Salesforce usernames must.
func usernameShaped(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>()[],;:\"\\") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.Contains(l, "@") {
			return false
		}
	}
	return true
}

// address reports whether s is an RFC 5322 address, such as
// ops@acme.example or "Warden <warden@acme.example>".
func address(s string) bool {
	_, err := mail.ParseAddress(s)
	return err == nil
}

func (v *validator) owner(p string, o *Owner) {
	for k, contact := range o.Contacts {
		cp := fmt.Sprintf("%s.contacts[%d]", p, k)
		switch {
		case strings.Contains(contact, "@"):
			if !address(contact) {
				v.add(cp, "%q is not an e-mail address", contact)
			}
		case v.channels[contact] == "":
			v.add(cp, "%q is neither an e-mail address nor a notification channel%s", contact, hint("channels", v.channels))
		}
	}
}

var deliveries = []string{
	string(warden.DeliveryBroker), string(warden.DeliverySecretStore),
	string(warden.DeliveryWebhook), string(warden.DeliveryFile), string(warden.DeliveryCommand), string(warden.DeliveryManual),
}

// ObjectPermissions are the object access names dependents may need.
var ObjectPermissions = []string{"Read", "Create", "Edit", "Delete", "ViewAll", "ModifyAll"}

var objectNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func (v *validator) dependent(p string, d *Dependent, seen map[string]string) {
	if strings.TrimSpace(d.Name) == "" {
		v.add(p+".name", "is required")
	}
	if v.orgRef(p+".org", d.Org) {
		if d.Name != "" {
			key := d.Org + "\x00" + d.Name
			if other, dup := seen[key]; dup {
				v.add(p+".name", "duplicate dependent name %q in org %q (also %s)", d.Name, d.Org, v.ref(other))
			} else {
				seen[key] = p + ".name"
			}
		}
		switch {
		case d.Username == "":
			v.add(p+".username", "is required")
		default:
			if i, ok := v.users[userKey(d.Org, d.Username)]; ok {
				d.Username = v.c.Users[i].Username // the spelling in users
				break
			}
			where := ""
			for _, u := range v.c.Users {
				if strings.EqualFold(u.Username, d.Username) {
					where = fmt.Sprintf(" (it is a user of org %q)", u.Org)
					break
				}
			}
			v.add(p+".username", "user %q not found in users of org %q%s", d.Username, d.Org, where)
		}
	}
	if d.Owner != "" {
		v.teamRef(p+".owner", d.Owner)
	}
	if d.Delivery == "" {
		d.Delivery = string(DefaultDelivery)
	} else {
		v.oneOf(p+".delivery", d.Delivery, deliveries)
	}
	v.deliveryTarget(p, d)
	objects := map[string]string{}
	for k := range d.Objects {
		v.objectAccess(fmt.Sprintf("%s.objects[%d]", p, k), &d.Objects[k], objects)
	}
}

func (v *validator) objectAccess(p string, a *ObjectAccess, seen map[string]string) {
	switch {
	case a.Object == "":
		v.add(p+".object", "is required")
	case !objectNameRE.MatchString(a.Object):
		v.add(p+".object", "%q is not an object API name (e.g. Account, Invoice__c)", a.Object)
	default:
		if other, dup := seen[a.Object]; dup {
			v.add(p+".object", "duplicate object %q (also %s)", a.Object, v.ref(other))
		} else {
			seen[a.Object] = p + ".object"
		}
	}
	if len(a.Access) == 0 {
		v.add(p+".access", "is required (some of Read, Create, Edit, Delete, ViewAll, ModifyAll)")
	}
	given := map[string]bool{}
	for k, perm := range a.Access {
		ap := fmt.Sprintf("%s.access[%d]", p, k)
		switch {
		case !slices.Contains(ObjectPermissions, perm):
			h := ""
			if s := strictyaml.Suggest(perm, ObjectPermissions); s != "" {
				h = fmt.Sprintf("; did you mean %q?", s)
			}
			v.add(ap, "unknown object permission %q (want Read, Create, Edit, Delete, ViewAll or ModifyAll%s)", perm, h)
		case given[perm]:
			v.add(ap, "%s is listed twice", perm)
		}
		given[perm] = true
	}
}

var notificationKinds = []string{"slack", "teams", "email", "webhook", "pagerduty"}

var severities = []string{
	string(warden.SeverityInfo), string(warden.SeverityLow), string(warden.SeverityMedium),
	string(warden.SeverityHigh), string(warden.SeverityCritical),
}

func (v *validator) notification(p string, n *Notification) {
	if n.MinSeverity == "" {
		n.MinSeverity = string(DefaultMinSeverity)
	} else {
		v.oneOf(p+".minSeverity", n.MinSeverity, severities)
	}
	for k, team := range n.Owners {
		v.teamRef(fmt.Sprintf("%s.owners[%d]", p, k), team)
	}
	if n.Kind == "" {
		v.add(p+".kind", "is required (slack, teams, email, webhook or pagerduty)")
		return
	}
	if !v.oneOf(p+".kind", n.Kind, notificationKinds) {
		return
	}
	v.unused(p, n.Kind, []kindField{
		{"url", n.URL != "", []string{"slack", "teams", "webhook"}},
		{"secret", n.Secret != "", []string{"webhook"}},
		{"routingKey", n.RoutingKey != "", []string{"pagerduty"}},
		{"smtpHost", n.SMTPHost != "", []string{"email"}},
		{"smtpPort", n.SMTPPort != 0, []string{"email"}},
		{"username", n.Username != "", []string{"email"}},
		{"password", n.Password != "", []string{"email"}},
		{"from", n.From != "", []string{"email"}},
		{"to", len(n.To) > 0, []string{"email"}},
	})
	switch n.Kind {
	case "slack", "teams", "webhook":
		switch {
		case n.URL == "":
			v.add(p+".url", "is required for kind %s (use ${ENV}: the URL is a secret)", n.Kind)
		case !httpURL(n.URL):
			v.add(p+".url", "is not an absolute http(s) URL") // the URL is a secret: not quoted
		}
		if n.Kind == "webhook" && n.Secret == "" {
			v.add(p+".secret", "is required for kind webhook (it signs every delivery)")
		}
	case "pagerduty":
		if n.RoutingKey == "" {
			v.add(p+".routingKey", "is required for kind pagerduty")
		}
	case "email":
		if n.SMTPHost == "" {
			v.add(p+".smtpHost", "is required for kind email")
		} else if strings.ContainsAny(n.SMTPHost, ":/ ") {
			v.add(p+".smtpHost", "%q is not a host name (give the port in smtpPort)", n.SMTPHost)
		}
		if n.SMTPPort < 0 || n.SMTPPort > 65535 {
			v.add(p+".smtpPort", "must be between 1 and 65535, got %d", n.SMTPPort)
		}
		if n.Password != "" && n.Username == "" {
			v.add(p+".password", "is only used with username")
		}
		switch {
		case n.From == "":
			v.add(p+".from", "is required for kind email")
		case !address(n.From):
			v.add(p+".from", "%q is not an e-mail address", n.From)
		}
		if len(n.To) == 0 {
			v.add(p+".to", "is required for kind email (a list of addresses)")
		}
		for k, to := range n.To {
			if !address(to) {
				v.add(fmt.Sprintf("%s.to[%d]", p, k), "%q is not an e-mail address", to)
			}
		}
	}
}
