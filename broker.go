package warden

import (
	"context"
	"slices"
	"strings"
	"time"
)

// BrokerOperation is what a broker key may do.
type BrokerOperation string

// Broker operations.
const (
	// BrokerToken hands out access tokens (POST /broker/v1/token).
	BrokerToken BrokerOperation = "token"
	// BrokerProxy forwards REST calls (/broker/v1/proxy/...).
	BrokerProxy BrokerOperation = "proxy"
)

// Valid reports whether op is a known operation.
func (op BrokerOperation) Valid() bool { return op == BrokerToken || op == BrokerProxy }

// BrokerKey is an application's credential for Warden's token broker: it
// lets one dependent application ask for sessions of, or send API calls
// as, the integration users it names. The key itself is shown once when
// it is created; only its hash is stored.
type BrokerKey struct {
	// ID is the public part of the key, unique, used to list and revoke it.
	ID string `json:"id"`
	// Name describes the key (default: the dependent's name).
	Name string `json:"name,omitempty"`
	// Users are the usernames the key may act for.
	Users []string `json:"users"`
	// Operations are what the key may do.
	Operations []BrokerOperation `json:"operations"`
	// Dependent names the application that holds the key, for attribution.
	Dependent string `json:"dependent"`
	// Hash is the hex SHA-256 of the key's secret part. Never the key.
	Hash       string    `json:"-"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`  // zero: never
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"` // zero: never used
	RevokedAt  time.Time `json:"revokedAt,omitzero"`  // zero: not revoked
}

// Validate reports the first problem with k, naming the field.
func (k *BrokerKey) Validate() error {
	switch {
	case k.ID == "":
		return Errorf(EINVALID, "broker key: id must not be empty")
	case len(k.Users) == 0:
		return Errorf(EINVALID, "broker key %s: users must not be empty", k.ID)
	case len(k.Operations) == 0:
		return Errorf(EINVALID, "broker key %s: operations must not be empty", k.ID)
	case k.Dependent == "":
		return Errorf(EINVALID, "broker key %s: dependent must not be empty", k.ID)
	case len(k.Hash) != 64:
		return Errorf(EINVALID, "broker key %s: hash must be a hex SHA-256", k.ID)
	}
	for _, u := range k.Users {
		if u == "" {
			return Errorf(EINVALID, "broker key %s: a username is empty", k.ID)
		}
	}
	for _, op := range k.Operations {
		if !op.Valid() {
			return Errorf(EINVALID, "broker key %s: operation %q is not one of token, proxy", k.ID, op)
		}
	}
	return nil
}

// Allows reports whether k may perform op for username at time now: the
// key is neither revoked nor expired, and names both.
func (k *BrokerKey) Allows(op BrokerOperation, username string, now time.Time) bool {
	if !k.Active(now) || !slices.Contains(k.Operations, op) {
		return false
	}
	return slices.ContainsFunc(k.Users, func(u string) bool { return strings.EqualFold(u, username) })
}

// Active reports whether k is neither revoked nor expired at now.
func (k *BrokerKey) Active(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// BrokerKeyService stores broker keys.
type BrokerKeyService interface {
	// CreateBrokerKey stores a new key; an existing ID is ECONFLICT. It
	// sets CreatedAt to the store's current time and writes it into k.
	CreateBrokerKey(ctx context.Context, k *BrokerKey) error
	// BrokerKey returns the key with the given ID, or an ENOTFOUND error.
	BrokerKey(ctx context.Context, id string) (*BrokerKey, error)
	// BrokerKeys returns every key, revoked ones included, by ID.
	BrokerKeys(ctx context.Context) ([]*BrokerKey, error)
	// RevokeBrokerKey marks the key revoked at the given time (zero: now);
	// revoking a revoked key keeps its first revocation time. An unknown
	// ID is ENOTFOUND.
	RevokeBrokerKey(ctx context.Context, id string, at time.Time) error
	// TouchBrokerKey records that the key was used at the given time; a
	// time earlier than the recorded one changes nothing. An unknown ID
	// is ENOTFOUND.
	TouchBrokerKey(ctx context.Context, id string, at time.Time) error
}
