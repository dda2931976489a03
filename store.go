package warden

import (
	"context"
	"time"
)

// Store is everything Warden persists. The sqlite and postgres packages
// implement it; storetest holds the conformance suite both must pass.
//
// The methods of the services it embeds are its contract. Times come back
// in UTC, truncated to the microsecond; empty lists come back nil. A
// negative limit or retention is an EINVALID error. Errors name the
// method that failed.
type Store interface {
	OrgService
	UserService
	CredentialService
	DependentService
	HealthService
	FindingService
	RotationService
	RotationJobService
	DeliveryService
	AlertService
	StatusService
	DeclaredService
	AccessService
	ActivityService
	BrokerKeyService
	// Prune deletes history older than the retention allows: health
	// results checked, audit runs (with their findings) recorded and
	// rotation records written before now minus the matching retention.
	// A zero retention keeps that history; a zero now means the store's
	// current time. It reports how many rows it removed, counting each
	// health result, finding, audit run and rotation record.
	Prune(ctx context.Context, r Retention, now time.Time) (int, error)
	// Close releases the store. It is safe to call more than once.
	Close() error
}

// Retention says how long history is kept; zero keeps everything.
type Retention struct {
	Health    time.Duration `json:"health"`
	Findings  time.Duration `json:"findings"`
	Rotations time.Duration `json:"rotations"`
}
