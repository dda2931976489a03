package policy

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/internal/strictyaml"
	"github.com/wardenhq/warden/salesforce"
)

// Spec describes an integration user to provision (integration.yaml).
type Spec struct {
	// Name is the integration's name ("Billing Sync"); the dedicated
	// permission set, the connected app and the credential are named
	// after it.
	Name string `yaml:"name"`
	// Org is Warden's name of the org.
	Org string `yaml:"org"`
	// Owner is the owning team.
	Owner    string `yaml:"owner"`
	Username string `yaml:"username"`
	// Email receives Salesforce's mail for the user (default: username).
	Email       string `yaml:"email"`
	FirstName   string `yaml:"firstName"`
	LastName    string `yaml:"lastName"`
	Description string `yaml:"description"`
	// Objects is the access the integration needs, exactly.
	Objects []SpecObject `yaml:"objects"`
	// LoginIPRanges and LoginHours are where and when it logs in.
	LoginIPRanges []IPRange       `yaml:"loginIpRanges"`
	LoginHours    map[string]Span `yaml:"loginHours"`
	TimeZone      string          `yaml:"timeZone"`
	Credential    SpecCredential  `yaml:"credential"`
	// Dependents are the applications using the user (default: one named
	// after the integration, needing Objects).
	Dependents []SpecDependent `yaml:"dependents"`
}

// SpecObject is access to one object.
type SpecObject struct {
	Object string   `yaml:"object"`
	Access []string `yaml:"access"`
}

// SpecCredential says how the integration logs in.
type SpecCredential struct {
	// Kind is jwt (default), client_credentials, or password (only with
	// AllowPassword).
	Kind          string `yaml:"kind"`
	AllowPassword bool   `yaml:"allowPassword"`
	// Name of the credential in the inventory (default: <name>-<org>).
	Name string `yaml:"name"`
	// SecretStore holds the secret material (default: the first
	// configured store).
	SecretStore string `yaml:"secretStore"`
	// ConnectedApp is the app's name (default: Name).
	ConnectedApp string `yaml:"connectedApp"`
	// ConsumerKey of the connected app, once an admin created it; Warden
	// makes one up when it installs the app itself (emulator).
	ConsumerKey string `yaml:"consumerKey"`
	// ConsumerSecretEnv names the environment variable holding the
	// consumer secret (client_credentials with an app an admin created).
	ConsumerSecretEnv string `yaml:"consumerSecretEnv"`
}

// SpecDependent is an application that uses the user.
type SpecDependent struct {
	Name     string       `yaml:"name"`
	Owner    string       `yaml:"owner"`
	Contact  string       `yaml:"contact"`
	Delivery string       `yaml:"delivery"`
	Objects  []SpecObject `yaml:"objects"`
}

// LoadSpec reads an integration spec (strict YAML; every problem with its
// line).
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		kind := warden.EINVALID
		if errors.Is(err, os.ErrNotExist) {
			kind = warden.ENOTFOUND
		}
		return nil, &warden.Error{Kind: kind, Op: "policy.LoadSpec", Message: fmt.Sprintf("cannot read %s: %v", path, err), Err: err}
	}
	return ParseSpec(data, path)
}

// ParseSpec parses and validates an integration spec.
func ParseSpec(data []byte, file string) (*Spec, error) {
	var s Spec
	doc, err := strictyaml.Decode(data, file, &s, strictyaml.Options{Name: "integration spec",
		Want: "a mapping with keys such as name, org, username, objects and credential"})
	if doc == nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: "policy.ParseSpec", Message: err.Error(), Err: err}
	}
	req := func(path, v string) {
		if strings.TrimSpace(v) == "" {
			doc.Add(path, "must not be empty")
		}
	}
	req("name", s.Name)
	req("org", s.Org)
	req("owner", s.Owner)
	req("username", s.Username)
	if s.Username != "" && !strings.Contains(s.Username, "@") {
		doc.Add("username", "%q is not a Salesforce username (it has the form of an e-mail address)", s.Username)
	}
	checkObjects := func(path string, objs []SpecObject) {
		for i, o := range objs {
			p := fmt.Sprintf("%s[%d]", path, i)
			if !validObjectName(o.Object) {
				doc.Add(p+".object", "%q is not an sObject name", o.Object)
			}
			if len(o.Access) == 0 {
				doc.Add(p+".access", "must list at least one of Read, Create, Edit, Delete, ViewAll, ModifyAll")
			}
			for j, a := range o.Access {
				if _, ok := ParseAccess(a); !ok {
					doc.Add(fmt.Sprintf("%s.access[%d]", p, j), "%q is not an object permission (Read, Create, Edit, Delete, ViewAll, ModifyAll)", a)
				}
			}
		}
	}
	checkObjects("objects", s.Objects)
	for i, d := range s.Dependents {
		req(fmt.Sprintf("dependents[%d].name", i), d.Name)
		if d.Delivery != "" && !warden.Delivery(d.Delivery).Valid() {
			doc.Add(fmt.Sprintf("dependents[%d].delivery", i), "%q is not one of broker, secret_store, webhook, manual", d.Delivery)
		}
		checkObjects(fmt.Sprintf("dependents[%d].objects", i), d.Objects)
	}
	for _, day := range sortedKeys(s.LoginHours) {
		if _, ok := weekdays[strings.ToLower(day)]; !ok {
			doc.Add("loginHours."+day, "%q is not a weekday (monday ... sunday)", day)
		}
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			doc.Add("timeZone", "%q is not a time zone (use an IANA name such as Europe/Paris, or UTC)", s.TimeZone)
		}
	}
	switch s.Credential.Kind {
	case "":
		s.Credential.Kind = string(warden.CredentialJWT)
	case string(warden.CredentialJWT), string(warden.CredentialClientCredentials):
	case string(warden.CredentialPassword):
		if !s.Credential.AllowPassword {
			doc.Add("credential.kind", "password credentials are being retired; use jwt or client_credentials, or set credential.allowPassword: true to insist")
		}
	default:
		doc.Add("credential.kind", "%q is not jwt, client_credentials or password", s.Credential.Kind)
	}
	if err := doc.Err(); err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: "policy.ParseSpec", Message: err.Error(), Err: err}
	}
	if s.Email == "" {
		s.Email = s.Username
	}
	if s.LastName == "" {
		s.LastName = s.Name
	}
	if s.Credential.Name == "" {
		s.Credential.Name = slug(s.Name) + "-" + s.Org
	}
	if s.Credential.ConnectedApp == "" {
		s.Credential.ConnectedApp = s.Name
	}
	if len(s.Dependents) == 0 {
		s.Dependents = []SpecDependent{{Name: s.Name, Objects: s.Objects}}
	}
	for i := range s.Dependents {
		d := &s.Dependents[i]
		if d.Owner == "" {
			d.Owner = s.Owner
		}
		if d.Delivery == "" {
			d.Delivery = string(warden.DeliverySecretStore)
		}
		if d.Objects == nil {
			d.Objects = s.Objects
		}
	}
	return &s, nil
}

func validObjectName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// slug is a lower-case name of letters, digits and '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// dependents returns the spec's dependents as inventory records.
func (s *Spec) dependents() []*warden.Dependent {
	var out []*warden.Dependent
	for _, d := range s.Dependents {
		wd := &warden.Dependent{Name: d.Name, Org: s.Org, Username: s.Username, Owner: d.Owner, Contact: d.Contact, Delivery: warden.Delivery(d.Delivery)}
		for _, o := range d.Objects {
			wd.Objects = append(wd.Objects, warden.ObjectAccess{Object: o.Object, Access: o.Access})
		}
		out = append(out, wd)
	}
	return out
}

// ConnectedApp is a connected app a provisioning needs.
type ConnectedApp struct {
	Name                        string   `json:"name"`
	ConsumerKey                 string   `json:"consumerKey"`
	ConsumerSecret              string   `json:"consumerSecret,omitempty"`
	Certificate                 string   `json:"certificate,omitempty"`
	PermittedUsers              string   `json:"permittedUsers"`
	PreAuthorizedPermissionSets []string `json:"preAuthorizedPermissionSets,omitempty"`
	ClientCredentialsUser       string   `json:"clientCredentialsUser,omitempty"`
}

// Provisioner creates integration users as policy wants them.
type Provisioner struct {
	// Session is an admin session of the spec's org (Manage Users, Manage
	// Profiles and Permission Sets).
	Session *salesforce.Session
	// Policy decides the profile and licence (default Baseline()).
	Policy *Set
	// Store is the inventory the user, credential and dependents land in.
	Store warden.Store
	// Secrets are the configured secret stores by name.
	Secrets map[string]warden.SecretStore
	// DefaultSecretStore is used when the spec names none.
	DefaultSecretStore string
	// InstallApp creates (or updates) the connected app; nil means an
	// admin does it (Salesforce has no REST API for connected apps) and
	// the plan says how.
	InstallApp func(ctx context.Context, app ConnectedApp) error
	// Getenv reads credential.consumerSecretEnv (default os.Getenv).
	Getenv func(string) string
	Now    func() time.Time
}

// Step is one step of a provisioning.
type Step struct {
	// Kind is salesforce, secret, connected-app or inventory.
	Kind    string `json:"kind"`
	Summary string `json:"summary"`
	// Request is the REST call of a salesforce step.
	Request string `json:"request,omitempty"`
	Done    bool   `json:"done"`
	Error   string `json:"error,omitempty"`

	change *Change
	apply  func(ctx context.Context, a *applyState) error
}

// ProvisionPlan is every change a provisioning makes.
type ProvisionPlan struct {
	Org        string  `json:"org"`
	Username   string  `json:"username"`
	Credential string  `json:"credential"`
	Steps      []*Step `json:"steps"`
	// Notes are steps Warden cannot take through the API (login IP ranges
	// and hours live in profile metadata; a connected app an admin must
	// create), and the policy lines that let audits check them.
	Notes []string `json:"notes,omitempty"`
	// Certificate is, after Apply, the PEM certificate of a JWT
	// credential, for the connected app.
	Certificate string `json:"certificate,omitempty"`

	sf *Plan
}

// Empty reports whether the plan has nothing to do.
func (p *ProvisionPlan) Empty() bool { return len(p.Steps) == 0 }

type applyState struct {
	userID string
	key    *rsa.PrivateKey
	cert   string
	mat    warden.Material
}

func (p *Provisioner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Plan reads the org and the inventory and lists what provisioning spec
// would change. Run on a provisioned user it lists nothing.
func (p *Provisioner) Plan(ctx context.Context, spec *Spec) (*ProvisionPlan, error) {
	pol := p.Policy
	if pol == nil {
		pol = Baseline()
	}
	eff := pol.For(spec.Org, spec.Username)
	target := eff.ProfilePreferred.Name
	if target == "" {
		return nil, warden.Errorf(warden.EINVALID, "provision: the policy names no preferred profile (profile.preferred) for new integration users")
	}
	st, err := Read(ctx, p.Session, spec.Org, []string{spec.Username}, ReadOptions{Profiles: []string{target}})
	if err != nil {
		return nil, err
	}
	tprof := st.Profiles[strings.ToLower(target)]
	if tprof == nil {
		return nil, warden.Errorf(warden.ENOTFOUND, "provision: org %s has no profile %q (the policy's profile.preferred)", spec.Org, target)
	}
	now := p.now()
	pp := &ProvisionPlan{Org: spec.Org, Username: spec.Username, Credential: spec.Credential.Name}
	u := st.Users[strings.ToLower(spec.Username)]
	var head []*Change
	sim := u
	if !u.Found {
		alias := aliasFor(spec.Username)
		head = append(head, &Change{Op: "create", Object: "User", Ref: "user", Summary: fmt.Sprintf("create user %s on profile %s (user licence %s)", spec.Username, target, orUnknown(st.ProfileLicences[strings.ToLower(target)])),
			Fields: map[string]any{"Username": spec.Username, "FirstName": spec.FirstName, "LastName": spec.LastName, "Email": spec.Email, "Alias": alias,
				"ProfileId": tprof.ProfileID, "TimeZoneSidKey": "GMT", "LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8", "LanguageLocaleKey": "en_US"}})
		sim = &UserState{Org: spec.Org, Username: spec.Username, UserID: "@{user.id}", Found: true, Active: true, Profile: target, ProfileID: tprof.ProfileID,
			Licence: st.ProfileLicences[strings.ToLower(target)], Sources: []*Source{tprof}, PSLs: map[string]string{}, LastPasswordChange: now}
	} else if !u.Active {
		head = append(head, &Change{Op: "update", Object: "User", ID: u.UserID, Fields: map[string]any{"IsActive": true}, Summary: "reactivate user " + spec.Username})
	}
	subj := &Subject{Org: spec.Org, Username: spec.Username, Owner: spec.Owner, Dependents: spec.dependents()}
	if u.Found {
		// Which of its permission sets are shared decides edit or unassign.
		var sets []string
		for _, s := range u.Sources {
			if s.Kind == KindSet {
				sets = append(sets, s.ID)
			}
		}
		if err := ReadSetUsers(ctx, p.Session, st, sets); err != nil {
			return nil, err
		}
	}
	ev := Evaluate(eff, subj, sim, st, now)
	sf := PlanFix(eff, subj, sim, st, ev, now)
	if len(sf.Problems) > 0 {
		return nil, warden.Errorf(warden.ECONFLICT, "provision: %s", strings.Join(sf.Problems, "; "))
	}
	sf.Changes = append(head, sf.Changes...)
	pp.sf = sf
	for _, c := range sf.Changes {
		pp.Steps = append(pp.Steps, &Step{Kind: "salesforce", Summary: c.Summary, Request: c.Request(), change: c})
	}
	if err := p.planCredential(ctx, spec, u, pp); err != nil {
		return nil, err
	}
	if err := p.planInventory(ctx, spec, u, pp); err != nil {
		return nil, err
	}
	p.notes(spec, target, pp)
	return pp, nil
}

func aliasFor(username string) string {
	local, _, _ := strings.Cut(username, "@")
	var b strings.Builder
	for _, r := range strings.ToLower(local) {
		if (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') && b.Len() < 8 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "intuser"
	}
	return b.String()
}

func (p *Provisioner) secretStore(spec *Spec) (string, warden.SecretStore, error) {
	name := spec.Credential.SecretStore
	if name == "" {
		name = p.DefaultSecretStore
	}
	ss := p.Secrets[name]
	if ss == nil {
		return name, nil, warden.Errorf(warden.EINVALID, "provision: no secret store %q (credential.secretStore, or configure one in warden.yaml)", name)
	}
	return name, ss, nil
}

// readMaterial returns the current material under key, if any.
func readMaterial(ctx context.Context, ss warden.SecretStore, ref warden.SecretRef) (warden.Material, bool, error) {
	m, err := credential.Read(ctx, ss, ref, warden.StageCurrent)
	if warden.ErrorKind(err) == warden.ENOTFOUND {
		return m, false, nil
	}
	return m, err == nil, err
}

func (p *Provisioner) planCredential(ctx context.Context, spec *Spec, u *UserState, pp *ProvisionPlan) error {
	kind := warden.CredentialKind(spec.Credential.Kind)
	storeName, ss, err := p.secretStore(spec)
	if err != nil {
		return err
	}
	key := spec.Credential.Name
	mat, haveSecret, err := readMaterial(ctx, ss, warden.SecretRef{Store: storeName, Key: key})
	if err != nil {
		return err
	}
	haveSecret = haveSecret && mat.Check(kind) == nil
	existing, err := p.Store.Credential(ctx, spec.Credential.Name)
	if err != nil && warden.ErrorKind(err) != warden.ENOTFOUND {
		return err
	}
	if existing != nil && existing.Kind == kind && haveSecret && existing.Org == spec.Org && strings.EqualFold(existing.Username, spec.Username) {
		return nil // provisioned already
	}
	if existing != nil && (existing.Org != spec.Org || (existing.Username != "" && !strings.EqualFold(existing.Username, spec.Username))) {
		return warden.Errorf(warden.ECONFLICT, "provision: credential %s already exists for %s/%s", existing.Name, existing.Org, existing.Username)
	}
	consumerKey := spec.Credential.ConsumerKey
	if consumerKey == "" && existing != nil {
		consumerKey = existing.ClientID
	}
	if consumerKey == "" && p.InstallApp != nil && kind != warden.CredentialPassword {
		consumerKey = "warden-" + slug(spec.Name) + "-" + slug(spec.Org)
	}
	setName := DedicatedSetName(spec.Username)
	app := ConnectedApp{Name: spec.Credential.ConnectedApp, ConsumerKey: consumerKey, PermittedUsers: "admin_approved", PreAuthorizedPermissionSets: []string{setName}}
	where := fmt.Sprintf("secret store %s under key %s", storeName, key)
	switch kind {
	case warden.CredentialJWT:
		if haveSecret {
			pp.Steps = append(pp.Steps, &Step{Kind: "secret", Summary: "reuse the private key already in " + where, apply: func(ctx context.Context, a *applyState) error {
				k, err := salesforce.ParsePrivateKey([]byte(mat.PrivateKey))
				if err != nil {
					return err
				}
				a.key, a.mat = k, mat
				a.cert, err = selfSignedCert(k, spec.Name, p.now())
				return err
			}})
		} else {
			pp.Steps = append(pp.Steps, &Step{Kind: "secret", Summary: "generate a 2048-bit RSA key pair and a self-signed certificate; store the private key (warden.Material JSON) in " + where,
				apply: func(ctx context.Context, a *applyState) error {
					k, err := rsa.GenerateKey(rand.Reader, 2048)
					if err != nil {
						return err
					}
					a.key = k
					a.mat = warden.Material{PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))}
					if a.cert, err = selfSignedCert(k, spec.Name, p.now()); err != nil {
						return err
					}
					return putMaterial(ctx, ss, key, a.mat, kind)
				}})
		}
	case warden.CredentialClientCredentials:
		app.ClientCredentialsUser = spec.Username
		switch {
		case haveSecret:
			pp.Steps = append(pp.Steps, &Step{Kind: "secret", Summary: "reuse the consumer secret already in " + where,
				apply: func(ctx context.Context, a *applyState) error { a.mat = mat; return nil }})
		case p.InstallApp != nil:
			pp.Steps = append(pp.Steps, &Step{Kind: "secret", Summary: "generate a consumer secret for the connected app; store it in " + where,
				apply: func(ctx context.Context, a *applyState) error {
					a.mat = warden.Material{ClientSecret: randomSecret(32)}
					return putMaterial(ctx, ss, key, a.mat, kind)
				}})
		default:
			env := spec.Credential.ConsumerSecretEnv
			if env == "" {
				return warden.Errorf(warden.EINVALID, "provision: a client_credentials credential needs the connected app's consumer secret: set credential.consumerSecretEnv to the environment variable that holds it")
			}
			pp.Steps = append(pp.Steps, &Step{Kind: "secret", Summary: fmt.Sprintf("store the consumer secret from $%s in %s", env, where),
				apply: func(ctx context.Context, a *applyState) error {
					getenv := p.Getenv
					if getenv == nil {
						getenv = os.Getenv
					}
					v := getenv(env)
					if v == "" {
						return warden.Errorf(warden.EINVALID, "environment variable %s is not set", env)
					}
					a.mat = warden.Material{ClientSecret: v}
					return putMaterial(ctx, ss, key, a.mat, kind)
				}})
		}
	case warden.CredentialPassword:
		pp.Steps = append(pp.Steps, &Step{Kind: "secret", Summary: "set a random password on the user (REST User password) and store it in " + where +
			"; Salesforce e-mails the security token, which Warden cannot read: add the integration's egress addresses to the profile's Login IP Ranges so none is needed",
			apply: func(ctx context.Context, a *applyState) error {
				pw := randomSecret(20) + "aA1"
				if err := p.Session.SetUserPassword(ctx, a.userID, pw); err != nil {
					return err
				}
				a.mat = warden.Material{Password: pw}
				return putMaterial(ctx, ss, key, a.mat, kind)
			}})
	}
	if kind != warden.CredentialPassword {
		switch {
		case p.InstallApp != nil:
			pp.Steps = append(pp.Steps, &Step{Kind: "connected-app", Summary: fmt.Sprintf("install connected app %q (consumer key %s, admin-approved users pre-authorized through permission set %s%s)",
				app.Name, consumerKey, setName, map[bool]string{true: ", client credentials run as " + spec.Username}[kind == warden.CredentialClientCredentials]),
				apply: func(ctx context.Context, a *applyState) error {
					in := app
					in.Certificate = a.cert
					if kind == warden.CredentialClientCredentials {
						in.ConsumerSecret = a.mat.ClientSecret
					}
					return p.InstallApp(ctx, in)
				}})
		default:
			note := fmt.Sprintf("Create connected app %q in Setup > App Manager (Salesforce has no REST API for connected apps): enable OAuth with the api scope; ", app.Name)
			if kind == warden.CredentialJWT {
				note += "Use digital signatures with the certificate Warden prints after --apply; "
			} else {
				note += "enable the client credentials flow with run-as user " + spec.Username + "; "
			}
			note += "Permitted Users: Admin approved users are pre-authorized; add permission set " + setName + "."
			if consumerKey == "" {
				note += " Then put its consumer key in credential.consumerKey and run warden provision --apply again to register the credential."
			}
			pp.Notes = append(pp.Notes, note)
		}
	}
	if consumerKey == "" && kind != warden.CredentialPassword {
		return nil // the credential is registered once the consumer key is known
	}
	c := &warden.Credential{Name: spec.Credential.Name, Org: spec.Org, Kind: kind, Username: spec.Username, ClientID: consumerKey,
		Secret: warden.SecretRef{Store: storeName, Key: key}, CreatedAt: p.now()}
	pp.Steps = append(pp.Steps, &Step{Kind: "inventory", Summary: fmt.Sprintf("register credential %s (%s, consumer key %s) in the inventory", c.Name, kind, orDash(consumerKey)),
		apply: func(ctx context.Context, a *applyState) error { return p.Store.UpsertCredential(ctx, c) }})
	return nil
}

func putMaterial(ctx context.Context, ss warden.SecretStore, key string, m warden.Material, kind warden.CredentialKind) error {
	_, err := credential.Write(ctx, ss, key, m, warden.StageCurrent, map[string]string{"credential": key, "kind": string(kind), "source": "warden provision"})
	return err
}

func randomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}

// selfSignedCert returns a PEM certificate for key, valid two years.
func selfSignedCert(key *rsa.PrivateKey, name string, now time.Time) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		Subject:               pkix.Name{CommonName: name + " (Warden JWT bearer)", Organization: []string{"Warden"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(2, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

func (p *Provisioner) planInventory(ctx context.Context, spec *Spec, u *UserState, pp *ProvisionPlan) error {
	owners, err := p.Store.Owners(ctx)
	if err != nil {
		return err
	}
	teams := map[string]bool{}
	for _, o := range owners {
		teams[o.Team] = true
	}
	var missing []string
	for _, t := range append([]string{spec.Owner}, depOwners(spec)...) {
		if t != "" && !teams[t] && !contains(missing, t) {
			missing = append(missing, t)
		}
	}
	for _, t := range missing {
		team := t
		pp.Steps = append(pp.Steps, &Step{Kind: "inventory", Summary: "add owner team " + team,
			apply: func(ctx context.Context, a *applyState) error {
				return p.Store.UpsertOwner(ctx, &warden.Owner{Team: team})
			}})
	}
	existing, err := p.Store.User(ctx, spec.Org, spec.Username)
	if err != nil && warden.ErrorKind(err) != warden.ENOTFOUND {
		return err
	}
	credName := spec.Credential.Name
	if !stepsRegister(pp, credName) {
		if c, err := p.Store.Credential(ctx, credName); err != nil || c == nil {
			credName = "" // not registered yet (no consumer key)
		}
	}
	want := &warden.IntegrationUser{Org: spec.Org, Username: spec.Username, Credential: credName, Owner: spec.Owner,
		Description: spec.Description, Reasons: []string{"provisioned by warden provision"}}
	if existing == nil || existing.Credential != want.Credential || existing.Owner != want.Owner || (want.Description != "" && existing.Description != want.Description) {
		if existing != nil {
			want.CreatedAt, want.Reasons = existing.CreatedAt, existing.Reasons
		}
		pp.Steps = append(pp.Steps, &Step{Kind: "inventory", Summary: fmt.Sprintf("register integration user %s/%s (owner %s, credential %s)", spec.Org, spec.Username, spec.Owner, orDash(credName)),
			apply: func(ctx context.Context, a *applyState) error {
				if a.userID != "" && !strings.HasPrefix(a.userID, "@") {
					want.UserID = a.userID
				}
				return p.Store.UpsertUser(ctx, want)
			}})
	}
	have, err := p.Store.Dependents(ctx, warden.DependentFilter{Org: spec.Org, Username: spec.Username})
	if err != nil {
		return err
	}
	for _, d := range spec.dependents() {
		if sameDependent(have, d) {
			continue
		}
		dep := d
		pp.Steps = append(pp.Steps, &Step{Kind: "inventory", Summary: fmt.Sprintf("register dependent application %q (owner %s, needs %s)", dep.Name, dep.Owner, objectsText(dep.Objects)),
			apply: func(ctx context.Context, a *applyState) error { return p.Store.UpsertDependent(ctx, dep) }})
	}
	return nil
}

func stepsRegister(pp *ProvisionPlan, credName string) bool {
	for _, s := range pp.Steps {
		if s.Kind == "inventory" && strings.HasPrefix(s.Summary, "register credential "+credName+" ") {
			return true
		}
	}
	return false
}

func depOwners(spec *Spec) []string {
	var out []string
	for _, d := range spec.Dependents {
		out = append(out, d.Owner)
	}
	return out
}

func objectsText(objs []warden.ObjectAccess) string {
	if len(objs) == 0 {
		return "no objects"
	}
	var parts []string
	for _, o := range objs {
		parts = append(parts, o.Object+" "+strings.Join(o.Access, "/"))
	}
	return strings.Join(parts, ", ")
}

func sameDependent(have []*warden.Dependent, d *warden.Dependent) bool {
	for _, h := range have {
		if h.Name != d.Name {
			continue
		}
		if h.Owner != d.Owner || h.Contact != d.Contact || h.Delivery != d.Delivery || len(h.Objects) != len(d.Objects) {
			return false
		}
		for i := range h.Objects {
			if !strings.EqualFold(h.Objects[i].Object, d.Objects[i].Object) || AccessOf(h.Objects[i].Access) != AccessOf(d.Objects[i].Access) {
				return false
			}
		}
		return true
	}
	return false
}

// notes adds the manual steps for login IP ranges and hours, with the
// policy lines that make audits check them.
func (p *Provisioner) notes(spec *Spec, profile string, pp *ProvisionPlan) {
	if len(spec.LoginIPRanges) == 0 && len(spec.LoginHours) == 0 {
		return
	}
	var what []string
	var snippet strings.Builder
	fmt.Fprintf(&snippet, "users:\n  %s/%s:\n", spec.Org, spec.Username)
	if len(spec.LoginIPRanges) > 0 {
		what = append(what, "Login IP Ranges "+rangesText(spec.LoginIPRanges))
		fmt.Fprintf(&snippet, "    loginIpRanges:\n      allowed: [%s]\n", rangesText(spec.LoginIPRanges))
	}
	if len(spec.LoginHours) > 0 {
		var hours []string
		fmt.Fprintf(&snippet, "    loginHours:\n")
		if spec.TimeZone != "" {
			fmt.Fprintf(&snippet, "      timeZone: %s\n", spec.TimeZone)
		}
		fmt.Fprintf(&snippet, "      allowed:\n")
		days := sortedKeys(spec.LoginHours)
		sort.SliceStable(days, func(i, j int) bool { return weekdays[strings.ToLower(days[i])] < weekdays[strings.ToLower(days[j])] })
		for _, d := range days {
			hours = append(hours, d+" "+spec.LoginHours[d].String())
			fmt.Fprintf(&snippet, "        %s: %q\n", strings.ToLower(d), spec.LoginHours[d].String())
		}
		what = append(what, "Login Hours "+strings.Join(hours, ", "))
	}
	pp.Notes = append(pp.Notes,
		fmt.Sprintf("Set %s on the user's profile (%s) in Setup or through the Metadata API (Profile.loginIpRanges, Profile.loginHours); the REST API cannot. "+
			"If other integrations share the profile, clone it for this one.", strings.Join(what, " and "), profile),
		"Add to your policy file so that audits check every login against them:\n"+snippet.String())
}

// Apply performs the plan: Salesforce changes (one composite request),
// the credential's secret, the connected app, then the inventory. Each
// step records whether it was done; log, when set, is told after each.
func (p *Provisioner) Apply(ctx context.Context, pp *ProvisionPlan, log func(s *Step)) error {
	a := &applyState{}
	var u *Step
	for _, s := range pp.Steps {
		if s.change != nil && s.change.Object == "User" && s.change.Op == "create" {
			u = s
		}
	}
	if pp.sf != nil && len(pp.sf.Changes) > 0 {
		err := Apply(ctx, p.Session, pp.sf, nil)
		for _, s := range pp.Steps {
			if s.change != nil {
				s.Done, s.Error = s.change.Error == "" && s.change.Result != "", s.change.Error
				if log != nil {
					log(s)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if u != nil {
		a.userID = u.change.Result
	} else {
		st, err := Read(ctx, p.Session, pp.Org, []string{pp.Username}, ReadOptions{})
		if err != nil {
			return err
		}
		a.userID = st.Users[strings.ToLower(pp.Username)].UserID
	}
	for _, s := range pp.Steps {
		if s.apply == nil {
			continue
		}
		if err := s.apply(ctx, a); err != nil {
			s.Error = warden.ErrorMessage(err)
			if log != nil {
				log(s)
			}
			return fmt.Errorf("%s: %w", s.Summary, err)
		}
		s.Done = true
		if log != nil {
			log(s)
		}
	}
	pp.Certificate = a.cert
	return nil
}
