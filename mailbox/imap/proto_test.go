package imap

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func read(t *testing.T, wire string) (*response, error) {
	t.Helper()
	c := &conn{r: bufio.NewReader(strings.NewReader(wire))}
	return c.readResponse()
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		wire string
		want *response
	}{
		{"* OK [UIDVALIDITY 42] UIDs valid\r\n", &response{tag: "*", status: "OK", code: "UIDVALIDITY 42", text: "UIDs valid"}},
		{"W1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", &response{tag: "W1", status: "NO", code: "AUTHENTICATIONFAILED", text: "Authentication failed."}},
		{"+ go ahead\r\n", &response{tag: "+", text: "go ahead"}},
		{"* SEARCH 1 2 30\r\n", &response{tag: "*", kind: "SEARCH", fields: []any{atom("1"), atom("2"), atom("30")}}},
		{"* SEARCH\r\n", &response{tag: "*", kind: "SEARCH"}},
		{"* 4 EXISTS\n", &response{tag: "*", num: 4, kind: "EXISTS"}},
		{
			"* 3 FETCH (UID 7 FLAGS (\\Seen \\Recent) INTERNALDATE \" 3-Dec-2026 10:00:00 +0000\" BODY[HEADER.FIELDS (FROM TO)] {9}\r\nTo: a\r\n\r\n)\r\n",
			&response{tag: "*", num: 3, kind: "FETCH", fields: []any{[]any{
				atom("UID"), atom("7"), atom("FLAGS"), []any{atom(`\Seen`), atom(`\Recent`)},
				atom("INTERNALDATE"), " 3-Dec-2026 10:00:00 +0000",
				atom("BODY[HEADER.FIELDS (FROM TO)]"), "To: a\r\n\r\n",
			}}},
		},
		{ // a literal holding what looks like a literal and a status line
			"* 1 FETCH (BODY[] {11}\r\nW9 OK {3}\r\n UID 2)\r\n",
			&response{tag: "*", num: 1, kind: "FETCH", fields: []any{[]any{atom("BODY[]"), "W9 OK {3}\r\n", atom("UID"), atom("2")}}},
		},
		{`* 1 FETCH (BODY[] NIL X "a\"b\\c")` + "\r\n", &response{tag: "*", num: 1, kind: "FETCH", fields: []any{[]any{atom("BODY[]"), nil, atom("X"), `a"b\c`}}}},
		{"* 2 FETCH (BODY[]<0> {0}\r\n)\r\n", &response{tag: "*", num: 2, kind: "FETCH", fields: []any{[]any{atom("BODY[]<0>"), ""}}}},
	}
	for _, tt := range tests {
		got, err := read(t, tt.wire)
		if err != nil {
			t.Errorf("%q: %v", tt.wire, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(response{})); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.wire, diff)
		}
	}
	for _, bad := range []string{
		"* 1 FETCH (UID 1\r\n",                // unclosed list
		"* 1 FETCH (UID 1))\r\n",              // extra parenthesis
		"* 1 FETCH (BODY[] \"open)\r\n",       // unclosed quote
		"* 1 FETCH (BODY[] {5}\r\nab",         // short literal
		"* 1 FETCH (BODY[] {99999999999}\r\n", // huge literal
		"W1 OK {3}\r\nabc\r\n",                // literal in a status response
		"\r\n",
		"W1 FETCH x\r\n",
		"* X " + strings.Repeat("(", 100) + "\r\n",
	} {
		if r, err := read(t, bad); err == nil {
			t.Errorf("%q parsed as %+v; want an error", bad, r)
		}
	}
}

func TestUIDSet(t *testing.T) {
	if got := uidSet([]uint32{1, 2, 3, 5, 7, 8}); got != "1:3,5,7:8" {
		t.Errorf("uidSet = %q", got)
	}
}

// FuzzReadResponse feeds arbitrary server output to the response reader:
// it must fail cleanly, never panic or buffer without bound.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("* 3 FETCH (UID 7 FLAGS (\\Seen) BODY[] {3}\r\nabc)\r\n"))
	f.Add([]byte("* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\nW1 OK done\r\n"))
	f.Add([]byte("* 1 FETCH (BODY[HEADER.FIELDS (TO)] {2}\r\n\r\n INTERNALDATE \"x\")\r\n"))
	f.Fuzz(func(t *testing.T, wire []byte) {
		c := &conn{r: bufio.NewReader(bytes.NewReader(wire))}
		for range 16 {
			r, err := c.readResponse()
			if err != nil {
				return
			}
			if r.kind == "FETCH" {
				parseFetch(r)
			}
		}
	})
}

// scripted is a fake server that answers each client line by a rule.
func scripted(t *testing.T, greeting string, answer func(line string) string) *conn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	server.SetDeadline(time.Now().Add(10 * time.Second))
	client.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		io.WriteString(server, greeting)
		r := bufio.NewReader(server)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if out := answer(strings.TrimRight(line, "\r\n")); out != "" {
				if _, err := io.WriteString(server, out); err != nil {
					return
				}
			}
		}
	}()
	return newConn(client)
}

// TestLoginAndSynchronizingLiterals drives the paths Dovecot does not
// take: LOGIN (no AUTH=PLAIN), and literals that wait for the server's
// continuation (no LITERAL+).
func TestLoginAndSynchronizingLiterals(t *testing.T) {
	var got []string
	c := scripted(t, "* OK IMAP ready\r\n", func(line string) string {
		got = append(got, line)
		switch {
		case line == "W1 CAPABILITY":
			return "* CAPABILITY IMAP4rev1 IDLE\r\nW1 OK done\r\n"
		case strings.HasPrefix(line, "W2 LOGIN") && strings.HasSuffix(line, "{5}"):
			return "+ Ready for literal\r\n"
		case line == "pä55":
			return "W2 OK [CAPABILITY IMAP4rev1 UIDPLUS] Logged in\r\n"
		}
		return "W9 BAD unexpected\r\n"
	})
	if err := c.greet(); err != nil {
		t.Fatal(err)
	}
	if err := c.capability(); err != nil {
		t.Fatal(err)
	}
	if err := c.login(`user "q"`, "pä55"); err != nil {
		t.Fatalf("login: %v (sent %q)", err, got)
	}
	want := []string{"W1 CAPABILITY", `W2 LOGIN "user \"q\"" {5}`, "pä55"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("client sent (-want +got):\n%s", diff)
	}
	if !c.caps["UIDPLUS"] {
		t.Errorf("capabilities after login not noted: %v", c.caps)
	}
}

func TestAuthenticateWithoutSASLIR(t *testing.T) {
	c := scripted(t, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n", func(line string) string {
		switch line {
		case "W1 AUTHENTICATE PLAIN":
			return "+ \r\n"
		case "AHUAcA==": // "\x00u\x00p"
			return "W1 OK [CAPABILITY IMAP4rev1] ok\r\n"
		}
		return "W1 NO [AUTHENTICATIONFAILED] no\r\n"
	})
	if err := c.greet(); err != nil {
		t.Fatal(err)
	}
	if err := c.login("u", "p"); err != nil {
		t.Fatal(err)
	}
}
