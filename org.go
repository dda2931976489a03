package warden

import (
	"context"
	"time"
)

// Org is a Salesforce org Warden watches.
type Org struct {
	// Name is Warden's name for the org, unique in the inventory ("acme-prod").
	Name string `json:"name"`
	// OrgID is Salesforce's 18-character organization id (00D...), learnt
	// when Warden first connects.
	OrgID string `json:"orgId,omitempty"`
	// LoginURL is where Warden authenticates: https://login.salesforce.com,
	// https://test.salesforce.com, a My Domain, or an emulator.
	LoginURL string `json:"loginUrl"`
	// InstanceURL is the org's API base URL, learnt at login.
	InstanceURL string `json:"instanceUrl,omitempty"`
	// MonitoringCredential names the credential Warden itself uses to read
	// the org's state. It is checked first, before the users it watches.
	MonitoringCredential string `json:"monitoringCredential,omitempty"`
	// DailyAPIShare is the largest fraction of the org's daily API requests
	// Warden may use (0 means the default, 0.05).
	DailyAPIShare float64   `json:"dailyApiShare,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// Validate reports the first problem with o, naming the field.
func (o *Org) Validate() error {
	switch {
	case o.Name == "":
		return Errorf(EINVALID, "org name: must not be empty")
	case !validName(o.Name):
		return Errorf(EINVALID, "org name %q: use letters, digits, '.', '_' and '-'", o.Name)
	case o.LoginURL == "":
		return Errorf(EINVALID, "org %s: loginUrl must not be empty", o.Name)
	case o.DailyAPIShare < 0 || o.DailyAPIShare > 1:
		return Errorf(EINVALID, "org %s: dailyApiShare %v must be between 0 and 1", o.Name, o.DailyAPIShare)
	}
	return nil
}

// validName reports whether s is a usable inventory name.
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

// OrgService stores orgs.
type OrgService interface {
	// UpsertOrg creates or replaces the org with o.Name. It keeps the
	// CreatedAt of an existing org, sets UpdatedAt to the store's current
	// time, and writes both back into o. An invalid org is an EINVALID
	// error.
	UpsertOrg(ctx context.Context, o *Org) error
	// Org returns the named org, or an ENOTFOUND error.
	Org(ctx context.Context, name string) (*Org, error)
	// Orgs returns every org ordered by name.
	Orgs(ctx context.Context) ([]*Org, error)
	// DeleteOrg removes an org with its users (and their statuses),
	// credentials and dependents, or returns an ENOTFOUND error. History
	// is kept until pruned.
	DeleteOrg(ctx context.Context, name string) error
}
