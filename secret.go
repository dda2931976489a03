package warden

import (
	"context"
	"time"
)

// Stage is the role of a secret version in a rotation.
type Stage string

// Stages. A rotation writes a pending version, verifies it, then promotes
// it: pending becomes current and current becomes previous.
const (
	StageCurrent  Stage = "current"
	StagePending  Stage = "pending"
	StagePrevious Stage = "previous"
)

// SecretVersion describes one version of a secret, without its value.
type SecretVersion struct {
	Key string `json:"key"`
	// Version is the backend's version id (a number for local and Vault, an
	// opaque id for Azure Key Vault).
	Version   string            `json:"version"`
	Stage     Stage             `json:"stage,omitempty"` // "" for older versions
	CreatedAt time.Time         `json:"createdAt"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Secret is a version with its value. Value must never be logged.
type Secret struct {
	SecretVersion
	Value []byte `json:"-"`
}

// SecretStore keeps versioned secrets. Implementations live under secret/
// and pass secret/secrettest's conformance suite.
type SecretStore interface {
	// Put writes a new version. With StageCurrent it becomes current at
	// once (the old current becomes previous); with StagePending it waits
	// for Promote, replacing any earlier pending version.
	Put(ctx context.Context, key string, value []byte, stage Stage, tags map[string]string) (SecretVersion, error)
	// Get returns the version in the given stage, or an ENOTFOUND error.
	Get(ctx context.Context, key string, stage Stage) (*Secret, error)
	// GetVersion returns a version by id, or an ENOTFOUND error.
	GetVersion(ctx context.Context, key, version string) (*Secret, error)
	// Versions lists a key's versions, newest first.
	Versions(ctx context.Context, key string) ([]SecretVersion, error)
	// Promote makes the pending version current and the current previous.
	// It fails with ENOTFOUND when nothing is pending.
	Promote(ctx context.Context, key string) error
	// Discard drops the pending version (a rotation's rollback).
	Discard(ctx context.Context, key string) error
	// Delete removes a key and all its versions.
	Delete(ctx context.Context, key string) error
}
