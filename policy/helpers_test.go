package policy

import (
	"crypto/rsa"
	"net/http"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/salesforce"
)

// demo starts the emulator with the demo seed and returns it with an
// admin session of Acme Corp.
func demo(t *testing.T) (*emulatortest.Emulator, *salesforce.Session, *rsa.PrivateKey) {
	t.Helper()
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Start(t, seed)
	return emu, adminSession(emu, key, "admin@acme.demo", "warden-demo-acme"), key
}

func adminSession(emu *emulatortest.Emulator, key *rsa.PrivateKey, user, clientID string) *salesforce.Session {
	c := salesforce.New(salesforce.Config{LoginURL: emu.URL, HTTPClient: &http.Client{}})
	return salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: salesforce.JWTGrant{ClientID: clientID, Username: user, Key: key}})
}

// demoSubjects are the Acme users of the demo with the needs the demo
// configuration declares.
func demoSubjects() []*Subject {
	dep := func(user, app string, objs ...warden.ObjectAccess) []*warden.Dependent {
		return []*warden.Dependent{{Name: app, Org: "acme", Username: user, Objects: objs}}
	}
	return []*Subject{
		{Org: "acme", Username: "invoice.sync@acme.demo", Credential: &warden.Credential{Name: "invoice", Kind: warden.CredentialRefreshToken, ClientID: "demo-acme-invoice-sync"},
			Dependents: dep("invoice.sync@acme.demo", "Invoice Sync", warden.ObjectAccess{Object: "Account", Access: []string{"Read"}},
				warden.ObjectAccess{Object: "Invoice__c", Access: []string{"Read", "Create", "Edit"}})},
		{Org: "acme", Username: "gis.legacy@acme.demo", Credential: &warden.Credential{Name: "gis", Kind: warden.CredentialPassword, ClientID: "demo-acme-gis-sync"},
			Dependents: dep("gis.legacy@acme.demo", "GIS Sync", warden.ObjectAccess{Object: "Account", Access: []string{"Read", "Edit"}})},
	}
}
