package rotation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/salesforce"
)

// step runs one step of jb and returns the dependent it concerned when it
// failed on one. Every step is idempotent: it checks what an interrupted
// earlier run already did.
func (e *Engine) step(ctx context.Context, jb *job, step string) (dep string, err error) {
	if jb.st.Mailbox {
		return "", e.mailboxStep(ctx, jb, step)
	}
	switch step {
	case StepTestCurrent:
		return "", e.testCurrent(ctx, jb)
	case StepCreate:
		return "", e.createPending(ctx, jb)
	case StepApply:
		return "", e.apply(ctx, jb)
	case StepCollectToken:
		return "", e.collectToken(ctx, jb)
	case StepTestNew:
		m, err := e.pending(ctx, jb)
		if err != nil {
			return "", err
		}
		if err := e.login(ctx, jb.cred, m); err != nil {
			return "", warden.Prefix("the new credential does not log in", err)
		}
		e.record(ctx, jb.j, StepTestNew, jb.st.PendingVersion, "the new credential logs in")
		return "", nil
	case StepDeliver:
		return e.deliver(ctx, jb)
	case StepVerify:
		return e.verify(ctx, jb)
	case StepPromote:
		return "", e.promote(ctx, jb)
	case StepRetire:
		return "", e.retire(ctx, jb)
	}
	return "", warden.Errorf(warden.EINTERNAL, "rotation %s: unknown step %q", jb.j.ID, step)
}

// secretStore returns the secret store of jb's credential.
func (e *Engine) secretStore(jb *job) (warden.SecretStore, error) {
	return e.cfg.Creds.SecretStore(jb.cred)
}

// current reads the credential's current material.
func (e *Engine) current(ctx context.Context, jb *job) (warden.Material, error) {
	ss, err := e.secretStore(jb)
	if err != nil {
		return warden.Material{}, err
	}
	return credential.Read(ctx, ss, jb.cred.Secret, warden.StageCurrent)
}

// previous reads the material the rotation started from (the old current
// version), whether or not it was promoted away since.
func (e *Engine) previous(ctx context.Context, jb *job) (warden.Material, error) {
	ss, err := e.secretStore(jb)
	if err != nil {
		return warden.Material{}, err
	}
	if jb.st.OldVersion == "" {
		return credential.Read(ctx, ss, jb.cred.Secret, warden.StageCurrent)
	}
	s, err := ss.GetVersion(ctx, jb.cred.Secret.Key, jb.st.OldVersion)
	if err != nil {
		return warden.Material{}, err
	}
	return credential.Decode(s.Value)
}

// pending reads the version the rotation wrote (by id, so that it is
// found after promotion too).
func (e *Engine) pending(ctx context.Context, jb *job) (warden.Material, error) {
	ss, err := e.secretStore(jb)
	if err != nil {
		return warden.Material{}, err
	}
	if jb.st.PendingVersion == "" {
		return warden.Material{}, warden.Errorf(warden.EINTERNAL, "rotation %s: no pending version recorded", jb.j.ID)
	}
	s, err := ss.GetVersion(ctx, jb.cred.Secret.Key, jb.st.PendingVersion)
	if err != nil {
		return warden.Material{}, err
	}
	return credential.Decode(s.Value)
}

// writePending writes m as the pending version and records its id.
func (e *Engine) writePending(ctx context.Context, jb *job, m warden.Material) error {
	v, err := e.cfg.Creds.PutMaterial(ctx, jb.cred, m, warden.StagePending)
	if err != nil {
		return err
	}
	jb.st.PendingVersion = v.Version
	return e.save(ctx, jb)
}

// login logs in once with m as credential c (a fresh login, no cached
// session) and revokes the token it got when the kind allows.
func (e *Engine) login(ctx context.Context, c *warden.Credential, m warden.Material) error {
	tok, client, err := e.authenticate(ctx, c, m)
	if err != nil {
		return err
	}
	if c.Kind != warden.CredentialPassword || c.ClientID != "" {
		_ = client.Revoke(ctx, tok.AccessToken)
	}
	return nil
}

// authenticate logs in with m as c and returns the token and org client.
func (e *Engine) authenticate(ctx context.Context, c *warden.Credential, m warden.Material) (*salesforce.Token, *salesforce.Client, error) {
	client, err := e.cfg.Creds.Client(ctx, c.Org)
	if err != nil {
		return nil, nil, err
	}
	auth, err := salesforce.NewAuthenticator(client, c, m, nil)
	if err != nil {
		return nil, nil, err
	}
	tok, err := auth.Authenticate(ctx)
	return tok, client, err
}

// session returns a session of c logging in with m.
func (e *Engine) session(ctx context.Context, c *warden.Credential, m warden.Material) (*salesforce.Session, error) {
	client, err := e.cfg.Creds.Client(ctx, c.Org)
	if err != nil {
		return nil, err
	}
	auth, err := salesforce.NewAuthenticator(client, c, m, nil)
	if err != nil {
		return nil, err
	}
	return salesforce.NewSession(client, auth), nil
}

// admin returns the session of the org's monitoring credential: the
// break-glass path, and the administrator that manages connected apps.
func (e *Engine) admin(ctx context.Context, jb *job) (*salesforce.Session, error) {
	if jb.org.MonitoringCredential == "" || jb.org.MonitoringCredential == jb.cred.Name {
		return nil, warden.Errorf(warden.EINVALID, "org %s has no monitoring credential other than %s to act as administrator", jb.org.Name, jb.cred.Name)
	}
	return e.cfg.Creds.Session(ctx, jb.org.MonitoringCredential)
}

// testCurrent answers the runbook's first question: does the current
// credential still log in? Yes: rotate with it (self-service). No: the
// break-glass path through the org's monitoring credential.
func (e *Engine) testCurrent(ctx context.Context, jb *job) error {
	ss, err := e.secretStore(jb)
	if err != nil {
		return err
	}
	cur, err := ss.Get(ctx, jb.cred.Secret.Key, warden.StageCurrent)
	if err != nil {
		return err
	}
	m, err := credential.Decode(cur.Value)
	if err != nil {
		return err
	}
	jb.st.OldVersion = cur.Version
	if jb.cred.HasTwin() {
		if err := e.checkTwin(ctx, jb, m); err != nil {
			return err
		}
	}
	lerr := e.login(ctx, jb.cred, m)
	switch {
	case lerr == nil:
		jb.j.Path = warden.PathSelfService
		e.record(ctx, jb.j, StepTestCurrent, cur.Version, "the current credential logs in: self-service rotation")
	case warden.ErrorKind(lerr) == warden.EUNAVAILABLE:
		return lerr // Salesforce is down: retry, do not conclude
	default:
		if _, aerr := e.admin(ctx, jb); aerr != nil {
			return warden.Errorf(warden.EUNAUTHORIZED, "the current credential does not log in (%s) and there is no break-glass path: %s",
				warden.ErrorMessage(lerr), warden.ErrorMessage(aerr))
		}
		jb.j.Path = warden.PathBreakGlass
		e.record(ctx, jb.j, StepTestCurrent, cur.Version, "the current credential does not log in ("+warden.ErrorMessage(lerr)+"): break-glass through monitoring credential "+jb.org.MonitoringCredential)
	}
	return e.save(ctx, jb)
}

// checkTwin prepares the rotation of a twin credential whose current
// material is m: the new material is for the idle twin, set through the
// org's monitoring credential, and every dependent must be able to move
// to it. It changes nothing when they cannot.
func (e *Engine) checkTwin(ctx context.Context, jb *job, m warden.Material) error {
	if _, err := e.admin(ctx, jb); err != nil {
		return warden.Errorf(warden.EINVALID, "a twin rotation sets up the idle twin through the org's monitoring credential: %s", warden.ErrorMessage(err))
	}
	for _, d := range jb.deps {
		if err := delivery.CarriesIdentity(d, jb.cred); err != nil {
			return err
		}
	}
	jb.st.Twin = true
	jb.st.TwinUsername, jb.st.TwinClientID = jb.cred.Twin(m)
	what := "user " + jb.st.TwinUsername + " (active: " + jb.cred.LoginUsername(m) + ")"
	if jb.cred.TwinClientID != "" {
		what = "connected app " + jb.st.TwinClientID + " (active: " + jb.cred.LoginClientID(m) + ")"
	}
	e.record(ctx, jb.j, StepTestCurrent, "", "twin credential: the new credential is for the idle "+what+
		"; the active one keeps working until the dependents have moved")
	return nil
}

// createPending makes the new material and writes it as the pending
// version, before Salesforce knows it.
func (e *Engine) createPending(ctx context.Context, jb *job) error {
	old, err := e.previous(ctx, jb)
	if err != nil {
		return err
	}
	var m warden.Material
	detail := ""
	switch jb.j.Kind {
	case warden.CredentialPassword:
		if jb.st.PendingVersion != "" {
			return nil // written; the password must not change once chosen
		}
		m = old
		m.Password = NewPassword()
		detail = "new password generated (24 characters: upper, lower, digits, symbols)"
		if jb.st.Twin {
			m.Username = jb.st.TwinUsername
			detail += " for idle twin " + m.Username
		}
	case warden.CredentialJWT:
		if jb.st.PendingVersion != "" {
			return nil
		}
		key, err := NewKey()
		if err != nil {
			return err
		}
		m = old
		m.PrivateKey = key
		detail = "new RSA 2048 key pair generated; the private key went straight into the secret store"
		if jb.st.Twin {
			m.ClientID = jb.st.TwinClientID
			detail += " (for idle twin app " + m.ClientID + ")"
		}
	case warden.CredentialClientCredentials:
		// Salesforce generates the secret: stage it (staging again
		// replaces an earlier staged secret, so this step is idempotent).
		s, err := e.admin(ctx, jb)
		if err != nil {
			return err
		}
		app, err := findApp(ctx, s, jb.cred.ClientID)
		if err != nil {
			return err
		}
		jb.st.AppID, jb.st.AppName = app.ID, app.Name
		staged, err := stageSecret(ctx, s, app)
		if err != nil {
			return err
		}
		jb.st.StagedID = staged.ID
		jb.st.Applying, jb.st.Applied = true, true
		m = old
		m.ClientSecret = staged.Secret
		detail = "new consumer secret staged on connected app " + app.Name + "; the old one keeps working until it is retired"
	}
	if err := e.writePending(ctx, jb, m); err != nil {
		return err
	}
	e.record(ctx, jb.j, StepCreate, jb.st.PendingVersion, detail)
	return nil
}

// apply makes Salesforce accept the new material.
func (e *Engine) apply(ctx context.Context, jb *job) error {
	switch jb.j.Kind {
	case warden.CredentialClientCredentials:
		e.record(ctx, jb.j, StepApply, jb.st.PendingVersion, "nothing to apply: the staged secret is accepted alongside the current one")
		return nil
	case warden.CredentialJWT:
		m, err := e.pending(ctx, jb)
		if err != nil {
			return err
		}
		s, err := e.admin(ctx, jb)
		if err != nil {
			return err
		}
		app, err := findApp(ctx, s, jb.cred.LoginClientID(m))
		if err != nil {
			return err
		}
		jb.st.AppID, jb.st.AppName = app.ID, app.Name
		jb.st.Applying = true
		if err := e.save(ctx, jb); err != nil {
			return err
		}
		cert, err := Certificate(m.PrivateKey, jb.cred.LoginUsername(m))
		if err != nil {
			return err
		}
		if err := installCertificate(ctx, e.cfg.HTTPClient, s, app.Name, cert); err != nil {
			return err
		}
		jb.st.Applied = true
		effect := "; dependents holding the old key fail until they receive the new one"
		if jb.st.Twin {
			effect = ", the idle twin; the dependents' app is unchanged and keeps working"
		}
		e.record(ctx, jb.j, StepApply, jb.st.PendingVersion, "new certificate installed on connected app "+app.Name+effect)
		return e.save(ctx, jb)
	}
	return e.applyPassword(ctx, jb)
}

// applyPassword sets the new password in Salesforce: as the user itself
// (self-service) or through the monitoring credential (break-glass).
// Setting it again after a crash is refused as a reused password, which
// proves the first call went through.
func (e *Engine) applyPassword(ctx context.Context, jb *job) error {
	if jb.st.Applied {
		return nil
	}
	m, err := e.pending(ctx, jb)
	if err != nil {
		return err
	}
	retry := jb.st.Applying
	jb.st.Applying = true
	if jb.st.MailSince.IsZero() {
		jb.st.MailSince = time.Now().UTC().Add(-time.Second)
	}
	if err := e.save(ctx, jb); err != nil {
		return err
	}
	var s *salesforce.Session
	var userID string
	if jb.st.Twin {
		// The idle twin's password is known to nobody (retired): the
		// administrator sets it.
		if s, err = e.admin(ctx, jb); err != nil {
			return err
		}
		if userID, err = e.userID(ctx, jb, s, m.Username); err != nil {
			return err
		}
	} else if jb.j.Path == warden.PathSelfService && !retry {
		old, err := e.previous(ctx, jb)
		if err != nil {
			return err
		}
		if s, err = e.session(ctx, jb.cred, old); err != nil {
			return err
		}
		tok, err := s.Token(ctx)
		if err != nil {
			return err
		}
		userID = tok.UserID
	} else {
		if s, err = e.admin(ctx, jb); err != nil {
			return err
		}
		if userID, err = e.userID(ctx, jb, s, jb.cred.Username); err != nil {
			return err
		}
	}
	jb.st.UserID = userID
	err = s.SetUserPassword(ctx, userID, m.Password)
	switch {
	case err == nil:
	case retry && isReuse(err):
		e.record(ctx, jb.j, StepApply, jb.st.PendingVersion, "Salesforce already has the new password (set before an interruption)")
	default:
		return err
	}
	jb.st.Applied = true
	switch {
	case err != nil:
	case jb.st.Twin:
		e.record(ctx, jb.j, StepApply, jb.st.PendingVersion, "the monitoring credential "+jb.org.MonitoringCredential+" set the password of idle twin "+
			m.Username+"; Salesforce e-mails it a new security token. The dependents' user is unchanged and keeps working")
	default:
		how := "the user changed its own password (self-service)"
		if jb.j.Path == warden.PathBreakGlass || retry {
			how = "the monitoring credential " + jb.org.MonitoringCredential + " set the password (break-glass)"
		}
		e.record(ctx, jb.j, StepApply, jb.st.PendingVersion, how+"; Salesforce issues a new security token by e-mail. "+
			"Dependents still on the old password fail until delivery")
	}
	return e.save(ctx, jb)
}

// isReuse reports whether err is Salesforce refusing a password it
// already has.
func isReuse(err error) bool {
	msg := strings.ToLower(warden.ErrorMessage(err))
	return strings.Contains(msg, "invalid_new_password") || strings.Contains(msg, "reuse")
}

// userID finds the Salesforce id of username, the user whose password
// the rotation sets.
func (e *Engine) userID(ctx context.Context, jb *job, s *salesforce.Session, username string) (string, error) {
	if jb.st.UserID != "" {
		return jb.st.UserID, nil
	}
	if jb.user != nil && jb.user.UserID != "" && strings.EqualFold(jb.user.Username, username) {
		return jb.user.UserID, nil
	}
	return findUserID(ctx, s, jb.org.Name, username)
}

// findUserID reads the Salesforce id of username in org through s.
func findUserID(ctx context.Context, s *salesforce.Session, org, username string) (string, error) {
	res, err := s.Query(ctx, "SELECT Id FROM User WHERE Username = "+salesforce.Quote(username), nil)
	if err != nil {
		return "", err
	}
	if len(res.Records) == 0 {
		return "", warden.Errorf(warden.ENOTFOUND, "user %s not found in org %s", username, org)
	}
	return res.Records[0].ID(), nil
}

// collectToken finds the new security token Salesforce e-mailed to the
// user's mailbox, appends it to the pending password and deletes the
// e-mail. Without a mailbox, or when no token e-mail arrives in time, a
// login with the password alone decides: when it works (a trusted IP
// range), no token is needed and that is recorded.
func (e *Engine) collectToken(ctx context.Context, jb *job) error {
	m, err := e.pending(ctx, jb)
	if err != nil {
		return err
	}
	if m.Password == "" {
		return warden.Errorf(warden.EINTERNAL, "rotation %s: pending version has no password", jb.j.ID)
	}
	if jb.st.NoToken || len(m.Password) > passwordLen {
		return nil // collected before an interruption
	}
	var waitErr error
	if e.cfg.Mailbox != nil {
		var mb warden.Mailbox
		var opts mailbox.ParseOptions
		if mb, opts, waitErr = e.cfg.Mailbox(ctx, jb.cred, jb.cred.LoginUsername(m)); waitErr == nil {
			wctx, cancel := context.WithTimeout(ctx, e.cfg.TokenWait)
			q := warden.MailQuery{Since: jb.st.MailSince.Add(-time.Second), Subject: "security token"}
			msg, sf, err := mailbox.Await(wctx, mb, q, opts, e.cfg.PollInterval, func(sf mailbox.SalesforceMail) bool { return sf.SecurityToken != "" })
			cancel()
			if err == nil {
				m.Password += sf.SecurityToken
				if err := e.writePending(ctx, jb, m); err != nil {
					return err
				}
				_ = mb.Delete(ctx, msg.ID) // a collected token does not linger in the mailbox
				e.record(ctx, jb.j, StepCollectToken, jb.st.PendingVersion, "security token collected from the mailbox (message "+msg.ID+" deleted)")
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			waitErr = warden.Prefix("waiting for the security token e-mail", err)
		}
	} else {
		waitErr = warden.Errorf(warden.EINVALID, "no mailbox is configured for %s", jb.cred.LoginUsername(m))
	}
	if !jb.st.TokenProbed {
		// One login without a token at most (failures count toward
		// lockout).
		jb.st.TokenProbed = true
		if err := e.save(ctx, jb); err != nil {
			return err
		}
		if e.login(ctx, jb.cred, m) == nil {
			jb.st.NoToken = true
			e.record(ctx, jb.j, StepCollectToken, jb.st.PendingVersion, "no security token needed: the password alone logs in (trusted IP range); "+warden.ErrorMessage(waitErr))
			return e.save(ctx, jb)
		}
	}
	return waitErr
}

// deliver gives the pending material to every dependent not yet done.
func (e *Engine) deliver(ctx context.Context, jb *job) (string, error) {
	m, err := e.pending(ctx, jb)
	if err != nil {
		return "", err
	}
	for _, d := range jb.deps {
		if slices.Contains(jb.st.Delivered, d.Name) {
			continue
		}
		if e.cfg.Deliverer == nil {
			return d.Name, warden.Errorf(warden.EINVALID, "no deliverer is configured")
		}
		rc, err := e.cfg.Deliverer.Deliver(ctx, d, jb.cred, m, jb.st.PendingVersion)
		if err != nil {
			return d.Name, err
		}
		jb.st.Delivered = append(jb.st.Delivered, d.Name)
		if err := e.save(ctx, jb); err != nil {
			return d.Name, err
		}
		detail := "delivered to " + d.Name + " (" + string(d.Delivery) + ")"
		if rc != nil && rc.Detail != "" {
			detail += ": " + rc.Detail
		}
		if rc != nil && rc.Pending {
			detail += "; waiting for the owner to confirm"
		}
		e.record(ctx, jb.j, StepDeliver, jb.st.PendingVersion, detail)
	}
	if len(jb.deps) == 0 {
		e.record(ctx, jb.j, StepDeliver, jb.st.PendingVersion, "no dependents to deliver to")
	}
	return "", nil
}

// verify proves every dependent works with the pending material.
func (e *Engine) verify(ctx context.Context, jb *job) (string, error) {
	m, err := e.pending(ctx, jb)
	if err != nil {
		return "", err
	}
	for _, d := range jb.deps {
		if slices.Contains(jb.st.Verified, d.Name) {
			continue
		}
		if err := e.cfg.Deliverer.Verify(ctx, d, jb.cred, m, jb.st.PendingVersion); err != nil {
			if d.Delivery == warden.DeliveryManual && errIs(err, warden.EUNAVAILABLE) {
				// A person must act: wait for the confirmation instead
				// of rolling back; warden serve looks again later.
				jb.j.NotBefore = time.Now().Add(ManualRecheck)
				if serr := e.save(ctx, jb); serr != nil {
					return d.Name, serr
				}
				e.record(ctx, jb.j, StepVerify, jb.st.PendingVersion, "waiting for the owner of "+d.Name+" to confirm the manual delivery")
				return d.Name, errWaiting
			}
			return d.Name, err
		}
		jb.st.Verified = append(jb.st.Verified, d.Name)
		if err := e.save(ctx, jb); err != nil {
			return d.Name, err
		}
		e.record(ctx, jb.j, StepVerify, jb.st.PendingVersion, d.Name+" works with the new credential")
	}
	return "", nil
}

// ManualRecheck is how long a rotation waits before it checks a manual
// dependent's confirmation again.
var ManualRecheck = 5 * time.Minute

// errWaiting says a step is waiting for a person; the job stays running.
var errWaiting = errors.New("waiting for a person")

// promote makes the pending version current (the old one previous).
func (e *Engine) promote(ctx context.Context, jb *job) error {
	ss, err := e.secretStore(jb)
	if err != nil {
		return err
	}
	if !jb.st.Promoted {
		err := ss.Promote(ctx, jb.cred.Secret.Key)
		if errIs(err, warden.ENOTFOUND) {
			cur, cerr := ss.Get(ctx, jb.cred.Secret.Key, warden.StageCurrent)
			if cerr != nil || cur.Version != jb.st.PendingVersion {
				return warden.Errorf(warden.EINTERNAL, "rotation %s: pending version %s vanished before promotion", jb.j.ID, jb.st.PendingVersion)
			}
			err = nil // promoted before an interruption
		}
		if err != nil {
			return err
		}
		jb.st.Promoted = true
		if err := e.save(ctx, jb); err != nil {
			return err
		}
	}
	c := *jb.cred
	c.RotatedAt = time.Now().UTC()
	if err := e.cfg.Store.UpsertCredential(ctx, &c); err != nil {
		return err
	}
	e.cfg.Creds.Forget(c.Name)
	detail := "version " + jb.st.PendingVersion + " is current; " + jb.st.OldVersion + " is previous"
	if jb.st.Twin {
		detail += "; the credential now logs in as twin " + cmp.Or(jb.st.TwinClientID, jb.st.TwinUsername)
	}
	e.record(ctx, jb.j, StepPromote, jb.st.PendingVersion, detail)
	return nil
}

// retire removes the old credential once the grace period is over.
func (e *Engine) retire(ctx context.Context, jb *job) error {
	if jb.st.Twin {
		return e.retireTwin(ctx, jb)
	}
	switch jb.j.Kind {
	case warden.CredentialClientCredentials:
		s, err := e.admin(ctx, jb)
		if err != nil {
			return err
		}
		if err := rotateStaged(ctx, s, jb.st.AppID, jb.st.StagedID); err != nil && !errIs(err, warden.ENOTFOUND) {
			return err
		}
		e.record(ctx, jb.j, StepRetire, jb.st.OldVersion, "old consumer secret revoked; the new one is the connected app's only secret")
	case warden.CredentialJWT:
		e.record(ctx, jb.j, StepRetire, jb.st.OldVersion, "old certificate removed from connected app "+jb.st.AppName+" (replaced at apply); the old key stays only as the previous secret version")
	default:
		e.record(ctx, jb.j, StepRetire, jb.st.OldVersion, "old password retired (Salesforce stopped accepting it at apply); kept only as the previous secret version")
	}
	return nil
}

// retireTwin makes the twin the dependents left unusable: its password
// (or its app's certificate) is replaced by a random one nobody keeps, so
// the old material, still in the dependents' old configurations and
// backups, stops working, and that twin is the idle one for the next
// rotation. Doing it again after a crash is harmless.
func (e *Engine) retireTwin(ctx context.Context, jb *job) error {
	old, err := e.previous(ctx, jb)
	if err != nil {
		return err
	}
	s, err := e.admin(ctx, jb)
	if err != nil {
		return err
	}
	if jb.j.Kind == warden.CredentialJWT {
		id := jb.cred.LoginClientID(old)
		app, err := findApp(ctx, s, id)
		if err != nil {
			return err
		}
		key, err := e.void()
		if err != nil {
			return err
		}
		cert, err := Certificate(key, jb.cred.LoginUsername(old))
		if err != nil {
			return err
		}
		if err := installCertificate(ctx, e.cfg.HTTPClient, s, app.Name, cert); err != nil {
			return err
		}
		e.record(ctx, jb.j, StepRetire, jb.st.OldVersion, "the certificate of connected app "+app.Name+" (the previous twin) was replaced by one whose key nobody holds: "+
			"the old private key no longer logs in, and "+app.Name+" is the idle twin for the next rotation")
		return nil
	}
	username := jb.cred.LoginUsername(old)
	id, err := findUserID(ctx, s, jb.org.Name, username)
	if err != nil {
		return err
	}
	if err := s.SetUserPassword(ctx, id, NewPassword()); err != nil {
		return err
	}
	e.record(ctx, jb.j, StepRetire, jb.st.OldVersion, "the password of "+username+" (the previous twin) was replaced by a random one nobody holds: "+
		"the old password no longer logs in, and "+username+" is the idle twin for the next rotation")
	return nil
}

// rollback undoes a failed rotation as far as the kind allows and ends
// the job; f is nil when resuming a rollback interrupted by a crash.
func (e *Engine) rollback(ctx context.Context, jb *job, f *failure) error {
	if f != nil {
		jb.st.FailedStep, jb.st.FailedDependent = f.step, f.dependent
		jb.j.Error = describe(f.step, f.dependent, f.err)
		e.record(ctx, jb.j, f.step, jb.st.PendingVersion, "failed: "+jb.j.Error)
	}
	if jb.st.Mailbox {
		return e.mailboxRollback(ctx, jb, f)
	}
	// A password Salesforce has accepted cannot be taken back: keep it
	// (a twin's can be dropped: the active twin was never changed).
	if jb.j.Kind == warden.CredentialPassword && jb.st.Applying && !jb.st.Twin {
		return e.keepPassword(ctx, jb, f)
	}
	jb.j.Step = StepRollback
	if err := e.save(ctx, jb); err != nil {
		return err
	}
	var problems []string
	// Salesforce first: the old credential must work again before the
	// dependents go back to it.
	switch {
	case jb.st.Twin && jb.st.Applying:
		e.record(ctx, jb.j, StepRollback, jb.st.OldVersion, "nothing to undo in Salesforce: the new credential was for the idle twin, and the active one was never changed")
	case jb.j.Kind == warden.CredentialClientCredentials && jb.st.StagedID != "":
		s, err := e.admin(ctx, jb)
		if err == nil {
			err = deleteStaged(ctx, s, jb.st.AppID, jb.st.StagedID)
		}
		if err != nil && !errIs(err, warden.ENOTFOUND) {
			problems = append(problems, "staged consumer secret not deleted: "+warden.ErrorMessage(err))
		} else {
			e.record(ctx, jb.j, StepRollback, jb.st.PendingVersion, "staged consumer secret deleted; the old one is the only secret")
		}
	case jb.j.Kind == warden.CredentialJWT && jb.st.Applying:
		old, err := e.previous(ctx, jb)
		var cert string
		if err == nil {
			cert, err = Certificate(old.PrivateKey, jb.cred.Username)
		}
		var s *salesforce.Session
		if err == nil {
			s, err = e.admin(ctx, jb)
		}
		if err == nil {
			err = installCertificate(ctx, e.cfg.HTTPClient, s, jb.st.AppName, cert)
		}
		if err != nil {
			problems = append(problems, "old certificate not reinstalled: "+warden.ErrorMessage(err))
		} else {
			e.record(ctx, jb.j, StepRollback, jb.st.OldVersion, "old certificate reinstalled on connected app "+jb.st.AppName)
		}
	}
	if len(problems) == 0 {
		old, err := e.previous(ctx, jb)
		for _, d := range jb.deps {
			if !slices.Contains(jb.st.Delivered, d.Name) || slices.Contains(jb.st.Restored, d.Name) {
				continue
			}
			if err == nil {
				err = e.cfg.Deliverer.Restore(ctx, d, jb.cred, old, jb.st.OldVersion)
			}
			if err != nil {
				problems = append(problems, d.Name+" not restored: "+warden.ErrorMessage(err))
				err = nil
				continue
			}
			jb.st.Restored = append(jb.st.Restored, d.Name)
			if err := e.save(ctx, jb); err != nil {
				return err
			}
			e.record(ctx, jb.j, StepRollback, jb.st.OldVersion, d.Name+" restored to the previous credential")
		}
	}
	if len(problems) > 0 {
		// Leave the job in rollback: the next run tries again; nothing
		// pending is dropped while something may still use it.
		if err := e.save(ctx, jb); err != nil {
			return err
		}
		msg := strings.Join(problems, "; ")
		e.record(ctx, jb.j, StepRollback, "", "incomplete, will be retried: "+msg)
		return warden.Errorf(warden.EUNAVAILABLE, "rotation %s: rollback incomplete: %s", jb.j.ID, msg)
	}
	if ss, err := e.secretStore(jb); err == nil {
		if cur, cerr := ss.Get(ctx, jb.cred.Secret.Key, warden.StagePending); cerr == nil && cur.Version == jb.st.PendingVersion {
			_ = ss.Discard(ctx, jb.cred.Secret.Key)
		}
	}
	jb.j.State, jb.j.Step = warden.RotationRolledBack, ""
	if err := e.save(ctx, jb); err != nil {
		return err
	}
	e.record(ctx, jb.j, "rolled_back", jb.st.OldVersion, "every dependent is on the previous credential, which works; "+jb.j.Error)
	e.notify(ctx, jb, fmt.Errorf("%s", jb.j.Error))
	return warden.Errorf(warden.ECONFLICT, "rotation %s rolled back: %s", jb.j.ID, jb.j.Error)
}

// keepPassword ends a password rotation that failed after Salesforce took
// the new password: the old one no longer works, so the new one stays.
// When the new one logs in it is promoted (dependents that verified keep
// working); otherwise it stays pending for a person to finish.
func (e *Engine) keepPassword(ctx context.Context, jb *job, f *failure) error {
	m, err := e.pending(ctx, jb)
	works := err == nil && jb.st.Applied && (jb.st.NoToken || len(m.Password) > passwordLen) && e.login(ctx, jb.cred, m) == nil
	if works && !jb.st.Promoted {
		if err := e.promote(ctx, jb); err != nil {
			works = false
		}
	}
	what := "the new password stays in pending version " + jb.st.PendingVersion + " (it does not log in yet: collect the security token by hand)"
	if works {
		what = "the new password works and is the current version; fix the failing dependent and deliver to it again"
	}
	cause := fmt.Errorf("%s", jb.j.Error)
	if f != nil {
		cause = f.err
	}
	if !strings.Contains(jb.j.Error, "cannot be restored") {
		jb.j.Error += "; Salesforce already has the new password, so the old one cannot be restored: " + what
	}
	jb.j.State, jb.j.Step = warden.RotationFailed, ""
	if err := e.save(ctx, jb); err != nil {
		return err
	}
	e.record(ctx, jb.j, "failed", jb.st.PendingVersion, jb.j.Error)
	e.notify(ctx, jb, cause)
	return cause
}
