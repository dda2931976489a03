package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// material reads a credential's secret material from its secret store.
func (e *env) material(ctx context.Context, c *warden.Credential) (warden.Material, error) {
	var m warden.Material
	ss := e.secrets[c.Secret.Store]
	if ss == nil {
		return m, warden.Errorf(warden.EINVALID, "credential %s: no secret store %q", c.Name, c.Secret.Store)
	}
	s, err := ss.Get(ctx, c.Secret.Key, warden.StageCurrent)
	if err != nil {
		return m, fmt.Errorf("credential %s: %w", c.Name, err)
	}
	if err := json.Unmarshal(s.Value, &m); err != nil {
		return m, warden.Errorf(warden.EINVALID, "credential %s: secret %s/%s is not Warden credential material (JSON)", c.Name, c.Secret.Store, c.Secret.Key)
	}
	return m, m.Check(c.Kind)
}

// putMaterial writes a credential's secret material as the current version.
func (e *env) putMaterial(ctx context.Context, c *warden.Credential, m warden.Material) error {
	ss := e.secrets[c.Secret.Store]
	if ss == nil {
		return warden.Errorf(warden.EINVALID, "credential %s: no secret store %q", c.Name, c.Secret.Store)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = ss.Put(ctx, c.Secret.Key, b, warden.StageCurrent, map[string]string{"credential": c.Name, "kind": string(c.Kind)})
	return err
}

// authenticator builds the Salesforce authenticator of a credential;
// rotated refresh tokens are persisted to the secret store before use.
func (e *env) authenticator(ctx context.Context, c *warden.Credential) (salesforce.Authenticator, error) {
	m, err := e.material(ctx, c)
	if err != nil {
		return nil, err
	}
	client := e.clients[c.Org]
	if client == nil {
		return nil, warden.Errorf(warden.EINVALID, "credential %s: unknown org %q", c.Name, c.Org)
	}
	onRotate := func(ctx context.Context, token string) error {
		m.RefreshToken = token
		return e.putMaterial(ctx, c, m)
	}
	return salesforce.NewAuthenticator(client, c, m, onRotate)
}

// session returns a session for a credential.
func (e *env) session(ctx context.Context, name string) (*salesforce.Session, error) {
	c, err := e.store.Credential(ctx, name)
	if err != nil {
		return nil, err
	}
	auth, err := e.authenticator(ctx, c)
	if err != nil {
		return nil, err
	}
	return salesforce.NewSession(e.clients[c.Org], auth), nil
}
