package graph_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/graph"
	"github.com/wardenhq/warden/mailbox/graph/graphtest"
	"github.com/wardenhq/warden/mailbox/mailboxtest"
)

const upn = "billing-int@contoso.com"

func open(t *testing.T, opts graphtest.Options) (*graph.Mailbox, *graphtest.Server) {
	t.Helper()
	srv := graphtest.Start(t, opts)
	srv.AddUser(upn, "Initial-Passw0rd")
	o := srv.Options()
	mb, err := graph.New(graph.Options{Tenant: o.Tenant, ClientID: o.ClientID, ClientSecret: o.ClientSecret, User: upn,
		AuthorityURL: srv.URL, GraphURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return mb, srv
}

func tokenMail(at time.Time, token string) warden.MailMessage {
	return warden.MailMessage{From: "support@salesforce.com", To: []string{upn}, Subject: "Your new Salesforce security token", Received: at,
		TextBody: "<html><body><p>Dear Integration,</p><p>Security token (case-sensitive): " + token + "</p><p>Thanks,<br>Salesforce Customer Support</p></body></html>"}
}

func TestConformance(t *testing.T) {
	mailboxtest.Run(t, func(t *testing.T) *mailboxtest.Harness {
		mb, srv := open(t, graphtest.Options{})
		return &mailboxtest.Harness{Mailbox: mb, Recipient: upn, Deliver: func(t *testing.T, at time.Time) string {
			tok := rand.Text()[:24]
			srv.Deliver(upn, tokenMail(at, tok), true)
			return tok
		}}
	})
}

// TestPaging lists more messages than fit on pages of 50 and checks that
// the token is fetched once.
func TestPaging(t *testing.T) {
	mb, srv := open(t, graphtest.Options{})
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 120 {
		srv.Deliver(upn, tokenMail(at.Add(time.Duration(i)*time.Minute), "T"), false)
	}
	msgs, err := mb.Messages(t.Context(), warden.MailQuery{Since: at.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 110 {
		t.Fatalf("%d messages; want 110", len(msgs))
	}
	for i := 1; i < len(msgs); i++ {
		if msgs[i].Received.Before(msgs[i-1].Received) {
			t.Fatalf("not oldest first at %d", i)
		}
	}
	if got := srv.Calls("list"); got != 3 {
		t.Errorf("%d list requests; want 3 pages", got)
	}
	if got := srv.Calls("token"); got != 1 {
		t.Errorf("%d token requests; want 1", got)
	}
}

func TestTokenRefresh(t *testing.T) {
	mb, srv := open(t, graphtest.Options{})
	if _, err := mb.Messages(t.Context(), warden.MailQuery{}); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	if _, err := mb.Messages(t.Context(), warden.MailQuery{}); err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if got := srv.Calls("token"); got != 2 {
		t.Errorf("%d token requests; want 2", got)
	}
}

func TestWrongSecret(t *testing.T) {
	srv := graphtest.Start(t, graphtest.Options{})
	srv.AddUser(upn, "x")
	o := srv.Options()
	mb, err := graph.New(graph.Options{Tenant: o.Tenant, ClientID: o.ClientID, ClientSecret: "wrong-secret", User: upn, AuthorityURL: srv.URL, GraphURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mb.Messages(t.Context(), warden.MailQuery{})
	if warden.ErrorKind(err) != warden.EUNAUTHORIZED || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("wrong secret: %v; want EUNAUTHORIZED with AADSTS7000215", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(err.Error(), "Trace ID") {
		t.Errorf("error shows the secret or trace lines: %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		op     string
		status int
		code   string
		kind   string
	}{
		{"list", http.StatusTooManyRequests, "ApplicationThrottled", warden.EUNAVAILABLE},
		{"list", http.StatusServiceUnavailable, "ServiceUnavailable", warden.EUNAVAILABLE},
		{"list", http.StatusForbidden, "ErrorAccessDenied", warden.EFORBIDDEN},
		{"get", http.StatusInternalServerError, "InternalServerError", warden.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.op, tt.status), func(t *testing.T) {
			mb, srv := open(t, graphtest.Options{})
			id := srv.Deliver(upn, tokenMail(time.Now(), "T"), false)
			srv.SetFault(func(op string) (int, string) {
				if op == tt.op {
					return tt.status, tt.code
				}
				return 0, ""
			})
			var err error
			if tt.op == "list" {
				_, err = mb.Messages(t.Context(), warden.MailQuery{})
			} else {
				_, err = mb.Message(t.Context(), id)
			}
			if warden.ErrorKind(err) != tt.kind || !strings.Contains(err.Error(), tt.code) {
				t.Errorf("error %v; want kind %s naming %s", err, tt.kind, tt.code)
			}
		})
	}
	t.Run("unknown user", func(t *testing.T) {
		srv := graphtest.Start(t, graphtest.Options{})
		o := srv.Options()
		mb, _ := graph.New(graph.Options{Tenant: o.Tenant, ClientID: o.ClientID, ClientSecret: o.ClientSecret, User: "nobody@contoso.com", AuthorityURL: srv.URL, GraphURL: srv.URL})
		_, err := mb.Messages(t.Context(), warden.MailQuery{})
		if warden.ErrorKind(err) != warden.ENOTFOUND || !strings.Contains(err.Error(), "ErrorInvalidUser") {
			t.Errorf("unknown user: %v", err)
		}
	})
}

func TestMarkSeenAndDelete(t *testing.T) {
	mb, srv := open(t, graphtest.Options{})
	id := srv.Deliver(upn, tokenMail(time.Now(), "T"), false)
	if err := mb.MarkSeen(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if !srv.IsRead(upn, id) {
		t.Errorf("not marked read")
	}
	if err := mb.Delete(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if srv.DeletedCount(upn) != 1 {
		t.Errorf("not moved to Deleted Items")
	}
}

func TestChangePassword(t *testing.T) {
	mb, srv := open(t, graphtest.Options{})
	var _ warden.PasswordChanger = mb
	if err := mb.ChangePassword(t.Context(), "N3w-Mailbox-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Password(upn); got != "N3w-Mailbox-Passw0rd" {
		t.Errorf("password is %q", got)
	}
	err := mb.ChangePassword(t.Context(), "weakpass")
	if warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), "complexity") || strings.Contains(err.Error(), "weakpass") {
		t.Errorf("weak password: %v; want EINVALID about complexity, without the password", err)
	}
	if srv.Password(upn) != "N3w-Mailbox-Passw0rd" {
		t.Errorf("a refused change changed the password")
	}
	denied, srv2 := open(t, graphtest.Options{DenyPasswordReset: true})
	err = denied.ChangePassword(t.Context(), "An0ther-Passw0rd")
	if warden.ErrorKind(err) != warden.EFORBIDDEN || !strings.Contains(err.Error(), "Authorization_RequestDenied") {
		t.Errorf("without the role: %v", err)
	}
	if srv2.Password(upn) != "Initial-Passw0rd" {
		t.Errorf("a denied change changed the password")
	}
}

// TestHTMLBody checks that an HTML reset e-mail keeps its link.
func TestHTMLBody(t *testing.T) {
	mb, srv := open(t, graphtest.Options{})
	id := srv.Deliver(upn, warden.MailMessage{To: []string{upn}, Subject: "Finish resetting your Salesforce password", Received: time.Now(),
		TextBody: `<p>Click <a href="https://contoso.my.salesforce.com/secur/forgotpassword.jsp?c=05D1&amp;x=1">here</a>.</p><p>Username: ` + upn + `</p>`}, true)
	m, err := mb.Message(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	got := mailbox.ParseSalesforceMessage(m, mailbox.ParseOptions{})
	if got.ResetURL != "https://contoso.my.salesforce.com/secur/forgotpassword.jsp?c=05D1&x=1" || got.Username != upn {
		t.Errorf("parsed %+v from %q", got, m.TextBody)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []graph.Options{
		{ClientID: "c", ClientSecret: "s", User: "u"},
		{Tenant: "t", ClientID: "c", ClientSecret: "s"},
		{Tenant: "t", ClientID: "c", ClientSecret: "s", User: "u", GraphURL: "ftp://x"},
	} {
		if _, err := graph.New(o); warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("New(%v): %v; want EINVALID", o, err)
		}
	}
	o := graph.Options{Tenant: "t", ClientID: "c", ClientSecret: "s3cr3t-value", User: "u"}
	if s := fmt.Sprintf("%v %+v %#v", o, o, o); strings.Contains(s, "s3cr3t-value") {
		t.Errorf("options print the secret: %s", s)
	}
}

// TestNextLinkElsewhere checks that a next link to another host is not
// followed: the bearer token goes to Graph only.
func TestNextLinkElsewhere(t *testing.T) {
	var leaked bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = leaked || r.Header.Get("Authorization") != ""
	}))
	t.Cleanup(other.Close)
	srv := graphtest.Start(t, graphtest.Options{})
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			srv.ServeHTTP(w, r) // real tokens from graphtest
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"value": [], "@odata.nextLink": %q}`, other.URL+"/v1.0/users/x/mailFolders/inbox/messages?$skip=50")
	}))
	t.Cleanup(fake.Close)
	o := srv.Options()
	mb, err := graph.New(graph.Options{Tenant: o.Tenant, ClientID: o.ClientID, ClientSecret: o.ClientSecret, User: upn, AuthorityURL: fake.URL, GraphURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Messages(t.Context(), warden.MailQuery{}); err == nil {
		t.Errorf("a next link to another host was followed")
	}
	if leaked {
		t.Errorf("the token was sent to another host")
	}
}
