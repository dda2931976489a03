package main

import (
	"context"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/salesforce"
)

// newRegistry builds the credential registry of e: the inventory in the
// store, the configured secret stores, one connection pool.
func (e *env) newRegistry() *credential.Registry {
	return credential.NewRegistry(credential.Config{Orgs: e.store, Credentials: e.store, Secrets: e.secrets,
		HTTPClient: sharedHTTP, UserAgent: "warden/" + Version, Logger: e.logger})
}

// material reads a credential's current secret material.
func (e *env) material(ctx context.Context, c *warden.Credential) (warden.Material, error) {
	return e.creds.Material(ctx, c)
}

// authenticator builds a fresh Salesforce authenticator of a credential;
// rotated refresh tokens are persisted to the secret store before use.
func (e *env) authenticator(ctx context.Context, c *warden.Credential) (salesforce.Authenticator, error) {
	return e.creds.Authenticator(ctx, c)
}

// session returns the shared session of a credential.
func (e *env) session(ctx context.Context, name string) (*salesforce.Session, error) {
	return e.creds.Session(ctx, name)
}
