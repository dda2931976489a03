package rotation

import (
	"context"
	"fmt"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
)

// MailboxSteps are the steps of a mailbox account rotation: the runbook's
// "yes" branch, where the Salesforce password still works and only the
// integration user's mailbox account gets a new password, kept in the
// secret store.
var MailboxSteps = []string{StepTestCurrent, StepCreate, StepApply, StepPromote}

// StartMailbox creates a rotation of the mailbox account of the named
// password credential's user, without running it (Run runs it). The
// credential's own rotation and this one exclude each other.
func (e *Engine) StartMailbox(ctx context.Context, credName, trigger string) (*warden.RotationJob, error) {
	if e.cfg.MailboxAccount == nil {
		return nil, warden.Errorf(warden.EINVALID, "no mailbox accounts are configured")
	}
	c, err := e.cfg.Store.Credential(ctx, credName)
	if err != nil {
		return nil, err
	}
	if c.Kind != warden.CredentialPassword {
		return nil, warden.Errorf(warden.EINVALID, "credential %s is %s: only password credentials have a mailbox account to rotate", c.Name, c.Kind)
	}
	_, ref, err := e.cfg.MailboxAccount(ctx, c)
	if err != nil {
		return nil, err
	}
	data, err := jsonState(state{Mailbox: true, Account: ref})
	if err != nil {
		return nil, err
	}
	j := &warden.RotationJob{ID: "rot-" + time.Now().UTC().Format("20060102-150405") + "-" + randHex(3), Credential: c.Name, Org: c.Org,
		Kind: c.Kind, Step: MailboxSteps[0], Trigger: trigger, Data: data}
	if err := e.cfg.Store.CreateRotationJob(ctx, j); err != nil {
		return nil, err
	}
	e.record(ctx, j, "started", "", "mailbox account of "+c.Username+", triggered by "+trigger)
	return j, nil
}

// accountStore returns the secret store of the mailbox account's password.
func (e *Engine) accountStore(jb *job) (warden.SecretStore, error) {
	return e.cfg.Creds.SecretStore(&warden.Credential{Name: jb.cred.Name + " (mailbox account)", Secret: jb.st.Account})
}

// mailboxStep runs one step of a mailbox account rotation.
func (e *Engine) mailboxStep(ctx context.Context, jb *job, step string) error {
	ss, err := e.accountStore(jb)
	if err != nil {
		return err
	}
	key := jb.st.Account.Key
	switch step {
	case StepTestCurrent:
		m, err := e.current(ctx, jb)
		if err == nil {
			err = e.login(ctx, jb.cred, m)
		}
		if err != nil {
			if warden.ErrorKind(err) == warden.EUNAVAILABLE {
				return err
			}
			return warden.Errorf(warden.EINVALID, "the Salesforce credential no longer logs in (%s): rotate the credential itself (warden rotate %s), which breaks glass", warden.ErrorMessage(err), jb.cred.Username)
		}
		jb.j.Path = warden.PathSelfService
		e.record(ctx, jb.j, step, "", "the Salesforce password still works: only the mailbox account gets a new password")
		return e.save(ctx, jb)
	case StepCreate:
		if jb.st.PendingVersion != "" {
			return nil
		}
		v, err := credential.Write(ctx, ss, key, warden.Material{Password: NewPassword()}, warden.StagePending,
			map[string]string{"credential": jb.cred.Name, "kind": "mailbox_account"})
		if err != nil {
			return err
		}
		jb.st.PendingVersion = v.Version
		if err := e.save(ctx, jb); err != nil {
			return err
		}
		e.record(ctx, jb.j, step, v.Version, "new mailbox password generated into "+jb.st.Account.Store+"/"+key+" (pending)")
		return nil
	case StepApply:
		s, err := ss.GetVersion(ctx, key, jb.st.PendingVersion)
		if err != nil {
			return err
		}
		m, err := credential.Decode(s.Value)
		if err != nil {
			return err
		}
		changer, _, err := e.cfg.MailboxAccount(ctx, jb.cred)
		if err != nil {
			return err
		}
		jb.st.Applying = true
		if err := e.save(ctx, jb); err != nil {
			return err
		}
		if err := changer.ChangePassword(ctx, m.Password); err != nil {
			return err
		}
		jb.st.Applied = true
		e.record(ctx, jb.j, step, jb.st.PendingVersion, "the mailbox provider changed the account's password")
		return e.save(ctx, jb)
	case StepPromote:
		if err := ss.Promote(ctx, key); err != nil {
			cur, cerr := ss.Get(ctx, key, warden.StageCurrent)
			if !errIs(err, warden.ENOTFOUND) || cerr != nil || cur.Version != jb.st.PendingVersion {
				return err
			}
		}
		jb.st.Promoted = true
		e.record(ctx, jb.j, step, jb.st.PendingVersion, "the new mailbox password is current in "+jb.st.Account.Store+"/"+key)
		return e.save(ctx, jb)
	}
	return warden.Errorf(warden.EINTERNAL, "rotation %s: unknown mailbox step %q", jb.j.ID, step)
}

// mailboxRollback ends a failed mailbox account rotation: before the
// provider changed the password the pending one is dropped (rolled back);
// after, the new password is the account's, so it is promoted and the job
// fails, naming what failed.
func (e *Engine) mailboxRollback(ctx context.Context, jb *job, f *failure) error {
	cause := fmt.Errorf("%s", jb.j.Error)
	if f != nil {
		cause = f.err
	}
	ss, err := e.accountStore(jb)
	if err != nil {
		return err
	}
	if jb.st.Applying {
		if !jb.st.Promoted {
			_ = ss.Promote(ctx, jb.st.Account.Key)
		}
		jb.j.Error += "; the mailbox provider may already have the new password, so it was kept as the current version"
		jb.j.State, jb.j.Step = warden.RotationFailed, ""
	} else {
		if jb.st.PendingVersion != "" {
			if p, err := ss.Get(ctx, jb.st.Account.Key, warden.StagePending); err == nil && p.Version == jb.st.PendingVersion {
				_ = ss.Discard(ctx, jb.st.Account.Key)
			}
		}
		jb.j.State, jb.j.Step = warden.RotationRolledBack, ""
	}
	if err := e.save(ctx, jb); err != nil {
		return err
	}
	e.record(ctx, jb.j, string(jb.j.State), jb.st.PendingVersion, jb.j.Error)
	e.notify(ctx, jb, cause)
	return cause
}
