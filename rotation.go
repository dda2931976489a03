package warden

import (
	"context"
	"time"
)

// RotationRecord is one step of a credential rotation. Records are
// appended, so an interrupted rotation can be resumed from its last step.
type RotationRecord struct {
	ID         int64  `json:"id"`
	RotationID string `json:"rotationId"`
	Credential string `json:"credential"`
	// Step is the stage reached: started, staged, verified, propagated,
	// promoted, completed, rolled_back or failed.
	Step string `json:"step"`
	// SecretVersion is the secret-store version the step concerns.
	SecretVersion string    `json:"secretVersion,omitempty"`
	Detail        string    `json:"detail,omitempty"`
	At            time.Time `json:"at"`
}

// RotationService stores rotation history.
type RotationService interface {
	// AppendRotation records one step of a credential rotation and sets
	// its ID. A zero At becomes the store's current time; At is written
	// back in UTC, truncated to microseconds.
	AppendRotation(ctx context.Context, r *RotationRecord) error
	// Rotations returns the records of a credential ("" for all), newest
	// first (by At, then ID); limit 0 returns all.
	Rotations(ctx context.Context, credential string, limit int) ([]*RotationRecord, error)
}
