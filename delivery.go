package warden

import (
	"context"
	"time"
)

// Deliverer hands a credential's new secret material to one dependent
// application and proves the application works with it. The rotation
// engine calls it for every dependent of the rotated credential; package
// delivery implements it for every Delivery kind. Every method is
// idempotent: a rotation resumed after a crash may call it again with the
// same version.
type Deliverer interface {
	// Deliver gives d the material m of credential c's secret version
	// version (a secret-store reference, a rendered configuration file, a
	// signed webhook, a command hook, or a manual runbook). For manual
	// deliveries it records what the owner must do and returns a receipt
	// with Pending set until the owner confirms.
	Deliver(ctx context.Context, d *Dependent, c *Credential, m Material, version string) (*DeliveryReceipt, error)
	// Verify proves that d works with the delivered version: its health
	// URL, a test login with the delivered material, or Salesforce's login
	// history showing d's own logins succeed. It returns an error naming
	// what failed; EUNAVAILABLE when it is worth asking again later (an
	// application still reloading, a manual delivery its owner has not
	// confirmed yet, no login by the application since the delivery).
	Verify(ctx context.Context, d *Dependent, c *Credential, m Material, version string) error
	// Restore puts d back on the previous material (a rollback), or
	// records the manual step when it cannot. version is the secret
	// version id of previous (the one d is put back on).
	Restore(ctx context.Context, d *Dependent, c *Credential, previous Material, version string) error
}

// DeliveryReceipt is the outcome of one delivery.
type DeliveryReceipt struct {
	Dependent string   `json:"dependent"`
	Delivery  Delivery `json:"delivery"`
	Version   string   `json:"version"`
	// Detail says where the credential went (a path, a URL, a command),
	// never the material.
	Detail string `json:"detail,omitempty"`
	// Pending is true while a manual delivery waits for its owner.
	Pending bool      `json:"pending"`
	At      time.Time `json:"at"`
}

// DeliveryTarget is where a dependent receives its credentials: the part
// that matches its Delivery kind is set. Broker dependents need none, and
// a secret_store dependent without one reads the credential's own secret.
// It holds references and paths, never secret material.
type DeliveryTarget struct {
	File    *FileTarget    `json:"file,omitempty"`
	Secret  *SecretTarget  `json:"secret,omitempty"`
	Webhook *WebhookTarget `json:"webhook,omitempty"`
	Command *CommandTarget `json:"command,omitempty"`
	Manual  *ManualTarget  `json:"manual,omitempty"`
}

// IsZero reports whether no target is set.
func (t DeliveryTarget) IsZero() bool {
	return t.File == nil && t.Secret == nil && t.Webhook == nil && t.Command == nil && t.Manual == nil
}

// FileTarget is a configuration file rendered from a template.
type FileTarget struct {
	// Path is the absolute path of the file the application reads.
	Path string `json:"path"`
	// Format is env, json, yaml or properties: how values are escaped.
	Format string `json:"format"`
	// Template is the file's text with {{field}} placeholders where
	// values go (see package delivery for the fields).
	Template string `json:"template"`
	// KeyPath, when set, is where the private key of a JWT credential is
	// written (mode 0600) for the {{privateKeyPath}} placeholder.
	KeyPath string `json:"keyPath,omitempty"`
	// Mode is the permission bits of a new file (0600 when zero); an
	// existing file keeps its own mode and owner.
	Mode uint32 `json:"mode,omitempty"`
}

// SecretTarget is a secret-store path the application reads.
type SecretTarget struct {
	Store string `json:"store"`
	Key   string `json:"key"`
	// Field, when set, stores only that material field's raw value
	// (password, clientSecret, privateKey, refreshToken) instead of the
	// whole material as JSON.
	Field string `json:"field,omitempty"`
}

// WebhookTarget is an endpoint that receives the new material in an
// HMAC-signed POST.
type WebhookTarget struct {
	// URL is https, or http on a loopback address.
	URL string `json:"url"`
	// Secret locates the signing secret in a secret store.
	Secret SecretRef `json:"secret"`
}

// CommandTarget is a program run for the application's own reload or
// deploy. It is executed directly (no shell) and gets the material on
// stdin or in its environment, never in its arguments.
type CommandTarget struct {
	Path string   `json:"path"`
	Args []string `json:"args,omitempty"`
	// Input is stdin (default: a JSON document) or env (the variables in
	// Env).
	Input string `json:"input,omitempty"`
	// Env maps environment variable names to fields, for Input env.
	Env map[string]string `json:"env,omitempty"`
	// Timeout bounds one run (one minute when zero).
	Timeout time.Duration `json:"timeout,omitempty"`
}

// ManualTarget tells the owner of a manual dependent what to change.
type ManualTarget struct {
	// Settings name what the owner changes, in the application's words
	// ("Admin > Salesforce > Password").
	Settings []string `json:"settings,omitempty"`
	// Instructions are further steps, such as the restart to do.
	Instructions string `json:"instructions,omitempty"`
}

// Verification methods.
const (
	VerifyNone         = ""              // the delivery itself is the proof
	VerifyHealth       = "health"        // GET the application's health URL
	VerifyLogin        = "login"         // one test login with the delivered material
	VerifyLoginHistory = "login_history" // the application's own logins succeed
)

// Verification is how Warden proves a dependent works after a delivery.
type Verification struct {
	// Method is one of the Verify* constants.
	Method string `json:"method,omitempty"`
	// URL and Expect (a substring of the body) are for health.
	URL    string `json:"url,omitempty"`
	Expect string `json:"expect,omitempty"`
	// SourceIPs and Application pick the dependent's logins out of the
	// user's login history (either or both).
	SourceIPs   []string `json:"sourceIps,omitempty"`
	Application string   `json:"application,omitempty"`
}

// DeliveryRecord is a delivery as the store tracks it: the receipt, what
// it was for, and for manual deliveries the runbook and its confirmation.
type DeliveryRecord struct {
	DeliveryReceipt
	Org        string `json:"org"`
	Credential string `json:"credential"`
	// Action is deliver or restore.
	Action string `json:"action"`
	// Runbook is what the owner of a manual dependent must do. It names
	// where the value is, never the value.
	Runbook     string    `json:"runbook,omitempty"`
	ConfirmedAt time.Time `json:"confirmedAt,omitzero"`
	ConfirmedBy string    `json:"confirmedBy,omitempty"`
}

// Delivery actions.
const (
	ActionDeliver = "deliver"
	ActionRestore = "restore"
)

// DeliveryFilter selects delivery records; empty fields match everything.
type DeliveryFilter struct {
	Org        string
	Dependent  string
	Credential string
	Version    string
	// Pending selects only records waiting for their owner.
	Pending bool
}

// DeliveryService tracks deliveries to dependents.
type DeliveryService interface {
	// RecordDelivery creates or updates the record (Org, Dependent,
	// Credential, Version, Action). An existing record keeps its At and
	// its confirmation (a confirmed record stays not pending); both are
	// written back into r.
	RecordDelivery(ctx context.Context, r *DeliveryRecord) error
	// Deliveries returns the matching records, newest first.
	Deliveries(ctx context.Context, f DeliveryFilter) ([]*DeliveryRecord, error)
	// ConfirmDeliveries marks every pending record of the dependent
	// (org, dependent) confirmed by by at the store's current time, and
	// returns them; ENOTFOUND when none is pending.
	ConfirmDeliveries(ctx context.Context, org, dependent, by string) ([]*DeliveryRecord, error)
}

// validateTarget checks that d's target fits its delivery kind: file,
// webhook and command need theirs, and no kind carries another's.
func (d *Dependent) validateTarget() error {
	t := d.Target
	own := map[Delivery]bool{
		DeliveryFile: t.File != nil, DeliverySecretStore: t.Secret != nil, DeliveryWebhook: t.Webhook != nil,
		DeliveryCommand: t.Command != nil, DeliveryManual: t.Manual != nil,
	}
	for kind, set := range own {
		if set && kind != d.Delivery && !(kind == DeliveryManual && d.Delivery == "") {
			return Errorf(EINVALID, "dependent %s: a %s target does not fit delivery %q", d.Name, kind, d.Delivery)
		}
	}
	switch {
	case d.Delivery == DeliveryFile && (t.File == nil || t.File.Path == "" || t.File.Template == ""):
		return Errorf(EINVALID, "dependent %s: delivery file needs a path and a template", d.Name)
	case d.Delivery == DeliveryWebhook && t.Webhook != nil && t.Webhook.URL == "":
		return Errorf(EINVALID, "dependent %s: delivery webhook needs a URL", d.Name)
	case d.Delivery == DeliveryCommand && (t.Command == nil || t.Command.Path == ""):
		return Errorf(EINVALID, "dependent %s: delivery command needs a command", d.Name)
	case d.Delivery == DeliverySecretStore && t.Secret != nil && (t.Secret.Store == "" || t.Secret.Key == ""):
		return Errorf(EINVALID, "dependent %s: a secret-store target needs a store and a key", d.Name)
	}
	switch d.Verify.Method {
	case VerifyNone, VerifyLogin:
	case VerifyHealth:
		if d.Verify.URL == "" {
			return Errorf(EINVALID, "dependent %s: verification by health needs a URL", d.Name)
		}
	case VerifyLoginHistory:
		if len(d.Verify.SourceIPs) == 0 && d.Verify.Application == "" {
			return Errorf(EINVALID, "dependent %s: verification by login history needs source IPs or an application", d.Name)
		}
	default:
		return Errorf(EINVALID, "dependent %s: verification %q is not one of health, login, login_history", d.Name, d.Verify.Method)
	}
	return nil
}
