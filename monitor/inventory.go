package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Inventory builds the monitored orgs from the inventory in the store: each
// org with a monitoring credential, its integration users as targets (with
// the dependents that use them, whose declared object access the sweep
// verifies), and a credential check per user that has a credential.
// Sessions and checks are built once per credential version and reused by
// later loads, so that Load is cheap enough to run every sweep interval.
type Inventory struct {
	Orgs        warden.OrgService
	Users       warden.UserService
	Dependents  warden.DependentService
	Credentials warden.CredentialService
	// Session returns the session of an org's monitoring credential.
	Session func(ctx context.Context, org *warden.Org, cred *warden.Credential) (*salesforce.Session, error)
	// Authenticator returns an authenticator of a user's credential; the
	// user's check is LivenessCheck of it on the monitoring session's
	// client.
	Authenticator func(ctx context.Context, cred *warden.Credential) (salesforce.Authenticator, error)
	// DailyAPIShare applies to orgs that set none (0: the monitor's
	// default).
	DailyAPIShare float64
	Logger        *slog.Logger

	// loading serializes loads; only Load takes it (no sweep or reader
	// waits for it).
	loading  sync.Mutex
	sessions map[string]cachedSession
	checks   map[string]cachedCheck
}

type cachedSession struct {
	version string
	sess    *salesforce.Session
}

type cachedCheck struct {
	version string
	check   func(context.Context) error
	// user is the user the check logs in as, when the authenticator
	// says (salesforce.LoginUser).
	user string
	err  error
}

// CredentialVersion identifies one version of a credential: it changes
// when the credential's kind, client, user or secret reference changes, or
// when it is rotated.
func CredentialVersion(c *warden.Credential) string {
	return strings.Join([]string{string(c.Kind), c.ClientID, c.Username, c.TwinUsername, c.TwinClientID, c.Secret.Store, c.Secret.Key,
		c.CreatedAt.UTC().Format(time.RFC3339Nano), c.RotatedAt.UTC().Format(time.RFC3339Nano)}, "\x00")
}

// Load reads the inventory and returns the orgs to monitor. An org without
// a monitoring credential is skipped with a warning; a user whose
// credential cannot be checked is monitored without checks.
func (inv *Inventory) Load(ctx context.Context) ([]*Org, error) {
	inv.loading.Lock()
	defer inv.loading.Unlock()
	if inv.sessions == nil {
		inv.sessions, inv.checks = map[string]cachedSession{}, map[string]cachedCheck{}
	}
	logger := inv.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	stored, err := inv.Orgs.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	// The whole inventory in four queries, whatever the number of orgs:
	// serve reloads it every sweep interval.
	all, err := inv.read(ctx)
	if err != nil {
		return nil, err
	}
	var orgs []*Org
	for _, oc := range stored {
		if oc.MonitoringCredential == "" {
			logger.Warn("org has no monitoring credential; not monitored", "org", oc.Name)
			continue
		}
		mc := all.creds[oc.MonitoringCredential]
		if mc == nil {
			if mc, err = inv.Credentials.Credential(ctx, oc.MonitoringCredential); err != nil {
				return nil, fmt.Errorf("org %s: monitoring credential: %w", oc.Name, err)
			}
		}
		cs := inv.sessions[oc.Name]
		if v := oc.LoginURL + "\x00" + CredentialVersion(mc); cs.sess == nil || cs.version != v {
			sess, err := inv.Session(ctx, oc, mc)
			if err != nil {
				return nil, fmt.Errorf("org %s: monitoring credential: %w", oc.Name, err)
			}
			cs = cachedSession{version: v, sess: sess}
			inv.sessions[oc.Name] = cs
		}
		o := &Org{Name: oc.Name, Session: cs.sess, DailyAPIShare: oc.DailyAPIShare, PasswordExpiresDays: oc.PasswordExpiresDays, Liveness: map[string]func(context.Context) error{}}
		if o.DailyAPIShare == 0 {
			o.DailyAPIShare = inv.DailyAPIShare
		}
		if err := inv.targets(ctx, logger, all, oc, o, cs.sess.Client()); err != nil {
			return nil, err
		}
		orgs = append(orgs, o)
	}
	return orgs, nil
}

// inventory is the stored inventory grouped for Load: users and
// dependents by org, credentials by name.
type inventory struct {
	users map[string][]*warden.IntegrationUser
	deps  map[string][]*warden.Dependent
	creds map[string]*warden.Credential
}

// read reads every user, dependent and credential (three queries).
func (inv *Inventory) read(ctx context.Context) (*inventory, error) {
	users, err := inv.Users.Users(ctx, warden.UserFilter{})
	if err != nil {
		return nil, err
	}
	deps, err := inv.Dependents.Dependents(ctx, warden.DependentFilter{})
	if err != nil {
		return nil, err
	}
	creds, err := inv.Credentials.Credentials(ctx, "")
	if err != nil {
		return nil, err
	}
	all := &inventory{users: map[string][]*warden.IntegrationUser{}, deps: map[string][]*warden.Dependent{},
		creds: make(map[string]*warden.Credential, len(creds))}
	for _, u := range users {
		all.users[u.Org] = append(all.users[u.Org], u)
	}
	for _, d := range deps {
		all.deps[d.Org] = append(all.deps[d.Org], d)
	}
	for _, c := range creds {
		all.creds[c.Name] = c
	}
	return all, nil
}

// targets fills in o's targets and checks from the org's users and
// dependents.
func (inv *Inventory) targets(ctx context.Context, logger *slog.Logger, all *inventory, oc *warden.Org, o *Org, client *salesforce.Client) error {
	byName := all.creds
	deps := all.deps[oc.Name]
	for _, u := range all.users[oc.Name] {
		t := Target{Username: u.Username, Owner: u.Owner}
		for _, d := range deps {
			if strings.EqualFold(d.Username, u.Username) {
				t.Needs = append(t.Needs, d.Objects...)
				t.Dependents = append(t.Dependents, warden.AffectedApp{Name: d.Name, Owner: d.Owner, Contact: d.Contact})
			}
		}
		if u.Credential != "" {
			c := byName[u.Credential]
			if c == nil {
				var err error
				if c, err = inv.Credentials.Credential(ctx, u.Credential); err != nil {
					return fmt.Errorf("user %s: %w", u.Username, err)
				}
			}
			t.Credential, t.CredentialVersion = c.Kind, CredentialVersion(c)
			cc := inv.checks[c.Name]
			if cc.version != t.CredentialVersion || cc.check == nil && cc.err == nil {
				cc = cachedCheck{version: t.CredentialVersion}
				var auth salesforce.Authenticator
				if auth, cc.err = inv.Authenticator(ctx, c); cc.err == nil {
					cc.check, cc.user = LivenessCheck(client, auth), salesforce.LoginUser(auth)
				} else {
					logger.Warn("credential cannot be checked", "user", u.Username, "credential", c.Name, "err", warden.ErrorMessage(cc.err))
				}
				inv.checks[c.Name] = cc
			}
			// A twin credential logs in as one of its two users: only that
			// one's check is Warden's login (the idle twin has no password
			// anyone holds, and a second check would double the logins).
			if cc.check != nil && (c.TwinUsername == "" || cc.user == "" || strings.EqualFold(cc.user, u.Username)) {
				o.Liveness[u.Username] = cc.check
			}
		}
		o.Targets = append(o.Targets, t)
	}
	return nil
}
