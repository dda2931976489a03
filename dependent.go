package warden

import (
	"context"
	"time"
)

// Delivery is how a dependent application receives its credentials.
type Delivery string

// Deliveries, from most to least automated.
const (
	DeliveryBroker      Delivery = "broker"       // asks Warden's broker for short-lived tokens
	DeliverySecretStore Delivery = "secret_store" // reads the secret store itself
	DeliveryWebhook     Delivery = "webhook"      // Warden pushes new credentials to an endpoint
	DeliveryFile        Delivery = "file"         // Warden renders its configuration file
	DeliveryCommand     Delivery = "command"      // Warden runs its reload or deploy command
	DeliveryManual      Delivery = "manual"       // a person copies credentials into its config
)

// Valid reports whether d is a known delivery.
func (d Delivery) Valid() bool {
	switch d {
	case DeliveryBroker, DeliverySecretStore, DeliveryWebhook, DeliveryFile, DeliveryCommand, DeliveryManual:
		return true
	}
	return false
}

// Owner is a team responsible for integration users or applications.
type Owner struct {
	Team string `json:"team"`
	// Contacts are where the team is told about problems: e-mail addresses,
	// or notification channel names from the configuration.
	Contacts []string `json:"contacts,omitempty"`
}

// ObjectAccess is access to one sObject that an application needs.
type ObjectAccess struct {
	Object string   `json:"object"`
	Access []string `json:"access"` // Read, Create, Edit, Delete, ViewAll, ModifyAll
}

// Dependent is an application that uses an integration user.
type Dependent struct {
	// Name is unique within the user's org.
	Name string `json:"name"`
	// Org and Username identify the integration user it uses.
	Org      string `json:"org"`
	Username string `json:"username"`
	// Owner is the owning team's name.
	Owner string `json:"owner,omitempty"`
	// Contact is how to reach the owner about this application.
	Contact  string   `json:"contact,omitempty"`
	Delivery Delivery `json:"delivery"`
	// Objects is the access the application needs; health checks and
	// policy audits verify the user still has (and has no more than) it.
	Objects []ObjectAccess `json:"objects,omitempty"`
	// Target is where Delivery sends credentials, and Verify how a
	// delivery is proven (delivery.go). Target is left out of the JSON
	// of a dependent (listings, the API): a webhook URL may hold a token.
	Target    DeliveryTarget `json:"-"`
	Verify    Verification   `json:"verify,omitzero"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
}

// Validate reports the first problem with d, naming the field.
func (d *Dependent) Validate() error {
	switch {
	case d.Name == "":
		return Errorf(EINVALID, "dependent: name must not be empty")
	case d.Org == "" || d.Username == "":
		return Errorf(EINVALID, "dependent %s: org and username must not be empty", d.Name)
	case d.Delivery != "" && !d.Delivery.Valid():
		return Errorf(EINVALID, "dependent %s: delivery %q is not one of broker, secret_store, webhook, file, command, manual", d.Name, d.Delivery)
	}
	return d.validateTarget()
}

// DependentFilter selects dependents; empty fields match everything.
type DependentFilter struct {
	Org      string
	Username string
	Owner    string
}

// DependentService stores dependents.
type DependentService interface {
	// UpsertDependent creates or replaces the dependent (d.Org, d.Name).
	// Its integration user must exist (ENOTFOUND otherwise). It keeps the
	// CreatedAt of an existing dependent, sets UpdatedAt to the store's
	// current time, and writes both back into d.
	UpsertDependent(ctx context.Context, d *Dependent) error
	// Dependents returns the matching dependents by org and name.
	Dependents(ctx context.Context, f DependentFilter) ([]*Dependent, error)
	// DeleteDependent removes the dependent (org, name), or returns an
	// ENOTFOUND error.
	DeleteDependent(ctx context.Context, org, name string) error
	// UpsertOwner creates or replaces the owner team o.Team.
	UpsertOwner(ctx context.Context, o *Owner) error
	// Owners returns every owner team by name.
	Owners(ctx context.Context) ([]*Owner, error)
	// DeleteOwner removes an owner team, or returns an ENOTFOUND error.
	// Users and dependents that name the team keep its name.
	DeleteOwner(ctx context.Context, team string) error
}
