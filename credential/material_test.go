package credential_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/secret/local"
)

// newSecretStore opens a local secret store in a temporary directory.
func newSecretStore(t *testing.T) *local.Store {
	t.Helper()
	raw := make([]byte, 32)
	rand.Read(raw)
	kek, err := local.NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(t.TempDir(), "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	return ss
}

// noSecretIn fails the test when text holds any secret of m.
func noSecretIn(t *testing.T, text string, m warden.Material) {
	t.Helper()
	for _, s := range m.Secrets() {
		if strings.Contains(text, s) {
			t.Errorf("%q holds a secret", text)
		}
	}
}

func TestCodecEveryKind(t *testing.T) {
	for _, tc := range []struct {
		kind warden.CredentialKind
		m    warden.Material
		// stored is the value as every Warden version wrote it.
		stored string
	}{
		{warden.CredentialJWT, warden.Material{PrivateKey: "-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----\n"},
			`{"privateKey":"-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----\n"}`},
		{warden.CredentialClientCredentials, warden.Material{ClientSecret: "cs-1"}, `{"clientSecret":"cs-1"}`},
		{warden.CredentialRefreshToken, warden.Material{ClientSecret: "cs-2", RefreshToken: "5Aep-rt"}, `{"clientSecret":"cs-2","refreshToken":"5Aep-rt"}`},
		{warden.CredentialPassword, warden.Material{Password: "pw+token"}, `{"password":"pw+token"}`},
		{warden.CredentialPassword, warden.Material{ClientSecret: "cs-3", Password: "pw+token"}, `{"clientSecret":"cs-3","password":"pw+token"}`},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			b, err := credential.Encode(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.stored {
				t.Errorf("Encode = %s; want %s", b, tc.stored)
			}
			got, err := credential.Decode([]byte(tc.stored))
			if err != nil || got != tc.m {
				t.Errorf("Decode(%s) = %v; want the material back", tc.stored, err)
			}
			if err := got.Check(tc.kind); err != nil {
				t.Errorf("Check(%s): %v", tc.kind, err)
			}
			// Through a secret store, in both stages.
			ss := newSecretStore(t)
			ref := warden.SecretRef{Store: "local", Key: "k"}
			if _, err := credential.Write(t.Context(), ss, ref.Key, tc.m, warden.StagePending, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := credential.Read(t.Context(), ss, ref, warden.StageCurrent); warden.ErrorKind(err) != warden.ENOTFOUND {
				t.Errorf("current before promote: %v; want ENOTFOUND", err)
			}
			if got, err := credential.Read(t.Context(), ss, ref, warden.StagePending); err != nil || got != tc.m {
				t.Errorf("Read pending: %v", err)
			}
			if err := ss.Promote(t.Context(), ref.Key); err != nil {
				t.Fatal(err)
			}
			if got, err := credential.Read(t.Context(), ss, ref, warden.StageCurrent); err != nil || got != tc.m {
				t.Errorf("Read current: %v", err)
			}
		})
	}
}

func TestCodecErrorsNameTheProblemNotTheSecret(t *testing.T) {
	const secret = "s3cr3t-Value-That-Must-Not-Leak"
	m := warden.Material{PrivateKey: secret, ClientSecret: secret, RefreshToken: secret, Password: secret}
	ss := newSecretStore(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		value string
		want  string
	}{
		{"not JSON", secret, "secret local/bad is not Warden credential material (JSON)"},
		{"JSON array", `["` + secret + `"]`, "secret local/bad is not Warden credential material (JSON)"},
		{"wrong type", `{"password":{"v":"` + secret + `"}}`, "secret local/bad is not Warden credential material (JSON)"},
	} {
		if _, err := ss.Put(ctx, "bad", []byte(tc.value), warden.StageCurrent, nil); err != nil {
			t.Fatal(err)
		}
		_, err := credential.Read(ctx, ss, warden.SecretRef{Store: "local", Key: "bad"}, warden.StageCurrent)
		if warden.ErrorKind(err) != warden.EINVALID || warden.ErrorMessage(err) != tc.want {
			t.Errorf("%s: %v; want EINVALID %q", tc.name, err, tc.want)
		}
		noSecretIn(t, fmt.Sprintf("%v %#v", err, err), m)
	}
	_, err := credential.Encode(warden.Material{ClientSecret: secret + "\xff"})
	if warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), "clientSecret is not valid UTF-8") {
		t.Errorf("Encode invalid UTF-8: %v", err)
	}
	noSecretIn(t, fmt.Sprintf("%v %#v", err, err), m)
}

func TestMaterialNamesTheMissingField(t *testing.T) {
	ss := newSecretStore(t)
	r := credential.NewRegistry(credential.Config{Secrets: map[string]warden.SecretStore{"local": ss}})
	const secret = "an0ther-s3cret-value"
	for _, tc := range []struct {
		kind    warden.CredentialKind
		m       warden.Material // has every field but the one needed
		missing string
	}{
		{warden.CredentialJWT, warden.Material{ClientSecret: secret, RefreshToken: secret, Password: secret}, "privateKey"},
		{warden.CredentialClientCredentials, warden.Material{PrivateKey: secret, RefreshToken: secret, Password: secret}, "clientSecret"},
		{warden.CredentialRefreshToken, warden.Material{PrivateKey: secret, ClientSecret: secret, Password: secret}, "refreshToken"},
		{warden.CredentialPassword, warden.Material{PrivateKey: secret, ClientSecret: secret, RefreshToken: secret}, "password"},
	} {
		c := &warden.Credential{Name: "c-" + string(tc.kind), Org: "acme", Kind: tc.kind, Secret: warden.SecretRef{Store: "local", Key: "c-" + string(tc.kind)}}
		if _, err := r.PutMaterial(t.Context(), c, tc.m, warden.StageCurrent); err != nil {
			t.Fatal(err)
		}
		_, err := r.Material(t.Context(), c)
		want := fmt.Sprintf("secret material for a %s credential lacks %s", tc.kind, tc.missing)
		if warden.ErrorKind(err) != warden.EINVALID || warden.ErrorMessage(err) != want {
			t.Errorf("%s: %v; want %q", tc.kind, err, want)
		}
		noSecretIn(t, fmt.Sprintf("%v %#v", err, err), tc.m)
		// The version is labelled with the credential, never the secret.
		vs, err := ss.Versions(t.Context(), c.Secret.Key)
		if err != nil || len(vs) != 1 || vs[0].Tags["credential"] != c.Name || vs[0].Tags["kind"] != string(tc.kind) {
			t.Errorf("%s: versions %+v, %v", tc.kind, vs, err)
		}
		b, _ := json.Marshal(vs)
		noSecretIn(t, string(b), tc.m)
	}

	// A missing key names the credential; an unknown store is EINVALID.
	c := &warden.Credential{Name: "gone", Org: "acme", Kind: warden.CredentialJWT, Secret: warden.SecretRef{Store: "local", Key: "gone"}}
	if _, err := r.Material(t.Context(), c); warden.ErrorKind(err) != warden.ENOTFOUND || !strings.HasPrefix(warden.ErrorMessage(err), "credential gone: ") {
		t.Errorf("missing key: %v", err)
	}
	c.Secret.Store = "vault"
	if _, err := r.Material(t.Context(), c); warden.ErrorKind(err) != warden.EINVALID || warden.ErrorMessage(err) != `credential gone: no secret store "vault"` {
		t.Errorf("unknown store: %v", err)
	}
}
