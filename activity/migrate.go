package activity

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/salesforce"
)

// RuleMigration is the rule name of the events that record completed
// migration steps: the checklist lives in the activity timeline.
const RuleMigration = "migration"

// MigrationStore is what a Migrator reads and changes in the inventory.
type MigrationStore interface {
	warden.CredentialService
	warden.UserService
	warden.ActivityService
	warden.DependentService
}

// Migrator executes the Salesforce-side and Warden-side steps of
// migration plans and tracks the manual ones.
type Migrator struct {
	// Session is the org's monitoring session (an administrator's: it
	// needs Customize Application and Manage Users).
	Session *salesforce.Session
	Store   MigrationStore
	// Secrets is the plan's secret store.
	Secrets warden.SecretStore
	// Prove logs in once with a credential.
	Prove func(ctx context.Context, c *warden.Credential) error
	// Deliverer delivers the new credential to each dependent of the
	// inventory by its declared delivery and verifies it (package
	// delivery).
	Deliverer warden.Deliverer
	// HTTP sends Metadata API requests (default http.DefaultClient).
	HTTP *http.Client
	Now  func() time.Time
}

// Load marks the plan's steps that are recorded as done.
func (m *Migrator) Load(ctx context.Context, p *MigrationPlan) error {
	events, err := m.Store.Activity(ctx, warden.ActivityFilter{Org: p.Org, Username: p.Username, Rule: RuleMigration})
	if err != nil {
		return err
	}
	done := map[string]time.Time{}
	for _, ev := range events {
		done[ev.Key] = ev.At
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		if at, ok := done[p.StepKey(s.ID)]; ok {
			s.Done, s.DoneAt = true, at
		}
	}
	return nil
}

// Done records a step as done.
func (m *Migrator) Done(ctx context.Context, p *MigrationPlan, id string) error {
	s := p.Step(id)
	if s == nil {
		return warden.Errorf(warden.ENOTFOUND, "the plan of %s has no step %q", p.Username, id)
	}
	if s.Done {
		return nil
	}
	now := m.now()
	_, err := m.Store.CommitActivity(ctx, nil, []*warden.ActivityEvent{{Org: p.Org, Username: p.Username, Rule: RuleMigration,
		Severity: warden.SeverityInfo, Key: p.StepKey(id), Summary: fmt.Sprintf("Migration to %s: %s (done).", p.To, s.Title), Fix: s.Detail, At: now}})
	if err == nil {
		s.Done, s.DoneAt = true, now
	}
	return err
}

func (m *Migrator) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Apply runs the plan's automatic steps that are not done, in order: the
// key pair, the connected app, the pre-authorization and the credential;
// once the configuration step (if any) is checked off, the delivery of
// the new credential to each dependent of the inventory by its declared
// delivery (Deliverer.Deliver; a manual one completes when its owner
// confirms it with warden delivery confirm) and its verification
// (Deliverer.Verify, then the user's login history: see moved); and the
// retirement of the password once every dependent is verified. A
// dependent not in the inventory is delivered by hand and checked off
// with Done. It stops at the first step that fails.
func (m *Migrator) Apply(ctx context.Context, p *MigrationPlan) error {
	if err := m.Load(ctx, p); err != nil {
		return err
	}
	var key *rsa.PrivateKey
	var secret string
	for _, id := range []string{"key_pair", "connected_app", "preauthorize", "credential"} {
		step := p.Step(id)
		if step == nil {
			continue // not a step of this kind of plan
		}
		if key == nil && secret == "" && id != "credential" {
			var err error
			if p.To == warden.CredentialJWT {
				key, err = m.keyPair(ctx, p)
			} else {
				secret, err = m.consumerSecret(ctx, p)
			}
			if err != nil {
				return fmt.Errorf("step %s: %w", cmp.Or(p.Step("key_pair"), step).ID, err)
			}
		}
		if step.Done {
			continue
		}
		var err error
		switch id {
		case "connected_app":
			err = m.connectedApp(ctx, p, key, secret)
		case "preauthorize":
			err = m.preauthorize(ctx, p)
		case "credential":
			err = m.credential(ctx, p)
		}
		if err != nil {
			return fmt.Errorf("step %s: %w", id, err)
		}
		if err := m.Done(ctx, p, id); err != nil {
			return err
		}
	}
	// The deliveries wait for the configuration to declare the new
	// credential (and the dependents' targets to fit it).
	if c := p.Step("config"); c != nil && !c.Done {
		return nil
	}
	var nc *nextCredential
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Dependent == "" || s.Done || s.Delivery == "" && s.Kind != StepVerify {
			continue // done, or not a dependent's, or delivered by hand (--done)
		}
		if nc == nil {
			var err error
			if nc, err = m.next(ctx, p); err != nil {
				return fmt.Errorf("step %s: %w", s.ID, err)
			}
		}
		ok, err := m.dependent(ctx, p, s, nc)
		if err != nil {
			return fmt.Errorf("step %s: %w", s.ID, err)
		}
		if !ok {
			continue
		}
		// The verify step follows its deliver step in the plan: a
		// dependent is verified right after its delivery.
		if err := m.Done(ctx, p, s.ID); err != nil {
			return err
		}
	}
	all := true
	for i := range p.Steps {
		if s := &p.Steps[i]; s.Kind == StepVerify && !s.Done {
			all = false
		}
	}
	if r := p.Step("retire_password"); all && !r.Done {
		if err := m.retire(ctx, p); err != nil {
			return fmt.Errorf("step retire_password: %w", err)
		}
		return m.Done(ctx, p, "retire_password")
	}
	return nil
}

// nextCredential is the plan's new credential with its current material
// and secret version, as the deliveries hand it over.
type nextCredential struct {
	cred    *warden.Credential
	mat     warden.Material
	version string
}

// next reads the plan's new credential and its material.
func (m *Migrator) next(ctx context.Context, p *MigrationPlan) (*nextCredential, error) {
	c, err := m.Store.Credential(ctx, p.Credential)
	if err != nil {
		return nil, err
	}
	s, err := m.Secrets.Get(ctx, c.Secret.Key, warden.StageCurrent)
	if err != nil {
		return nil, err
	}
	mat, err := credential.Decode(s.Value)
	if err != nil {
		return nil, err
	}
	return &nextCredential{cred: c, mat: mat, version: s.Version}, nil
}

// dependent runs a deliver or verify step of a dependent and reports
// whether it is complete. A delivery goes by the dependent's declared
// kind; a manual one is complete once its owner confirmed it (warden
// delivery confirm). A verification needs the delivery done, the
// dependent's own verification to pass, and the user's logins since the
// delivery to have moved (see moved); until then it is not complete, and
// not an error.
func (m *Migrator) dependent(ctx context.Context, p *MigrationPlan, s *MigrationStep, nc *nextCredential) (bool, error) {
	d := p.Step("deliver:" + s.Dependent)
	if s.Kind == StepVerify && (d == nil || !d.Done) {
		return false, nil
	}
	if s.Kind == StepVerify && d.Delivery == "" {
		// Delivered by hand: its logins since the switch tell.
		return m.moved(ctx, p, p.Step("credential").DoneAt)
	}
	deps, err := m.Store.Dependents(ctx, warden.DependentFilter{Org: p.Org, Username: p.Username})
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(deps, func(d *warden.Dependent) bool { return d.Name == s.Dependent })
	if i < 0 {
		return false, warden.Errorf(warden.ENOTFOUND, "dependent %s of %s is no longer in the inventory", s.Dependent, p.Username)
	}
	dep := deps[i]
	if m.Deliverer == nil {
		return false, warden.Errorf(warden.EINTERNAL, "no deliverer is configured")
	}
	if s.Kind != StepVerify {
		r, err := m.Deliverer.Deliver(ctx, dep, nc.cred, nc.mat, nc.version)
		if err != nil {
			if warden.ErrorKind(err) == warden.EINVALID {
				return false, warden.Errorf(warden.EINVALID, "%s: give the dependent's target the new credential's fields (%s) in the configuration and run warden inventory sync",
					warden.ErrorMessage(err), newFields(p.To))
			}
			return false, err
		}
		if !r.Pending {
			return true, nil
		}
		// A manual delivery is done once its owner confirmed it.
		err = m.Deliverer.Verify(ctx, dep, nc.cred, nc.mat, nc.version)
		if warden.ErrorKind(err) == warden.EUNAVAILABLE {
			return false, nil
		}
		return err == nil, err
	}
	if err := m.Deliverer.Verify(ctx, dep, nc.cred, nc.mat, nc.version); err != nil {
		if warden.ErrorKind(err) == warden.EUNAVAILABLE {
			return false, nil
		}
		return false, err
	}
	return m.moved(ctx, p, d.DoneAt)
}

// keyPair returns the plan's private key, generating and storing it the
// first time.
func (m *Migrator) keyPair(ctx context.Context, p *MigrationPlan) (*rsa.PrivateKey, error) {
	if s, err := m.Secrets.Get(ctx, p.Credential, warden.StageCurrent); err == nil {
		mat, err := credential.Decode(s.Value)
		if err == nil {
			if b, _ := pem.Decode([]byte(mat.PrivateKey)); b != nil {
				if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
					return k, nil
				}
			}
		}
		return nil, warden.Errorf(warden.EINVALID, "secret %s/%s holds no RSA private key", p.SecretStore, p.Credential)
	} else if warden.ErrorKind(err) != warden.ENOTFOUND {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	b, err := credential.Encode(warden.Material{PrivateKey: pemKey})
	if err != nil {
		return nil, err
	}
	if _, err := m.Secrets.Put(ctx, p.Credential, b, warden.StageCurrent, map[string]string{"source": "warden migrate", "user": p.Username}); err != nil {
		return nil, err
	}
	if err := m.Done(ctx, p, "key_pair"); err != nil {
		return nil, err
	}
	return key, nil
}

// consumerSecret returns the plan's consumer secret (client
// credentials), generating and storing it the first time.
func (m *Migrator) consumerSecret(ctx context.Context, p *MigrationPlan) (string, error) {
	if s, err := m.Secrets.Get(ctx, p.Credential, warden.StageCurrent); err == nil {
		if mat, err := credential.Decode(s.Value); err == nil && mat.ClientSecret != "" {
			return mat.ClientSecret, nil
		}
		return "", warden.Errorf(warden.EINVALID, "secret %s/%s holds no consumer secret", p.SecretStore, p.Credential)
	} else if warden.ErrorKind(err) != warden.ENOTFOUND {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	secret := fmt.Sprintf("%X", b)
	v, err := credential.Encode(warden.Material{ClientSecret: secret})
	if err != nil {
		return "", err
	}
	if _, err := m.Secrets.Put(ctx, p.Credential, v, warden.StageCurrent, map[string]string{"source": "warden migrate", "user": p.Username}); err != nil {
		return "", err
	}
	return secret, nil
}

// connectedApp upserts the plan's connected app through the Metadata
// API: with the key's certificate for JWT bearer, or with the consumer
// secret, the client credentials flow and the user as its run-as user.
func (m *Migrator) connectedApp(ctx context.Context, p *MigrationPlan, key *rsa.PrivateKey, secret string) error {
	var flow string
	if key != nil {
		cert, err := certificate(key, p.App, m.now())
		if err != nil {
			return err
		}
		flow = `<met:certificate>` + xmlEscape(cert) + `</met:certificate>`
	}
	tok, err := m.Session.Token(ctx)
	if err != nil {
		return err
	}
	body := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:met="http://soap.sforce.com/2006/04/metadata">` +
		`<soapenv:Header><met:SessionHeader><met:sessionId>` + xmlEscape(tok.AccessToken) + `</met:sessionId></met:SessionHeader></soapenv:Header>` +
		`<soapenv:Body><met:upsertMetadata><met:metadata xsi:type="met:ConnectedApp"><met:fullName>` + xmlEscape(p.App) + `</met:fullName>` +
		`<met:contactEmail>warden@localhost</met:contactEmail><met:label>` + xmlEscape(strings.ReplaceAll(p.App, "_", " ")) + `</met:label>` +
		`<met:oauthConfig><met:callbackUrl>https://login.salesforce.com/services/oauth2/success</met:callbackUrl>` + flow +
		`<met:consumerKey>` + xmlEscape(p.ConsumerKey) + `</met:consumerKey>` + ccSecret(secret) + `<met:isAdminApproved>true</met:isAdminApproved>` + ccFlow(p, secret) + `<met:scopes>Api</met:scopes></met:oauthConfig>` +
		`</met:metadata></met:upsertMetadata></soapenv:Body></soapenv:Envelope>`
	url := strings.TrimSuffix(tok.InstanceURL, "/") + "/services/Soap/m/" + m.Session.Client().APIVersion()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	hc := m.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "the Metadata API did not answer: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte("<success>true</success>")) {
		return warden.Errorf(warden.EINVALID, "the Metadata API refused connected app %s: %s", p.App, metadataMessage(out))
	}
	return nil
}

// ccSecret and ccFlow are the client credentials parts of the connected
// app's oauthConfig, in the schema's element order ("" without a consumer
// secret).
func ccSecret(secret string) string {
	if secret == "" {
		return ""
	}
	return `<met:consumerSecret>` + xmlEscape(secret) + `</met:consumerSecret>`
}

func ccFlow(p *MigrationPlan, secret string) string {
	if secret == "" {
		return ""
	}
	return `<met:isClientCredentialEnabled>true</met:isClientCredentialEnabled><met:oauthClientCredentialUser>` + xmlEscape(p.Username) + `</met:oauthClientCredentialUser>`
}

// preauthorize creates the plan's permission set, gives it the connected
// app and assigns it to the user; what exists already is reused.
func (m *Migrator) preauthorize(ctx context.Context, p *MigrationPlan) error {
	psID, err := m.id(ctx, "SELECT Id FROM PermissionSet WHERE Name = "+salesforce.Quote(p.App))
	if err != nil {
		return err
	}
	if psID == "" {
		if psID, err = m.Session.CreateSObject(ctx, "PermissionSet", map[string]any{"Name": p.App, "Label": strings.ReplaceAll(p.App, "_", " ")}); err != nil {
			return err
		}
	}
	appID, err := m.id(ctx, "SELECT Id FROM ConnectedApplication WHERE Name = "+salesforce.Quote(p.App))
	if err != nil {
		return err
	}
	if appID == "" {
		return warden.Errorf(warden.ENOTFOUND, "connected app %s is not in the org", p.App)
	}
	userID, err := m.id(ctx, "SELECT Id FROM User WHERE Username = "+salesforce.Quote(p.Username))
	if err != nil {
		return err
	}
	if userID == "" {
		return warden.Errorf(warden.ENOTFOUND, "user %s is not in the org", p.Username)
	}
	for _, c := range []struct {
		object string
		fields map[string]any
	}{
		{"SetupEntityAccess", map[string]any{"ParentId": psID, "SetupEntityId": appID}},
		{"PermissionSetAssignment", map[string]any{"AssigneeId": userID, "PermissionSetId": psID}},
	} {
		if _, err := m.Session.CreateSObject(ctx, c.object, c.fields); err != nil && !duplicate(err) {
			return err
		}
	}
	return nil
}

// credential records the new credential, points the user at it and
// proves it.
func (m *Migrator) credential(ctx context.Context, p *MigrationPlan) error {
	c := &warden.Credential{Name: p.Credential, Org: p.Org, Kind: p.To, Username: p.Username, ClientID: p.ConsumerKey,
		Secret: warden.SecretRef{Store: p.SecretStore, Key: p.Credential}}
	if err := m.Store.UpsertCredential(ctx, c); err != nil {
		return err
	}
	if err := m.Prove(ctx, c); err != nil {
		return fmt.Errorf("the new credential does not log in: %w", err)
	}
	u, err := m.Store.User(ctx, p.Org, p.Username)
	if err != nil {
		return err
	}
	u.Credential = p.Credential
	return m.Store.UpsertUser(ctx, u)
}

// moved reports whether the user's logins since the delivery went
// through the new connected app and none used SOAP login(), Warden's own
// logins aside (its credential checks, as the monitor recorded them).
func (m *Migrator) moved(ctx context.Context, p *MigrationPlan, since time.Time) (bool, error) {
	userID, err := m.id(ctx, "SELECT Id FROM User WHERE Username = "+salesforce.Quote(p.Username))
	if err != nil || userID == "" {
		return false, err
	}
	st, err := m.Store.ActivityState(ctx, p.Org)
	if err != nil {
		return false, err
	}
	own := OwnLogins(st, p.Username)
	logins, err := salesforce.LoginHistory("WHERE UserId = "+salesforce.Quote(userID)+" AND LoginTime >= "+salesforce.DateTime(since.Add(-time.Minute))+
		" ORDER BY LoginTime DESC").Read(ctx, m.Session)
	if err != nil {
		return false, err
	}
	viaApp := false
	for i := range logins {
		l := &logins[i]
		if l.Time.Before(since) {
			continue
		}
		if IsSOAPLogin(l) && (own == nil || !own(l)) {
			return false, nil
		}
		if l.Succeeded() && strings.EqualFold(l.Application, p.App) {
			viaApp = true
		}
	}
	return viaApp, nil
}

// retire sets a random password nobody holds. The old credential stays
// in the inventory as history (the configuration may declare it).
func (m *Migrator) retire(ctx context.Context, p *MigrationPlan) error {
	userID, err := m.id(ctx, "SELECT Id FROM User WHERE Username = "+salesforce.Quote(p.Username))
	if err != nil {
		return err
	}
	return m.Session.SetUserPassword(ctx, userID, randomPassword())
}

// id runs a query for one Id ("" when nothing matches).
func (m *Migrator) id(ctx context.Context, soql string) (string, error) {
	r, err := m.Session.Query(ctx, soql, nil)
	if err != nil || len(r.Records) == 0 {
		return "", err
	}
	return r.Records[0].String("Id"), nil
}

func duplicate(err error) bool {
	var se *salesforce.Error
	return errors.As(err, &se) && (se.Code == "DUPLICATE_VALUE" || strings.Contains(se.Message, "DUPLICATE_VALUE"))
}

// certificate is a self-signed certificate of key for the connected app.
func certificate(key *rsa.PrivateKey, name string, now time.Time) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{SerialNumber: serial.Add(serial, big.NewInt(1)), Subject: pkix.Name{CommonName: name, Organization: []string{"Warden"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(2, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// metadataMessage extracts the message of a Metadata API failure.
func metadataMessage(out []byte) string {
	for _, tag := range []string{"message", "faultstring"} {
		if _, rest, ok := bytes.Cut(out, []byte("<"+tag+">")); ok {
			if msg, _, ok := bytes.Cut(rest, []byte("</"+tag+">")); ok {
				return string(msg)
			}
		}
	}
	return "no message"
}

func randomPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "Wx9!" + strings.TrimRight(fmt.Sprintf("%x", b), "=")
}
