package mailbox_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/mailbox"
)

const token = "aB3dE5fG7hJ9kL1mN3pQ5rS7"

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// Messages shaped like the ones Salesforce sends (wording from Salesforce
// help pages and vendors' screenshots of them), and like the emulator's.
var messages = []struct {
	name string
	raw  string
	opts mailbox.ParseOptions
	want mailbox.SalesforceMail
	subj string
}{
	{
		name: "token plain CRLF",
		raw: crlf(`From: Salesforce <support@salesforce.com>
To: billing-int@acme.com
Subject: Your new Salesforce security token
Date: Thu, 03 Dec 2026 08:00:00 +0000
Content-Type: text/plain; charset=UTF-8

Dear Billing Integration,

You recently changed your password or requested to reset your security token. Use your new security token to log in to Salesforce via the API or a desktop client.

Username: billing-int@acme.com
Security token (case-sensitive): ` + token + `

For more information, see https://help.salesforce.com/s/articleView?id=sf.user_security_token.htm

Thanks,
Salesforce Customer Support
`),
		subj: "Your new Salesforce security token",
		want: mailbox.SalesforceMail{SecurityToken: token, Username: "billing-int@acme.com"},
	},
	{
		name: "token multipart alternative quoted-printable",
		raw: crlf(`From: "Salesforce" <support@salesforce.com>
To: "Billing" <billing-int@acme.com>
Subject: =?UTF-8?Q?Your_new_Salesforce_security_token?=
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="----=_Part_1_2"

------=_Part_1_2
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

You recently changed your password or requested to reset your security tok=
en.=0A
Security token (case-sensitive): aB3dE5fG7hJ9=
kL1mN3pQ5rS7

------=_Part_1_2
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Security token (case-sensitive): <b>WRONGWRONGWRONG1</b></p></body></html>
------=_Part_1_2--
`),
		subj: "Your new Salesforce security token",
		want: mailbox.SalesforceMail{SecurityToken: token},
	},
	{
		name: "token HTML only base64, token in its own cell",
		raw: crlf(`From: support@salesforce.com
To: billing-int@acme.com
Subject: Your new Salesforce security token
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

`) + wrap(base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE html><html><head><style>p{color:red}</style><title>Security token: NOTTHISONE123</title></head>
<body><table><tr><td>Security token (case-sensitive):</td></tr><tr><td>`+token+`</td></tr></table>
<p>Questions? <a href="https://help.salesforce.com/">Help</a></p></body></html>`))),
		subj: "Your new Salesforce security token",
		want: mailbox.SalesforceMail{SecurityToken: token},
	},
	{
		name: "German, ISO-8859-1, encoded subject",
		raw: crlf(`From: support@salesforce.com
To: buchhaltung@acme.de
Subject: =?ISO-8859-1?Q?Ihr_neues_Salesforce-Sicherheitstoken?=
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Sie haben k=FCrzlich Ihr Kennwort ge=E4ndert.
Sicherheitstoken (Gro=DF-/Kleinschreibung beachten): ` + token + `
`),
		subj: "Ihr neues Salesforce-Sicherheitstoken",
		want: mailbox.SalesforceMail{SecurityToken: token},
	},
	{
		name: "French with a space before the colon",
		raw:  "Subject: Votre nouveau jeton de sécurité Salesforce\n\nJeton de sécurité (sensible à la casse) : " + token + "\n",
		subj: "Votre nouveau jeton de sécurité Salesforce",
		want: mailbox.SalesforceMail{SecurityToken: token},
	},
	{
		name: "administrator reset with a link",
		raw: crlf(`From: support@salesforce.com
To: billing-int@acme.com
Subject: Finish resetting your Salesforce password
Content-Type: multipart/alternative; boundary=b1

--b1
Content-Type: text/html; charset=UTF-8

<p>Your password has been reset by your administrator. To log in to Salesforce, click the link below.</p>
<p><a href="https://acme.my.salesforce.com/secur/forgotpassword.jsp?r=https%3A%2F%2Facme.my.salesforce.com&amp;c=05Dxx000001abcd">Reset password</a></p>
<p>Username: billing-int@acme.com</p>
<p>If you didn't ask, <a href="https://www.salesforce.com/company/privacy/">privacy</a></p>
--b1--
`),
		subj: "Finish resetting your Salesforce password",
		want: mailbox.SalesforceMail{
			ResetURL: "https://acme.my.salesforce.com/secur/forgotpassword.jsp?r=https%3A%2F%2Facme.my.salesforce.com&c=05Dxx000001abcd",
			Username: "billing-int@acme.com",
		},
	},
	{
		name: "phishing link is not a reset link",
		raw:  "Subject: Salesforce password reset\n\nClick https://acme-salesforce.com.evil.example/secur/forgotpassword.jsp?c=1 or http://login.salesforce.com/?c=2 now.\n",
		subj: "Salesforce password reset",
		want: mailbox.SalesforceMail{},
	},
	{
		name: "verification code",
		raw:  "Subject: Verify your identity in Salesforce\nContent-Type: text/plain\n\nYou're trying to log in to Salesforce.\nVerification Code: 48213\nThe code expires after 24 hours.\n",
		subj: "Verify your identity in Salesforce",
		want: mailbox.SalesforceMail{VerificationCode: "48213"},
	},
	{
		name: "emulator reset e-mail with a link to the emulator",
		raw: "Subject: Salesforce password reset\n\nDear Billing Integration,\n\nYour Salesforce password was reset by an administrator.\n\n" +
			"Username: billing@acme.test\nTemporary password: TmpQWERTY9a\n\nYou must change it when you next log in. A new security token was issued:\n" +
			"Security token (case-sensitive): " + token + "\nLog in at http://127.0.0.1:8443/login?c=1\n",
		opts: mailbox.ParseOptions{LinkHosts: []string{"127.0.0.1:8443"}},
		subj: "Salesforce password reset",
		want: mailbox.SalesforceMail{SecurityToken: token, TemporaryPassword: "TmpQWERTY9a", Username: "billing@acme.test", ResetURL: "http://127.0.0.1:8443/login?c=1"},
	},
	{
		name: "a word after the label on the next line is not a token",
		raw:  "Subject: x\n\nSecurity token (case-sensitive):\nInformation about tokens follows.\nPassword: must be changed soon\n",
		subj: "x",
		want: mailbox.SalesforceMail{},
	},
	{
		name: "a too long run is not a token",
		raw:  "Subject: x\n\nSecurity token: " + strings.Repeat("A1", 40) + "\n",
		subj: "x",
		want: mailbox.SalesforceMail{},
	},
	{
		name: "not from Salesforce",
		raw:  "Subject: Lunch?\n\nPizza at noon.\n",
		subj: "Lunch?",
		want: mailbox.SalesforceMail{},
	},
}

func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s + "\r\n"
}

func TestParseSalesforce(t *testing.T) {
	for _, tt := range messages {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := mailbox.Decode([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if msg.Subject != tt.subj {
				t.Errorf("subject %q; want %q", msg.Subject, tt.subj)
			}
			got := mailbox.ParseSalesforceMessage(msg, tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\ntext:\n%s", diff, msg.TextBody)
			}
		})
	}
}

// TestEmulatorWording parses the e-mails in the exact wording the emulator
// sends (emulator/writes.go setPassword and resetPassword, control.go
// reset-token).
func TestEmulatorWording(t *testing.T) {
	name, user, tmp := "Billing Integration", "billing@acme.test", "TmpABCDEF9a"
	bodies := map[string]mailbox.SalesforceMail{
		fmt.Sprintf("Dear %s,\n\nYour password was changed, so Salesforce issued a new security token for %s.\n\nSecurity token (case-sensitive): %s\n", name, user, token):                                                                                                    {SecurityToken: token},
		fmt.Sprintf("Dear %s,\n\nYour Salesforce password was reset by an administrator.\n\nUsername: %s\nTemporary password: %s\n\nYou must change it when you next log in. A new security token was issued:\nSecurity token (case-sensitive): %s\n", name, user, tmp, token): {SecurityToken: token, TemporaryPassword: tmp, Username: user},
		fmt.Sprintf("Dear %s,\n\nYou recently requested a new security token for %s.\n\nSecurity token (case-sensitive): %s\n", name, user, token):                                                                                                                             {SecurityToken: token},
	}
	for body, want := range bodies {
		if got := mailbox.ParseSalesforce("Your new Salesforce security token", body, mailbox.ParseOptions{}); got != want {
			t.Errorf("%q: got %#v", body, got)
		}
	}
}

func TestSalesforceMailHidesValues(t *testing.T) {
	m := mailbox.SalesforceMail{SecurityToken: token, TemporaryPassword: "TmpX9aaaa"}
	for _, s := range []string{fmt.Sprint(m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m)} {
		if strings.Contains(s, token) || strings.Contains(s, "TmpX9aaaa") {
			t.Errorf("printed %q", s)
		}
	}
	msg := warden.MailMessage{ID: "7", TextBody: "Security token (case-sensitive): " + token}
	for _, s := range []string{fmt.Sprint(msg), fmt.Sprintf("%+v", msg), fmt.Sprintf("%#v", msg)} {
		if strings.Contains(s, token) {
			t.Errorf("printed %q", s)
		}
	}
}

func TestDecodeHeaders(t *testing.T) {
	raw := crlf(`From: =?UTF-8?Q?Salesforce_Support?= <support@salesforce.com>
To: "A" <a@acme.com>, b@acme.com
Subject: =?UTF-8?B?WW91ciBuZXcgU2FsZXNmb3JjZSBzZWN1cml0eSB0b2tlbg==?=
Date: Thu, 03 Dec 2026 09:30:00 +0100

body
`)
	msg, err := mailbox.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := &warden.MailMessage{From: "support@salesforce.com", To: []string{"a@acme.com", "b@acme.com"},
		Subject: "Your new Salesforce security token", Received: time.Date(2026, 12, 3, 8, 30, 0, 0, time.UTC), TextBody: "body"}
	if diff := cmp.Diff(want, msg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A header with no body at all still decodes.
	if msg, err := mailbox.Decode([]byte("Subject: only")); err != nil || msg.Subject != "only" {
		t.Errorf("header only: %v, %v", msg, err)
	}
}

func TestComposeRoundTrip(t *testing.T) {
	in := &warden.MailMessage{From: "support@salesforce.com", To: []string{"billing@acme.test"}, Subject: "Ihr neues Sicherheitstoken — ok",
		Received: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), TextBody: "Line one with a very long text that must be wrapped by quoted-printable because it is longer than seventy-six characters.\nSecurity token (case-sensitive): " + token}
	out, err := mailbox.Decode(mailbox.Compose(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMatch(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	m := &warden.MailMessage{To: []string{"Billing@Acme.com"}, Subject: "Your new Salesforce security token", Received: at}
	tests := []struct {
		q    warden.MailQuery
		want bool
	}{
		{warden.MailQuery{}, true},
		{warden.MailQuery{Since: at}, true},
		{warden.MailQuery{Since: at.Add(time.Nanosecond)}, false},
		{warden.MailQuery{To: "billing@acme.com"}, true},
		{warden.MailQuery{To: "other@acme.com"}, false},
		{warden.MailQuery{To: "acme.com"}, false},
		{warden.MailQuery{Subject: "SECURITY TOKEN"}, true},
		{warden.MailQuery{Subject: "password"}, false},
	}
	for _, tt := range tests {
		if got := mailbox.Match(tt.q, m); got != tt.want {
			t.Errorf("Match(%+v) = %v", tt.q, got)
		}
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>Hello<b> world</b></p><p>Next&nbsp;line &amp; more</p>`, "Hello world\n\nNext line & more"},
		{`<script>var t = "Security token: X";</script>Text`, "Text"},
		{`<a href="https://x.salesforce.com/?c=1">https://x.salesforce.com/?c=1</a>`, "https://x.salesforce.com/?c=1"},
		{`<a href="https://x.salesforce.com/?c=1&amp;d=2">Reset</a>`, "Reset <https://x.salesforce.com/?c=1&d=2>"},
		{`<a href="javascript:alert(1)">x</a>`, "x"},
		{`unclosed <b`, "unclosed"},
	}
	for _, tt := range tests {
		if got := mailbox.HTMLText(tt.in); got != tt.want {
			t.Errorf("HTMLText(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
