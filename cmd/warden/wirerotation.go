package main

import (
	"context"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/emulatormail"
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
			if !ok || ref.IsZero() {
				return nil, ref, warden.Errorf(warden.EINVALID, "credential %s: its mailbox has no account to rotate (set rotation.mailboxes[].account)", c.Name)
			}
			return pc, ref, nil
		},
	}), nil
}

// rotationMailbox opens the configured mailbox of username, the user of
// password credential c, and says where its account's password is kept
// (zero when not given).
func (e *env) rotationMailbox(ctx context.Context, c *warden.Credential, username string) (warden.Mailbox, mailbox.ParseOptions, warden.SecretRef, error) {
	for _, mc := range e.cfg.Rotation.Mailboxes {
		if mc.Credential != c.Name {
			continue
		}
		ref := warden.SecretRef{Store: mc.Account.Store, Key: mc.Account.Key}
		url := mc.URL
		if url == "" {
			o, err := e.store.Org(ctx, c.Org)
			if err != nil {
				return nil, mailbox.ParseOptions{}, ref, err
			}
			url = strings.TrimSuffix(o.LoginURL, "/")
		}
		mb, err := emulatormail.New(emulatormail.Options{URL: url, Username: username, HTTPClient: sharedHTTP})
		if err != nil {
			return nil, mailbox.ParseOptions{}, ref, err
		}
		return mb, mb.ParseOptions(), ref, nil
	}
	return nil, mailbox.ParseOptions{}, warden.SecretRef{}, warden.Errorf(warden.EINVALID,
		"credential %s needs a new security token and has no mailbox (add it under rotation.mailboxes)", c.Name)
}
