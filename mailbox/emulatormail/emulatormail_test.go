package emulatormail_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/emulatormail"
	"github.com/wardenhq/warden/mailbox/mailboxtest"
)

const (
	username = "billing@acme.test"
	email    = "billing-int@acme.test"
)

// start runs an emulator whose clock stands a day in the past until the
// control API moves it, so deliveries land at exact times.
func start(t *testing.T) string {
	t.Helper()
	epoch := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	seed := &emulator.Seed{Orgs: []emulator.SeedOrg{{Name: "Acme", Profiles: []emulator.SeedProfile{
		{Name: "Minimum Access - API Only Integrations", UserLicense: "Salesforce Integration", Permissions: []string{"ApiEnabled", "ApiUserOnly"}},
	}, Users: []emulator.SeedUser{
		{Username: username, Email: email, FirstName: "Billing", LastName: "Integration", Profile: "Minimum Access - API Only Integrations", Password: "Initial-Passw0rd"},
	}}}}
	srv, err := emulator.New(seed, emulator.Options{Now: func() time.Time { return epoch }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

func control(t *testing.T, base, method, path string, body, out any) {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		json.NewEncoder(&buf).Encode(body)
	}
	req, _ := http.NewRequest(method, base+"/_emulator/"+path, &buf)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("control %s %s: %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

func open(t *testing.T, base string) *emulatormail.Mailbox {
	t.Helper()
	mb, err := emulatormail.New(emulatormail.Options{URL: base, Username: username})
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

func TestConformance(t *testing.T) {
	mailboxtest.Run(t, func(t *testing.T) *mailboxtest.Harness {
		base := start(t)
		mb := open(t, base)
		return &mailboxtest.Harness{Mailbox: mb, Recipient: email, ParseOptions: mb.ParseOptions(), Deliver: func(t *testing.T, at time.Time) string {
			t.Helper()
			control(t, base, "POST", "clock", map[string]any{"set": at}, nil)
			control(t, base, "POST", "orgs/Acme/users/"+username+"/reset-token", nil, nil)
			var mails []emulator.Mail
			control(t, base, "GET", "mailbox/"+username, nil, &mails)
			return mails[len(mails)-1].SecurityToken
		}}
	})
}

// TestPasswordReset reads the emulator's administrator reset e-mail: the
// temporary password and the new token.
func TestPasswordReset(t *testing.T) {
	base := start(t)
	mb := open(t, base)
	var reset struct {
		Password string `json:"password"`
	}
	control(t, base, "POST", "orgs/Acme/users/"+username+"/reset-password", nil, &reset)
	msgs, err := mb.Messages(t.Context(), warden.MailQuery{To: email, Subject: "password reset"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Messages: %v, %v", msgs, err)
	}
	m, err := mb.Message(t.Context(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var mails []emulator.Mail
	control(t, base, "GET", "mailbox/"+username, nil, &mails)
	got := mailbox.ParseSalesforceMessage(m, mb.ParseOptions())
	want := mailbox.SalesforceMail{TemporaryPassword: reset.Password, SecurityToken: mails[0].SecurityToken, Username: username}
	if got != want {
		t.Errorf("parsed %#v; want the temporary password %v and token", got, reset.Password != "")
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []emulatormail.Options{{URL: "", Username: "u"}, {URL: "ftp://x", Username: "u"}, {URL: "http://127.0.0.1:1"}} {
		if _, err := emulatormail.New(o); warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("New(%+v): %v; want EINVALID", o, err)
		}
	}
	mb, _ := emulatormail.New(emulatormail.Options{URL: "http://127.0.0.1:1", Username: "u"})
	if _, err := mb.Messages(t.Context(), warden.MailQuery{}); warden.ErrorKind(err) != warden.EUNAVAILABLE {
		t.Errorf("emulator down: %v; want EUNAVAILABLE", err)
	}
}
