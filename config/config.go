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
	"time"

	"github.com/wardenhq/warden"
)

// Config is a parsed and validated warden.yaml.
type Config struct {
	// Path is the file the configuration was read from; relative paths in
	// it are resolved against its directory.
	Path string `yaml:"-"`

	Store         Store          `yaml:"store"`
	Server        Server         `yaml:"server"`
	SecretStores  []SecretStore  `yaml:"secretStores"`
	Orgs          []Org          `yaml:"orgs"`
	Credentials   []Credential   `yaml:"credentials"`
	Users         []User         `yaml:"users"`
	Owners        []Owner        `yaml:"owners"`
	Dependents    []Dependent    `yaml:"dependents"`
	Notifications []Notification `yaml:"notifications"`
	Monitor       Monitor        `yaml:"monitor"`
}

// Store selects the inventory and history database.
type Store struct {
	// Driver is sqlite (default) or postgres.
	Driver string `yaml:"driver"`
	// Path is the SQLite file (default warden.db beside the config file).
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string (use ${ENV} for passwords).
	DSN string `yaml:"dsn"`
	// Retention of history; zero keeps everything.
	Retention Retention `yaml:"retention"`
}

// Retention bounds history, as durations such as 720h.
type Retention struct {
	Health    Duration `yaml:"health"`
	Findings  Duration `yaml:"findings"`
	Rotations Duration `yaml:"rotations"`
}

// Server configures warden serve's HTTP listener.
type Server struct {
	// Addr is the listen address (default 127.0.0.1:8080).
	Addr string `yaml:"addr"`
	// PublicURL is how people reach the dashboard, for links in alerts.
	PublicURL string `yaml:"publicUrl"`
}

// SecretStore is one secret backend.
type SecretStore struct {
	Name string `yaml:"name"`
	// Kind is local, vault or azurekv.
	Kind string `yaml:"kind"`
	// local: Path of the encrypted file (default secrets.json beside the
	// config) and the key-encryption key from KeyFile or KeyEnv.
	Path    string `yaml:"path"`
	KeyFile string `yaml:"keyFile"`
	KeyEnv  string `yaml:"keyEnv"`
	// vault: Address, Token (use ${VAULT_TOKEN}), Mount (default secret),
	// Prefix (default warden/).
	Address string `yaml:"address"`
	Token   string `yaml:"token"`
	Mount   string `yaml:"mount"`
	Prefix  string `yaml:"prefix"`
	// azurekv: VaultURL; credentials come from the Azure environment.
	VaultURL string `yaml:"vaultUrl"`
}

// Org is a Salesforce org to watch.
type Org struct {
	Name     string `yaml:"name"`
	LoginURL string `yaml:"loginUrl"`
	// MonitoringCredential names the credential Warden reads the org with.
	MonitoringCredential string  `yaml:"monitoringCredential"`
	DailyAPIShare        float64 `yaml:"dailyApiShare"`
}

// Credential is a way to log in; its secret stays in a secret store.
type Credential struct {
	Name     string `yaml:"name"`
	Org      string `yaml:"org"`
	Kind     string `yaml:"kind"`
	Username string `yaml:"username"`
	ClientID string `yaml:"clientId"`
	// Secret is where the private key, client secret, refresh token or
	// password + token lives: {store: NAME, key: KEY}.
	Secret SecretRef `yaml:"secret"`
}

// SecretRef locates a secret.
type SecretRef struct {
	Store string `yaml:"store"`
	Key   string `yaml:"key"`
}

// User is an integration user to watch.
type User struct {
	Org         string `yaml:"org"`
	Username    string `yaml:"username"`
	Credential  string `yaml:"credential"`
	Owner       string `yaml:"owner"`
	Description string `yaml:"description"`
}

// Owner is a team.
type Owner struct {
	Team     string   `yaml:"team"`
	Contacts []string `yaml:"contacts"`
}

// Dependent is an application that uses an integration user.
type Dependent struct {
	Name     string         `yaml:"name"`
	Org      string         `yaml:"org"`
	Username string         `yaml:"username"`
	Owner    string         `yaml:"owner"`
	Contact  string         `yaml:"contact"`
	Delivery string         `yaml:"delivery"`
	Objects  []ObjectAccess `yaml:"objects"`
}

// ObjectAccess is access an application needs to one object.
type ObjectAccess struct {
	Object string   `yaml:"object"`
	Access []string `yaml:"access"`
}

// Notification is an alert channel.
type Notification struct {
	Name string `yaml:"name"`
	// Kind is slack, teams, email, webhook or pagerduty.
	Kind string `yaml:"kind"`
	// URL is the webhook URL (slack, teams, webhook; use ${ENV}).
	URL string `yaml:"url"`
	// Secret signs webhook deliveries (HMAC-SHA256).
	Secret string `yaml:"secret"`
	// RoutingKey is the PagerDuty Events v2 integration key.
	RoutingKey string `yaml:"routingKey"`
	// E-mail: SMTP server and addresses.
	SMTPHost string   `yaml:"smtpHost"`
	SMTPPort int      `yaml:"smtpPort"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	// MinSeverity filters alerts (default medium).
	MinSeverity string `yaml:"minSeverity"`
	// Owners limits the channel to these teams' users and applications.
	Owners []string `yaml:"owners"`
}

// Monitor configures health checks.
type Monitor struct {
	// SweepInterval is how often each org's state is read (default 30s).
	SweepInterval Duration `yaml:"sweepInterval"`
	// LivenessInterval is how often each user's own credential is tried
	// (default 15m).
	LivenessInterval Duration `yaml:"livenessInterval"`
	// PasswordExpiryWarning is how early an expiring password degrades a
	// user (default 336h, 14 days).
	PasswordExpiryWarning Duration `yaml:"passwordExpiryWarning"`
	// DailyAPIShare is the default share of an org's daily API requests
	// Warden may use (default 0.05).
	DailyAPIShare float64 `yaml:"dailyApiShare"`
}

// Duration is a time.Duration written as "30s" or "720h".
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Defaults filled in by Load.
const (
	DefaultServerAddr       = "127.0.0.1:8080"
	DefaultSweepInterval    = 30 * time.Second
	DefaultLivenessInterval = 15 * time.Minute
	DefaultExpiryWarning    = 14 * 24 * time.Hour
	DefaultDailyAPIShare    = 0.05
	DefaultMinSeverity      = warden.SeverityMedium
)
