package mailbox_test

import (
	"fmt"

	"github.com/wardenhq/warden/mailbox"
)

func ExampleParseSalesforce() {
	raw := "From: support@salesforce.com\r\n" +
		"To: billing-int@acme.com\r\n" +
		"Subject: Your new Salesforce security token\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Security token (case-sensitive): aB3dE5fG7h=\r\nJ9kL1mN3pQ5rS7\r\n"
	msg, err := mailbox.Decode([]byte(raw))
	if err != nil {
		panic(err)
	}
	got := mailbox.ParseSalesforceMessage(msg, mailbox.ParseOptions{})
	fmt.Println(got) // prints which values were found, never the values
	fmt.Println(len(got.SecurityToken))
	// Output:
	// [salesforce mail: securityToken]
	// 24
}
