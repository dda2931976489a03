package warden

import (
	"context"
	"time"
)

// IntegrationUser is a Salesforce user that an application, not a person,
// logs in as.
type IntegrationUser struct {
	// Org is the Name of the org the user belongs to.
	Org string `json:"org"`
	// Username is the Salesforce username (unique across Salesforce).
	Username string `json:"username"`
	// UserID is the Salesforce user id (005...), when known.
	UserID string `json:"userId,omitempty"`
	// Credential names the credential the user's applications log in with.
	Credential string `json:"credential,omitempty"`
	// Owner is the team responsible for the user.
	Owner string `json:"owner,omitempty"`
	// Description says what the user is for.
	Description string `json:"description,omitempty"`
	// Reasons say why discovery considers this an integration user.
	Reasons   []string  `json:"reasons,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Validate reports the first problem with u, naming the field.
func (u *IntegrationUser) Validate() error {
	switch {
	case u.Org == "":
		return Errorf(EINVALID, "user %s: org must not be empty", u.Username)
	case u.Username == "":
		return Errorf(EINVALID, "user: username must not be empty")
	}
	return nil
}

// UserFilter selects integration users; empty fields match everything.
type UserFilter struct {
	Org   string
	Owner string
}

// UserService stores integration users.
type UserService interface {
	// UpsertUser creates or replaces the user with (u.Org, u.Username).
	// The org must exist (an ENOTFOUND error names it otherwise). It keeps
	// the CreatedAt of an existing user, sets UpdatedAt to the store's
	// current time, and writes both back into u.
	UpsertUser(ctx context.Context, u *IntegrationUser) error
	// User returns one user, or an ENOTFOUND error.
	User(ctx context.Context, org, username string) (*IntegrationUser, error)
	// Users returns the matching users ordered by org and username.
	Users(ctx context.Context, f UserFilter) ([]*IntegrationUser, error)
	// DeleteUser removes a user with its dependents and its status, or
	// returns an ENOTFOUND error. Its credentials and history are kept.
	DeleteUser(ctx context.Context, org, username string) error
}
