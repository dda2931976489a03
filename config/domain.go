package config

import (
	"slices"

	"github.com/wardenhq/warden"
)

// The conversions below give the declared inventory as domain values, for
// applying to the inventory store on start. Timestamps and the facts
// learnt from Salesforce (org ids, instance URLs, user ids) are left zero:
// the store and the monitor own them.

// DomainOrgs returns the declared orgs.
func (c *Config) DomainOrgs() []*warden.Org {
	out := make([]*warden.Org, len(c.Orgs))
	for i, o := range c.Orgs {
		out[i] = &warden.Org{
			Name:                 o.Name,
			LoginURL:             o.LoginURL,
			MonitoringCredential: o.MonitoringCredential,
			DailyAPIShare:        o.DailyAPIShare,
			PasswordExpiresDays:  o.PasswordExpiresDays,
		}
	}
	return out
}

// DomainCredentials returns the declared credentials (references to their
// secrets, never the secrets).
func (c *Config) DomainCredentials() []*warden.Credential {
	out := make([]*warden.Credential, len(c.Credentials))
	for i, cr := range c.Credentials {
		out[i] = &warden.Credential{
			Name:         cr.Name,
			Org:          cr.Org,
			Kind:         warden.CredentialKind(cr.Kind),
			Username:     cr.Username,
			ClientID:     cr.ClientID,
			TwinUsername: cr.TwinUsername,
			TwinClientID: cr.TwinClientID,
			Secret:       warden.SecretRef{Store: cr.Secret.Store, Key: cr.Secret.Key},
		}
	}
	return out
}

// DomainUsers returns the declared integration users.
func (c *Config) DomainUsers() []*warden.IntegrationUser {
	out := make([]*warden.IntegrationUser, len(c.Users))
	for i, u := range c.Users {
		out[i] = &warden.IntegrationUser{
			Org:         u.Org,
			Username:    u.Username,
			Credential:  u.Credential,
			Owner:       u.Owner,
			Description: u.Description,
		}
	}
	return out
}

// DomainOwners returns the declared owner teams.
func (c *Config) DomainOwners() []*warden.Owner {
	out := make([]*warden.Owner, len(c.Owners))
	for i, o := range c.Owners {
		out[i] = &warden.Owner{Team: o.Team, Contacts: slices.Clone(o.Contacts)}
	}
	return out
}

// DomainDependents returns the declared dependent applications.
func (c *Config) DomainDependents() []*warden.Dependent {
	out := make([]*warden.Dependent, len(c.Dependents))
	for i, d := range c.Dependents {
		var objects []warden.ObjectAccess
		for _, a := range d.Objects {
			objects = append(objects, warden.ObjectAccess{Object: a.Object, Access: slices.Clone(a.Access)})
		}
		out[i] = &warden.Dependent{
			Name:     d.Name,
			Org:      d.Org,
			Username: d.Username,
			Owner:    d.Owner,
			Contact:  d.Contact,
			Delivery: warden.Delivery(d.Delivery),
			Objects:  objects,
			Target:   d.Target.domain(c, d.Delivery),
			Verify:   d.Verify.domain(),
		}
	}
	return out
}
