package config

import (
	"fmt"
	"time"
)

// Rotation configures credential rotation (warden rotate, and the
// schedules warden serve runs).
type Rotation struct {
	// Lease is how long a worker holds a rotation without renewing it; a
	// crashed worker's rotation resumes after it (default 2m).
	Lease Duration `yaml:"lease,omitempty"`
	// Grace is how long the old credential stays valid after the new one
	// is promoted, before it is retired (default 24h; "0s" is not
	// allowed here, use warden rotate --now).
	Grace Duration `yaml:"grace,omitempty"`
	// TokenWait bounds the wait for a security token e-mail (default 10m).
	TokenWait Duration `yaml:"tokenWait,omitempty"`
	// PollInterval is how often a mailbox is polled for the token e-mail
	// (default 5s).
	PollInterval Duration `yaml:"pollInterval,omitempty"`
	// Mailboxes say where the Salesforce e-mails of password credentials
	// arrive.
	Mailboxes []RotationMailbox `yaml:"mailboxes,omitempty"`
	// Schedules rotate credentials periodically.
	Schedules []RotationSchedule `yaml:"schedules,omitempty"`
}

// RotationMailbox is the mailbox of one password credential's user.
type RotationMailbox struct {
	// Credential names the password credential.
	Credential string `yaml:"credential,omitempty"`
	// Kind is emulator: the Salesforce emulator's own mailbox, at URL
	// (default: the org's login URL).
	Kind string `yaml:"kind,omitempty"`
	URL  string `yaml:"url,omitempty"`
	// Account is where the mailbox account's own password is kept
	// (warden rotate USER --mailbox rotates it); optional.
	Account SecretRef `yaml:"account,omitempty"`
}

// RotationSchedule rotates one credential every Every; owners are warned
// WarnBefore ahead (default 72h).
type RotationSchedule struct {
	Credential string   `yaml:"credential,omitempty"`
	Every      Duration `yaml:"every,omitempty"`
	WarnBefore Duration `yaml:"warnBefore,omitempty"`
}

// Rotation defaults.
const (
	DefaultRotationLease      = 2 * time.Minute
	DefaultRotationGrace      = 24 * time.Hour
	DefaultRotationTokenWait  = 10 * time.Minute
	DefaultRotationPoll       = 5 * time.Second
	DefaultRotationWarnBefore = 72 * time.Hour
)

// rotation fills the rotation defaults and checks the section.
func (v *validator) rotation() {
	r := &v.c.Rotation
	// Defaults are applied where the values are used (OrDefault), so a
	// configuration without a rotation section reads back unchanged.
	for _, d := range []struct {
		path string
		d    Duration
	}{{"rotation.lease", r.Lease}, {"rotation.grace", r.Grace}, {"rotation.tokenWait", r.TokenWait}} {
		if d.d != 0 && d.d.D() < time.Second {
			v.add(d.path, "must be at least 1s, got %s", d.d)
		}
	}
	seen := map[string]string{}
	for i := range r.Mailboxes {
		p := fmt.Sprintf("rotation.mailboxes[%d]", i)
		m := &r.Mailboxes[i]
		v.register(seen, p+".credential", "mailbox credential", m.Credential, false)
		if m.Kind == "" {
			m.Kind = "emulator"
		}
		v.oneOf(p+".kind", m.Kind, []string{"emulator"})
		if (m.Account.Store == "") != (m.Account.Key == "") {
			v.add(p+".account", "needs both store and key")
		} else if m.Account.Store != "" {
			if _, ok := v.stores[m.Account.Store]; !ok {
				v.add(p+".account.store", "%q is not a declared secret store", m.Account.Store)
			}
		}
	}
	scheduled := map[string]string{}
	for i := range r.Schedules {
		p := fmt.Sprintf("rotation.schedules[%d]", i)
		s := &r.Schedules[i]
		v.register(scheduled, p+".credential", "scheduled credential", s.Credential, false)
		switch {
		case s.Every == 0:
			v.add(p+".every", "is required")
		case s.Every.D() < time.Hour:
			v.add(p+".every", "must be at least 1h, got %s", s.Every)
		}
	}
}

// OrDefault returns d, or def when d is zero.
func (d Duration) OrDefault(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d.D()
}
