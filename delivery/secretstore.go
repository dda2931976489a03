package delivery

import (
	"context"
	"fmt"
	"slices"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/secret"
)

// secretStore writes j's material to the dependent's secret-store path as
// the current version, unless that path already holds it. A dependent
// without a path of its own reads the credential's secret, which the
// rotation stages and promotes: nothing is written then.
func (d *Deliverer) secretStore(ctx context.Context, j *job) (string, error) {
	t := j.dep.Target.Secret
	if t == nil || (t.Store == j.cred.Secret.Store && t.Key == j.cred.Secret.Key && t.Field == "") {
		ref := j.cred.Secret
		if j.action == warden.ActionRestore {
			return fmt.Sprintf("reads %s/%s: the rotation keeps version %s current", ref.Store, ref.Key, j.version), nil
		}
		return fmt.Sprintf("reads %s/%s: version %s is current once the rotation promotes it", ref.Store, ref.Key, j.version), nil
	}
	where := t.Store + "/" + t.Key
	if t.Field != "" {
		where += " (" + t.Field + ")"
	}
	fail := func(what string, err error) error {
		return warden.Prefix(fmt.Sprintf("delivery to %s: secret %s: %s", j.dep.Name, where, what), err)
	}
	ss := d.cfg.Secrets[t.Store]
	if ss == nil {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: no secret store %q", j.dep.Name, t.Store)
	}
	value, err := secretValue(j, t.Field)
	if err != nil {
		return "", err
	}
	cur, err := ss.Get(ctx, t.Key, warden.StageCurrent)
	switch {
	case err == nil && secret.Equal(cur.Value, value):
		return where, nil // already there
	case err != nil && warden.ErrorKind(err) != warden.ENOTFOUND:
		return "", fail("reading it", err)
	}
	tags := map[string]string{"credential": j.cred.Name, "version": j.version, "action": j.action}
	if _, err := ss.Put(ctx, t.Key, value, warden.StageCurrent, tags); err != nil {
		return "", fail("writing it", err)
	}
	return where, nil
}

// secretValue is what a secret-store target holds: the material as Warden
// stores it, or one field's raw value.
func secretValue(j *job, field string) ([]byte, error) {
	if field == "" {
		m := j.m
		if j.cred.HasTwin() {
			// Say which twin, so the application logs in as the right one.
			m.Username, m.ClientID = j.cred.LoginUsername(m), j.cred.LoginClientID(m)
		}
		return credential.Encode(m)
	}
	if !isSecretField(field) {
		return nil, warden.Errorf(warden.EINVALID, "delivery to %s: field %q is not one of password, privateKey, clientSecret, refreshToken", j.dep.Name, field)
	}
	v := j.values()[field]
	if v == "" {
		return nil, warden.Errorf(warden.EINVALID, "delivery to %s: credential %s has no %s", j.dep.Name, j.cred.Name, field)
	}
	return []byte(v), nil
}

func isSecretField(f string) bool { return slices.Contains(secretFields, f) }
