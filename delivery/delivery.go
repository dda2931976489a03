// Package delivery hands a rotated credential to the applications that
// depend on it, proves each works with it, and puts each back on the
// previous credential when a rotation rolls back. Deliverer implements
// warden.Deliverer for every delivery kind a dependent declares:
//
//   - secret_store: the material is written to a secret-store path the
//     application reads (local, Vault, Azure Key Vault), or nothing is
//     written when the application reads the credential's own secret,
//     which the rotation promotes;
//   - file: a configuration file rendered from a template (.env, JSON,
//     YAML, Java properties), written atomically with a backup;
//   - webhook: an HMAC-signed POST of the material (the signing scheme of
//     notify's webhooks) to https or a loopback address;
//   - command: the application's own reload or deploy program, run
//     without a shell, with the material on stdin or in its environment;
//   - manual: a runbook for the owner that says where the new value is
//     (never the value), tracked in the store until the owner confirms;
//   - broker: nothing to deliver (the application asks the broker).
//
// Verify proves a delivery by the dependent's health URL, one test login
// with the delivered material, or the dependent's own successful logins
// in Salesforce's login history since the delivery. The Notice functions
// tell owners about rotations through a notify.Dispatcher.
//
// Secret material never appears in what this package returns, records or
// logs: receipts, errors, runbooks and captured command output name
// paths, URLs and secret-store references only.
package delivery

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/wardenhq/warden/internal/wait"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// Sessions gives the Salesforce access verification needs. A
// *credential.Registry implements it.
type Sessions interface {
	// Client returns the client of the named org.
	Client(ctx context.Context, org string) (*salesforce.Client, error)
	// Session returns the shared session of the named credential.
	Session(ctx context.Context, credential string) (*salesforce.Session, error)
}

// Config configures a Deliverer.
type Config struct {
	// Secrets are the secret stores by name: where secret_store targets
	// and webhook signing secrets are.
	Secrets map[string]warden.SecretStore
	// Deliveries tracks every delivery (required for manual dependents
	// and for login-history verification; nothing is tracked when nil).
	Deliveries warden.DeliveryService
	// Orgs and Sessions serve verification by login and login history.
	Orgs     warden.OrgService
	Sessions Sessions
	// HTTPClient sends webhooks and health checks; a new client when
	// nil. Redirects are never followed.
	HTTPClient *http.Client
	// Retry bounds webhook and health retries.
	Retry Retry
	// Logger records what is delivered (never the material); discard
	// when nil.
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Retry says how webhooks and health checks are retried.
type Retry struct {
	// Attempts is the number of tries, the first included (3 when zero).
	Attempts int
	// BaseDelay is the wait before the first retry, doubled before each
	// further one (1s when zero).
	BaseDelay time.Duration
	// Timeout bounds one attempt (10s when zero).
	Timeout time.Duration
}

// Deliverer delivers credentials to dependents; it implements
// warden.Deliverer. It is safe for concurrent use; concurrent deliveries
// to the same file are the caller's to avoid (the rotation engine runs
// one rotation per credential).
type Deliverer struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	hc    *http.Client
	sleep func(context.Context, time.Duration) error
}

var _ warden.Deliverer = (*Deliverer)(nil)

// New returns a Deliverer for cfg.
func New(cfg Config) *Deliverer {
	d := &Deliverer{cfg: cfg, log: cfg.Logger, now: cfg.Now, sleep: wait.Sleep}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.hc = hc
	if d.cfg.Retry.Attempts <= 0 {
		d.cfg.Retry.Attempts = 3
	}
	if d.cfg.Retry.BaseDelay <= 0 {
		d.cfg.Retry.BaseDelay = time.Second
	}
	if d.cfg.Retry.Timeout <= 0 {
		d.cfg.Retry.Timeout = 10 * time.Second
	}
	return d
}

// job is one delivery or restore in progress.
type job struct {
	dep     *warden.Dependent
	cred    *warden.Credential
	m       warden.Material
	version string
	action  string
}

// Deliver gives dependent dep the material m of credential c's version
// version, by dep's delivery kind, and records the receipt.
func (d *Deliverer) Deliver(ctx context.Context, dep *warden.Dependent, c *warden.Credential, m warden.Material, version string) (*warden.DeliveryReceipt, error) {
	j := &job{dep: dep, cred: c, m: m, version: version, action: warden.ActionDeliver}
	rec, err := d.run(ctx, j)
	if err != nil {
		return nil, err
	}
	r := rec.DeliveryReceipt
	return &r, nil
}

// Restore puts dependent dep back on the previous material of credential
// c (version is its secret version id), by dep's delivery kind: a file
// from its backup, a secret-store path rewritten with the previous
// material, the webhook or command given the previous material, and for
// manual dependents a new runbook step for the owner.
func (d *Deliverer) Restore(ctx context.Context, dep *warden.Dependent, c *warden.Credential, previous warden.Material, version string) error {
	_, err := d.run(ctx, &job{dep: dep, cred: c, m: previous, version: version, action: warden.ActionRestore})
	return err
}

// run checks j, performs it by kind and records it.
func (d *Deliverer) run(ctx context.Context, j *job) (*warden.DeliveryRecord, error) {
	if j.dep == nil || j.cred == nil {
		return nil, warden.Errorf(warden.EINVALID, "delivery: a dependent and a credential are required")
	}
	if err := j.dep.Validate(); err != nil {
		return nil, err
	}
	if j.version == "" {
		return nil, warden.Errorf(warden.EINVALID, "delivery to %s: the secret version is empty", j.dep.Name)
	}
	kind := j.dep.Delivery
	if kind == "" {
		kind = warden.DeliveryManual
	}
	rec := &warden.DeliveryRecord{
		DeliveryReceipt: warden.DeliveryReceipt{Dependent: j.dep.Name, Delivery: kind, Version: j.version, At: d.now().UTC()},
		Org:             j.dep.Org, Credential: j.cred.Name, Action: j.action,
	}
	var err error
	switch kind {
	case warden.DeliveryBroker:
		rec.Detail = "asks Warden's broker for tokens: nothing to deliver"
	case warden.DeliverySecretStore:
		rec.Detail, err = d.secretStore(ctx, j)
	case warden.DeliveryFile:
		rec.Detail, err = d.file(j)
	case warden.DeliveryWebhook:
		rec.Detail, err = d.webhook(ctx, j)
	case warden.DeliveryCommand:
		rec.Detail, err = d.command(ctx, j)
	case warden.DeliveryManual:
		if d.cfg.Deliveries == nil {
			return nil, warden.Errorf(warden.EINTERNAL, "delivery to %s: manual deliveries need a delivery store", j.dep.Name)
		}
		rec.Detail = "runbook for " + cmp.Or(j.dep.Owner, "the owner")
		rec.Runbook = Runbook(j.dep, j.cred, j.m, j.version, j.action)
		rec.Pending = true
	default:
		err = warden.Errorf(warden.EINVALID, "delivery to %s: unknown delivery %q", j.dep.Name, kind)
	}
	if err != nil {
		d.log.Warn("delivery failed", "dependent", j.dep.Name, "org", j.dep.Org, "credential", j.cred.Name,
			"version", j.version, "action", j.action, "delivery", string(kind), "err", err)
		return nil, err
	}
	if d.cfg.Deliveries != nil {
		if err := d.cfg.Deliveries.RecordDelivery(ctx, rec); err != nil {
			return nil, fmt.Errorf("delivery to %s: recording it: %w", j.dep.Name, err)
		}
	}
	d.log.Info("delivered", "dependent", j.dep.Name, "org", j.dep.Org, "credential", j.cred.Name,
		"version", j.version, "action", j.action, "delivery", string(kind), "detail", rec.Detail, "pending", rec.Pending)
	return rec, nil
}

// values are the template and environment fields of j.
func (j *job) values() map[string]string {
	v := map[string]string{
		FieldPassword: j.m.Password, FieldPrivateKey: j.m.PrivateKey, FieldClientSecret: j.m.ClientSecret,
		FieldRefreshToken: j.m.RefreshToken, FieldUsername: j.cred.LoginUsername(j.m), FieldClientID: j.cred.LoginClientID(j.m),
		FieldCredential: j.cred.Name, FieldVersion: j.version,
	}
	if f := j.dep.Target.File; f != nil && f.KeyPath != "" {
		v[FieldPrivateKeyPath] = f.KeyPath
	}
	return v
}

// redact replaces every secret of j's material in text.
func (j *job) redact(text string) string { return redact(text, j.m) }

// CarriesIdentity reports, for a dependent of twin credential c, whether
// its delivery hands the application the username (TwinUsername) or the
// consumer key (TwinClientID) along with the secret, as moving it to the
// other twin needs: an application that kept logging in as the old twin
// with the new twin's password would fail, and lock that user out. The
// error names the dependent and what to change.
func CarriesIdentity(d *warden.Dependent, c *warden.Credential) error {
	field := FieldUsername
	if c.TwinClientID != "" {
		field = FieldClientID
	} else if c.TwinUsername == "" {
		return nil
	}
	missing := func(how string) error {
		return warden.Errorf(warden.EINVALID, "dependent %s cannot move to the twin of credential %s: %s (add {{%s}})", d.Name, c.Name, how, field)
	}
	t := d.Target
	switch d.Delivery {
	case warden.DeliveryFile:
		if t.File == nil {
			return nil // reported by the delivery itself
		}
		tpl, err := ParseTemplate(t.File.Format, t.File.Template)
		if err != nil {
			return warden.Prefix("dependent "+d.Name, err)
		}
		if !slices.Contains(tpl.Uses(), field) {
			return missing("its file template has no " + field)
		}
	case warden.DeliverySecretStore:
		if t.Secret != nil && t.Secret.Field != "" {
			return missing("its secret-store path holds only the " + t.Secret.Field + " (drop field: to store the whole material, which names the twin)")
		}
	case warden.DeliveryCommand:
		if t.Command != nil && t.Command.Input == InputEnv && !slices.Contains(slices.Collect(maps.Values(t.Command.Env)), field) {
			return missing("its command's environment has no " + field + " variable")
		}
	}
	return nil // webhooks and command stdin carry the whole message; a manual runbook names the twin
}
