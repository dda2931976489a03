package mailbox_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenhq/warden/mailbox"
)

// FuzzParseSalesforce decodes arbitrary bytes as a mail message and parses
// it as a Salesforce e-mail. Neither step may panic, and every value the
// parser returns must be text of the decoded message (its subject or
// text), never something made up.
func FuzzParseSalesforce(f *testing.F) {
	for _, m := range messages {
		f.Add([]byte(m.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := mailbox.Decode(raw)
		if err != nil {
			return
		}
		if !utf8.ValidString(msg.TextBody) || !utf8.ValidString(msg.Subject) {
			t.Fatalf("invalid UTF-8 in decoded message")
		}
		got := mailbox.ParseSalesforceMessage(msg, mailbox.ParseOptions{LinkHosts: []string{"127.0.0.1:8443"}})
		for name, v := range map[string]string{
			"securityToken": got.SecurityToken, "temporaryPassword": got.TemporaryPassword,
			"resetURL": got.ResetURL, "verificationCode": got.VerificationCode, "username": got.Username,
		} {
			if v != "" && !strings.Contains(msg.TextBody, v) && !strings.Contains(msg.Subject, v) {
				t.Fatalf("%s %q is not in the message", name, v)
			}
			if strings.ContainsAny(v, " \t\r\n") {
				t.Fatalf("%s %q contains white space", name, v)
			}
		}
	})
}
