package credential

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// Encode returns the secret-store value of m: a JSON object with the
// fields privateKey, clientSecret, refreshToken and password (empty ones
// left out), the form every secret store has held since Warden's first
// release. It fails (EINVALID) on a field that is not valid UTF-8, which
// JSON would silently alter.
func Encode(m warden.Material) ([]byte, error) {
	for _, f := range []struct{ name, v string }{{"privateKey", m.PrivateKey}, {"clientSecret", m.ClientSecret},
		{"refreshToken", m.RefreshToken}, {"password", m.Password}} {
		if !utf8.ValidString(f.v) {
			return nil, warden.Errorf(warden.EINVALID, "secret material: %s is not valid UTF-8", f.name)
		}
	}
	return json.Marshal(m)
}

// Decode reads a secret-store value written by Encode. Its error never
// quotes the value.
func Decode(value []byte) (warden.Material, error) {
	var m warden.Material
	if err := json.Unmarshal(value, &m); err != nil {
		return warden.Material{}, warden.Errorf(warden.EINVALID, "the secret is not Warden credential material (JSON)")
	}
	return m, nil
}

// Read returns the material of the version of ref.Key in the given stage
// of ss (ref.Store names ss in messages). A missing key or stage is the
// store's ENOTFOUND error; a value that is not material is EINVALID.
func Read(ctx context.Context, ss warden.SecretStore, ref warden.SecretRef, stage warden.Stage) (warden.Material, error) {
	s, err := ss.Get(ctx, ref.Key, stage)
	if err != nil {
		return warden.Material{}, err
	}
	m, err := Decode(s.Value)
	if err != nil {
		return m, warden.Errorf(warden.EINVALID, "secret %s/%s is not Warden credential material (JSON)", ref.Store, ref.Key)
	}
	return m, nil
}

// Write stores m as a new version of key in ss, in the given stage:
// warden.StageCurrent takes effect at once, warden.StagePending waits for
// the store's Promote (a rotation). Tags label the version.
func Write(ctx context.Context, ss warden.SecretStore, key string, m warden.Material, stage warden.Stage, tags map[string]string) (warden.SecretVersion, error) {
	b, err := Encode(m)
	if err != nil {
		return warden.SecretVersion{}, err
	}
	return ss.Put(ctx, key, b, stage, tags)
}
