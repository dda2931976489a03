package warden

import (
	"context"
	"time"
)

// Store is everything Warden persists. The sqlite and postgres packages
// implement it; storetest holds the conformance suite both must pass.
type Store interface {
	OrgService
	UserService
	CredentialService
	DependentService
	HealthService
	FindingService
	RotationService
	DeclaredService
	// Prune deletes history older than the retention allows and reports
	// how many rows it removed.
	Prune(ctx context.Context, r Retention, now time.Time) (int, error)
	Close() error
}

// Retention says how long history is kept; zero keeps everything.
type Retention struct {
	Health    time.Duration `json:"health"`
	Findings  time.Duration `json:"findings"`
	Rotations time.Duration `json:"rotations"`
}
