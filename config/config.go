// Package config reads warden.yaml, Warden's declarative configuration:
// the store, secret stores, orgs and their monitoring credentials,
// integration users, owners, dependents, notification channels and
// monitoring settings. docs/configuration.md documents every key.
//
// Loading is strict and all-or-nothing: unknown keys, wrong types, bad
// values and broken references are all reported at once, each with its
// line, and nothing is started or written when any is found. Values may
// use ${NAME} to read an environment variable (secrets belong there or in a
// secret store, never in the file); ${NAME:-default} supplies a default.
package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// Config is a parsed and validated warden.yaml.
//
// File paths in it (store.path, a local secret store's path and keyFile)
// are kept as written, defaults included; they are relative to the
// configuration file's directory, so open them through Resolve.
type Config struct {
	// Path is the file the configuration was read from; relative paths in
	// it are resolved against its directory (see Resolve).
	Path string `yaml:"-"`

	Store         Store          `yaml:"store,omitempty"`
	Server        Server         `yaml:"server,omitempty"`
	SecretStores  []SecretStore  `yaml:"secretStores,omitempty"`
	Orgs          []Org          `yaml:"orgs,omitempty"`
	Credentials   []Credential   `yaml:"credentials,omitempty"`
	Users         []User         `yaml:"users,omitempty"`
	Owners        []Owner        `yaml:"owners,omitempty"`
	Dependents    []Dependent    `yaml:"dependents,omitempty"`
	Notifications []Notification `yaml:"notifications,omitempty"`
	Monitor       Monitor        `yaml:"monitor,omitempty"`
	Auth          Auth           `yaml:"auth,omitempty"`
	TLS           TLS            `yaml:"tls,omitempty"`
	Activity      Activity       `yaml:"activity,omitempty"`
	Broker        Broker         `yaml:"broker,omitempty"`   // token broker (config/broker.go)
	Rotation      Rotation       `yaml:"rotation,omitempty"` // credential rotation (config/rotation.go)
}

// Store selects the inventory and history database.
type Store struct {
	// Driver is sqlite (default) or postgres.
	Driver string `yaml:"driver,omitempty"`
	// Path is the SQLite file (default warden.db, beside the config file).
	Path string `yaml:"path,omitempty"`
	// DSN is the PostgreSQL connection string (use ${ENV} for passwords).
	DSN string `yaml:"dsn,omitempty"`
	// Retention of history; zero keeps everything.
	Retention Retention `yaml:"retention,omitempty"`
}

// Retention bounds history, as durations such as 720h.
type Retention struct {
	Health    Duration `yaml:"health,omitempty"`
	Findings  Duration `yaml:"findings,omitempty"`
	Rotations Duration `yaml:"rotations,omitempty"`
}

// Server configures warden serve's HTTP listener.
type Server struct {
	// Addr is the listen address (default 127.0.0.1:8080).
	Addr string `yaml:"addr,omitempty"`
	// PublicURL is how people reach the dashboard, for links in alerts.
	PublicURL string `yaml:"publicUrl,omitempty"`
}

// SecretStore is one secret backend.
type SecretStore struct {
	Name string `yaml:"name,omitempty"`
	// Kind is local, vault or azurekv.
	Kind string `yaml:"kind,omitempty"`
	// local: Path of the encrypted file (default secrets.json beside the
	// config) and the key-encryption key from KeyFile (a path, resolved
	// like Path) or KeyEnv (the name of an environment variable).
	Path    string `yaml:"path,omitempty"`
	KeyFile string `yaml:"keyFile,omitempty"`
	KeyEnv  string `yaml:"keyEnv,omitempty"`
	// vault: Address, Token (use ${VAULT_TOKEN}), Mount (default secret).
	Address string `yaml:"address,omitempty"`
	Token   string `yaml:"token,omitempty"`
	Mount   string `yaml:"mount,omitempty"`
	// Prefix is prepended to every key: vault (default warden/) and
	// azurekv (default warden-; letters, digits and '-' only).
	Prefix string `yaml:"prefix,omitempty"`
	// azurekv: VaultURL; credentials come from the Azure environment.
	VaultURL string `yaml:"vaultUrl,omitempty"`
}

// Org is a Salesforce org to watch.
type Org struct {
	Name     string `yaml:"name,omitempty"`
	LoginURL string `yaml:"loginUrl,omitempty"`
	// MonitoringCredential names the credential Warden reads the org with.
	MonitoringCredential string `yaml:"monitoringCredential,omitempty"`
	// DailyAPIShare is the share of the org's daily API requests Warden
	// may use (default monitor.dailyApiShare).
	DailyAPIShare float64 `yaml:"dailyApiShare,omitempty"`
	// PasswordExpiresDays is the org's "User passwords expire in" setting,
	// which the API does not expose: 30, 60, 90, 180 or 365 days, -1 for
	// never, 0 (unset) for Salesforce's default, 90.
	PasswordExpiresDays int `yaml:"passwordExpiresDays,omitempty"`
}

// Credential is a way to log in; its secret stays in a secret store.
type Credential struct {
	Name string `yaml:"name,omitempty"`
	Org  string `yaml:"org,omitempty"`
	// Kind is jwt, client_credentials, refresh_token or password.
	Kind     string `yaml:"kind,omitempty"`
	Username string `yaml:"username,omitempty"`
	ClientID string `yaml:"clientId,omitempty"`
	// TwinUsername (password) is a second integration user with the
	// same access, and TwinClientID (jwt) a second connected app trusting
	// the same user: rotations alternate between the two, with no
	// downtime (docs/rotation.md).
	TwinUsername string `yaml:"twinUsername,omitempty"`
	TwinClientID string `yaml:"twinClientId,omitempty"`
	// Secret is where the private key, client secret, refresh token or
	// password + token lives: {store: NAME, key: KEY}.
	Secret SecretRef `yaml:"secret,omitempty"`
}

// SecretRef locates a secret.
type SecretRef struct {
	Store string `yaml:"store,omitempty"`
	Key   string `yaml:"key,omitempty"`
}

// User is an integration user to watch.
type User struct {
	Org         string `yaml:"org,omitempty"`
	Username    string `yaml:"username,omitempty"`
	Credential  string `yaml:"credential,omitempty"`
	Owner       string `yaml:"owner,omitempty"`
	Description string `yaml:"description,omitempty"`
}

// Owner is a team.
type Owner struct {
	Team string `yaml:"team,omitempty"`
	// Contacts are e-mail addresses or notification channel names.
	Contacts []string `yaml:"contacts,omitempty"`
}

// Dependent is an application that uses an integration user.
type Dependent struct {
	Name     string `yaml:"name,omitempty"`
	Org      string `yaml:"org,omitempty"`
	Username string `yaml:"username,omitempty"`
	Owner    string `yaml:"owner,omitempty"`
	Contact  string `yaml:"contact,omitempty"`
	// Delivery is broker, secret_store, webhook, file, command or manual
	// (default).
	Delivery string         `yaml:"delivery,omitempty"`
	Objects  []ObjectAccess `yaml:"objects,omitempty"`
	// Target and Verify: where Delivery sends credentials and how a
	// delivery is proven (config/delivery.go).
	Target DeliveryTarget `yaml:"target,omitempty"`
	Verify Verification   `yaml:"verify,omitempty"`
}

// ObjectAccess is access an application needs to one object.
type ObjectAccess struct {
	Object string   `yaml:"object,omitempty"`
	Access []string `yaml:"access,omitempty"`
}

// Notification is an alert channel.
type Notification struct {
	Name string `yaml:"name,omitempty"`
	// Kind is slack, teams, email, webhook or pagerduty.
	Kind string `yaml:"kind,omitempty"`
	// URL is the webhook URL (slack, teams, webhook; use ${ENV}).
	URL string `yaml:"url,omitempty"`
	// Secret signs webhook deliveries (HMAC-SHA256).
	Secret string `yaml:"secret,omitempty"`
	// RoutingKey is the PagerDuty Events v2 integration key.
	RoutingKey string `yaml:"routingKey,omitempty"`
	// E-mail: SMTP server (port 0 means the notifier's default) and
	// addresses.
	SMTPHost string   `yaml:"smtpHost,omitempty"`
	SMTPPort int      `yaml:"smtpPort,omitempty"`
	Username string   `yaml:"username,omitempty"`
	Password string   `yaml:"password,omitempty"`
	From     string   `yaml:"from,omitempty"`
	To       []string `yaml:"to,omitempty"`
	// MinSeverity filters alerts (default medium).
	MinSeverity string `yaml:"minSeverity,omitempty"`
	// Owners limits the channel to these teams' users and applications.
	Owners []string `yaml:"owners,omitempty"`
}

// Monitor configures health checks.
type Monitor struct {
	// SweepInterval is how often each org's state is read (default 30s).
	SweepInterval Duration `yaml:"sweepInterval,omitempty"`
	// LivenessInterval is how often each user's own credential is tried
	// (default 15m).
	LivenessInterval Duration `yaml:"livenessInterval,omitempty"`
	// PasswordExpiryWarning is how early an expiring password degrades a
	// user (default 336h, 14 days).
	PasswordExpiryWarning Duration `yaml:"passwordExpiryWarning,omitempty"`
	// DailyAPIShare is the default share of an org's daily API requests
	// Warden may use (default 0.05).
	DailyAPIShare float64 `yaml:"dailyApiShare,omitempty"`
}

// Duration is a time.Duration written as "30s" or "720h".
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration as time.Duration does, without zero
// trailing units: "30s", "15m", "720h", "1h30m".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// UnmarshalNode decodes a duration such as "30s", "15m" or "720h"; a bare
// 0 is zero. Negative durations are refused.
func (d *Duration) UnmarshalNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 30s, 15m or 720h, found %s", strictyaml.Describe(n))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q is not a duration (use a number with a unit: 30s, 15m, 720h)", n.Value)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Defaults filled in by Load.
const (
	DefaultStoreDriver      = "sqlite"
	DefaultSQLitePath       = "warden.db"
	DefaultSecretsPath      = "secrets.json"
	DefaultVaultMount       = "secret"
	DefaultVaultPrefix      = "warden/"
	DefaultAzureKVPrefix    = "warden-"
	DefaultServerAddr       = "127.0.0.1:8080"
	DefaultSweepInterval    = 30 * time.Second
	DefaultLivenessInterval = 15 * time.Minute
	DefaultExpiryWarning    = 14 * 24 * time.Hour
	DefaultDailyAPIShare    = 0.05
	DefaultMinSeverity      = warden.SeverityMedium
	DefaultDelivery         = warden.DeliveryManual
)
