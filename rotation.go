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

// RotationState is where a rotation job stands.
type RotationState string

// Rotation states. A job is running (or waiting for its grace period)
// until it ends completed, rolled back, or failed with a credential that
// needs a person (its pending version is kept, never discarded).
const (
	RotationRunning    RotationState = "running"
	RotationCompleted  RotationState = "completed"
	RotationRolledBack RotationState = "rolled_back"
	RotationFailed     RotationState = "failed"
)

// Done reports whether the state is final.
func (s RotationState) Done() bool { return s != RotationRunning }

// Rotation paths: the runbook's first question answered.
const (
	// PathSelfService rotates with the credential itself (it still
	// works).
	PathSelfService = "self_service"
	// PathBreakGlass rotates through the org's monitoring (admin)
	// credential because the credential itself no longer works.
	PathBreakGlass = "break_glass"
)

// RotationJob is a durable, resumable credential rotation: a fixed list of
// idempotent steps for the credential's kind, the index of the next one,
// and the state the steps share (Data). The store holds it with a lease,
// so one worker at a time runs it and another resumes it after a crash.
// Its step history is kept as RotationRecords with the same RotationID.
type RotationJob struct {
	ID         string         `json:"id"`
	Credential string         `json:"credential"`
	Org        string         `json:"org"`
	Kind       CredentialKind `json:"kind"`
	State      RotationState  `json:"state"`
	// Step is the name of the next step to run ("" once done).
	Step string `json:"step"`
	// Trigger says who or what started the rotation (a CLI user, a
	// schedule, the demo).
	Trigger string `json:"trigger"`
	// Path is PathSelfService or PathBreakGlass once the first step ran.
	Path string `json:"path,omitempty"`
	// Error is the failure that ended or rolled back the rotation.
	Error string `json:"error,omitempty"`
	// Attempt counts the claims: more than one means it was resumed.
	Attempt int `json:"attempt"`
	// LeaseOwner and LeaseUntil say which worker runs the job until when.
	LeaseOwner string    `json:"leaseOwner,omitempty"`
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
	// NotBefore holds the job back until then (a grace period).
	NotBefore time.Time `json:"notBefore,omitzero"`
	// Data is the steps' shared state as JSON (versions, ids, progress);
	// never secret material, which lives in the secret store.
	Data      []byte    `json:"data,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// RotationJobFilter selects rotation jobs; zero fields match everything.
type RotationJobFilter struct {
	Credential string
	Org        string
	// Active keeps only running jobs.
	Active bool
}

// RotationJobService stores rotation jobs.
type RotationJobService interface {
	// CreateRotationJob stores a new job (ID, Credential, Org, Kind,
	// Step, Trigger required; State becomes running) and sets its
	// CreatedAt and UpdatedAt. A credential has at most one running job:
	// another is ECONFLICT.
	CreateRotationJob(ctx context.Context, j *RotationJob) error
	// RotationJob returns a job by id, or ENOTFOUND.
	RotationJob(ctx context.Context, id string) (*RotationJob, error)
	// RotationJobs returns the matching jobs, newest first; limit 0
	// returns all.
	RotationJobs(ctx context.Context, f RotationJobFilter, limit int) ([]*RotationJob, error)
	// ClaimRotationJob leases a running job to owner until now + lease
	// when it is unleased, its lease has expired, or owner already holds
	// it, counts the attempt, and returns the job. A job leased to another
	// owner is ECONFLICT; a finished one EINVALID.
	ClaimRotationJob(ctx context.Context, id, owner string, lease time.Duration) (*RotationJob, error)
	// SaveRotationJob writes j's Step, State, Path, Error, NotBefore and
	// Data and extends the lease by lease (a final state releases it). It
	// fails with ECONFLICT when j.LeaseOwner no longer holds the lease,
	// so a worker that lost its lease stops.
	SaveRotationJob(ctx context.Context, j *RotationJob, lease time.Duration) error
}
