package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/internal/fileread"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/emulatormail"
	"github.com/wardenhq/warden/mailbox/graph"
	"github.com/wardenhq/warden/mailbox/imap"
	"github.com/wardenhq/warden/rotation"
)

// rotationOptions tune the engine a command builds.
type rotationOptions struct {
	// NoGrace retires the old credential at once (warden rotate --now).
	NoGrace bool
	// OnStep reports each step's outcome.
	OnStep func(j *warden.RotationJob, step string, err error)
}

// leaseEnv overrides rotation.lease (a duration such as "1s"): the kill
// tests use a short lease so that a killed process's rotation resumes at
// once.
const leaseEnv = "WARDEN_ROTATION_LEASE"

// rotationEngine builds the rotation engine of the environment: the
// delivery package's Deliverer for the dependents, the notification
// channels for the owners, and the configured mailboxes for security
// tokens.
func (m *Main) rotationEngine(e *env, o rotationOptions) (*rotation.Engine, error) {
	rc := e.cfg.Rotation
	lease := rc.Lease.OrDefault(config.DefaultRotationLease)
	if v := m.Getenv(leaseEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, warden.Errorf(warden.EINVALID, "%s: %q is not a positive duration", leaseEnv, v)
		}
		lease = d
	}
	grace := rc.Grace.OrDefault(config.DefaultRotationGrace)
	if o.NoGrace {
		grace = rotation.NoGrace
	}
	d, err := e.dispatcher()
	if err != nil {
		return nil, err
	}
	deliverer := delivery.New(delivery.Config{Secrets: e.secrets, Deliveries: e.store, Orgs: e.store, Sessions: e.creds,
		HTTPClient: sharedHTTP, Logger: e.logger})
	return rotation.New(rotation.Config{
		Store: e.store, Creds: e.creds, Deliverer: deliverer, HTTPClient: sharedHTTP, Lease: lease, Grace: grace,
		TokenWait: rc.TokenWait.OrDefault(config.DefaultRotationTokenWait), PollInterval: rc.PollInterval.OrDefault(config.DefaultRotationPoll),
		OnStep: o.OnStep, Logger: e.logger,
		Notify: func(ctx context.Context, a *warden.Alert) {
			if err := d.Dispatch(ctx, a).Err(); err != nil {
				e.logger.Warn("rotation notice not delivered", "key", a.Key, "err", warden.ErrorMessage(err))
			}
		},
		Mailbox: func(ctx context.Context, c *warden.Credential, username string) (warden.Mailbox, mailbox.ParseOptions, error) {
			mb, opts, _, err := e.rotationMailbox(ctx, c, username)
			return mb, opts, err
		},
		MailboxAccount: func(ctx context.Context, c *warden.Credential) (warden.PasswordChanger, warden.SecretRef, error) {
			mb, _, ref, err := e.rotationMailbox(ctx, c, c.Username)
			if err != nil {
				return nil, ref, err
			}
			pc, ok := mb.(warden.PasswordChanger)
			switch {
			case !ok:
				return nil, ref, warden.Errorf(warden.EINVALID, "credential %s: its mailbox has no account to rotate (an IMAP server cannot change a password; "+
					"a graph or emulator mailbox can, with rotation.mailboxes[].account)", c.Name)
			case ref.IsZero():
				return nil, ref, warden.Errorf(warden.EINVALID, "credential %s: its mailbox has no account to rotate (set rotation.mailboxes[].account)", c.Name)
			}
			return pc, ref, nil
		},
	}), nil
}

// rotationMailbox opens the configured mailbox of username, the user of
// password credential c (a twin credential has two users, each with its
// own mailbox), and says where its account's password is kept (zero when
// not given). The mailbox is the one of rotation.mailboxes whose
// credential is c's and whose username (default c.Username) is username,
// compared case-insensitively. Its secrets (an IMAP password, a Graph
// client secret) are read from the secret stores.
func (e *env) rotationMailbox(ctx context.Context, c *warden.Credential, username string) (warden.Mailbox, mailbox.ParseOptions, warden.SecretRef, error) {
	for i, mc := range e.cfg.Rotation.Mailboxes {
		user := mc.Username
		if user == "" {
			user = c.Username
		}
		if mc.Credential != c.Name || !strings.EqualFold(user, username) {
			continue
		}
		path := fmt.Sprintf("rotation.mailboxes[%d]", i)
		ref := warden.SecretRef{Store: mc.Account.Store, Key: mc.Account.Key}
		mb, opts, err := e.openMailbox(ctx, path, c, username, mc)
		if err != nil {
			return nil, mailbox.ParseOptions{}, ref, err
		}
		return mb, opts, ref, nil
	}
	of := ""
	if !strings.EqualFold(username, c.Username) {
		of = " for its user " + username
	}
	return nil, mailbox.ParseOptions{}, warden.SecretRef{}, warden.Errorf(warden.EINVALID,
		"credential %s needs a new security token and has no mailbox%s (add it under rotation.mailboxes)", c.Name, of)
}

// openMailbox builds the mailbox mc configures (at path in the
// configuration) for username, a user of credential c.
func (e *env) openMailbox(ctx context.Context, path string, c *warden.Credential, username string, mc config.RotationMailbox) (warden.Mailbox, mailbox.ParseOptions, error) {
	switch mc.Kind {
	case config.MailboxIMAP:
		password, err := e.secretValue(ctx, path+".password", mc.Password)
		if err != nil {
			return nil, mailbox.ParseOptions{}, err
		}
		var tc *tls.Config
		if mc.CAFile != "" {
			pem, err := fileread.Read(path+".caFile", e.cfg.Resolve(mc.CAFile), fileread.MaxKey)
			if err != nil {
				return nil, mailbox.ParseOptions{}, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, mailbox.ParseOptions{}, warden.Errorf(warden.EINVALID, "%s.caFile: %s holds no PEM certificate", path, mc.CAFile)
			}
			tc = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		mb, err := imap.New(imap.Options{Addr: mc.Addr, Security: imap.Security(mc.Security), Username: mc.Login, Password: password,
			Folder: mc.Folder, TLSConfig: tc})
		if err != nil {
			return nil, mailbox.ParseOptions{}, warden.Prefix(path, err)
		}
		return mb, mailbox.ParseOptions{}, nil
	case config.MailboxGraph:
		secret, err := e.secretValue(ctx, path+".clientSecret", mc.ClientSecret)
		if err != nil {
			return nil, mailbox.ParseOptions{}, err
		}
		mb, err := graph.New(graph.Options{Tenant: mc.Tenant, ClientID: mc.ClientID, ClientSecret: secret, User: mc.User,
			Folder: mc.Folder, AuthorityURL: mc.AuthorityURL, GraphURL: mc.GraphURL, HTTPClient: sharedHTTP})
		if err != nil {
			return nil, mailbox.ParseOptions{}, warden.Prefix(path, err)
		}
		return mb, mailbox.ParseOptions{}, nil
	case config.MailboxEmulator, "":
		url := mc.URL
		if url == "" {
			o, err := e.store.Org(ctx, c.Org)
			if err != nil {
				return nil, mailbox.ParseOptions{}, err
			}
			url = strings.TrimSuffix(o.LoginURL, "/")
		}
		mb, err := emulatormail.New(emulatormail.Options{URL: url, Username: username, HTTPClient: sharedHTTP})
		if err != nil {
			return nil, mailbox.ParseOptions{}, warden.Prefix(path, err)
		}
		return mb, mb.ParseOptions(), nil
	}
	return nil, mailbox.ParseOptions{}, warden.Errorf(warden.EINVALID, "%s.kind: %q is not emulator, imap or graph", path, mc.Kind)
}

// secretValue reads the current value of the secret that ref names (at path
// in the configuration) from its secret store: a password or client
// secret kept as it is, not as credential material.
func (e *env) secretValue(ctx context.Context, path string, ref config.SecretRef) (string, error) {
	ss, ok := e.secrets[ref.Store]
	if !ok {
		return "", warden.Errorf(warden.EINVALID, "%s: secret store %q not found", path, ref.Store)
	}
	s, err := ss.Get(ctx, ref.Key, warden.StageCurrent)
	if err != nil {
		return "", warden.Prefix(fmt.Sprintf("%s: secret %s/%s", path, ref.Store, ref.Key), err)
	}
	return string(s.Value), nil
}
