package imap

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/mailbox"
)

// The protocol layer: framing of IMAP4rev1 (RFC 3501) responses with
// literals, tagged commands, and the small set of commands the adapter
// sends. It is strict about what it reads and bounded in what it buffers.

const (
	maxLine    = 1 << 20 // longest response line (without literals)
	maxLiteral = mailbox.MaxMessageBytes + 64<<10
	maxLits    = 4096 // literals in one response
)

// atom is an IMAP atom (including NIL-free keywords like FLAGS and
// section names like BODY[HEADER.FIELDS (FROM)]); strings (quoted or
// literal) are Go strings; NIL is nil; parenthesized lists are []any.
type atom string

// response is one server response.
type response struct {
	tag    string // "*", "+" or a command tag
	status string // OK, NO, BAD, BYE or PREAUTH for status responses
	code   string // the [response code] of a status response
	text   string // the human-readable text of a status response
	num    uint32 // the message number of "* n EXISTS|EXPUNGE|FETCH"
	kind   string // CAPABILITY, SEARCH, FETCH, EXISTS, FLAGS, ... (upper case)
	fields []any  // the data after kind
}

// conn is one IMAP connection.
type conn struct {
	nc          net.Conn
	r           *bufio.Reader
	w           *bufio.Writer
	tag         int
	caps        map[string]bool
	uidValidity uint32
}

func newConn(nc net.Conn) *conn {
	return &conn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), w: bufio.NewWriter(nc)}
}

// errProtocol is a malformed or unexpected response.
var errProtocol = errors.New("imap: malformed server response")

// readLine reads one CRLF (or LF) terminated line without its terminator.
func (c *conn) readLine() (string, error) {
	var buf []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", errProtocol, maxLine)
		}
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return "", err
		}
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(buf), "\n"), "\r"), nil
}

// literalSize returns n when line ends with a literal announcement {n}.
func literalSize(line string) (int, bool) {
	if !strings.HasSuffix(line, "}") {
		return 0, false
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	digits := strings.TrimSuffix(line[i+1:len(line)-1], "+")
	if digits == "" || len(digits) > 10 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// readResponse reads one complete response: its lines and the literals
// between them.
func (c *conn) readResponse() (*response, error) {
	var parts []string
	var lits []string
	for {
		line, err := c.readLine()
		if err != nil {
			return nil, err
		}
		parts = append(parts, line)
		n, ok := literalSize(line)
		if !ok || (len(parts) == 1 && strings.HasPrefix(line, "+")) {
			break
		}
		if n > maxLiteral || len(lits) >= maxLits {
			return nil, fmt.Errorf("%w: literal too large", errProtocol)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		lits = append(lits, string(buf))
	}
	return parseResponse(parts, lits)
}

// parseResponse interprets a response read as text parts, each but the
// last followed by a literal.
func parseResponse(parts, lits []string) (*response, error) {
	first := parts[0]
	tag, rest, _ := strings.Cut(first, " ")
	if tag == "" {
		return nil, errProtocol
	}
	resp := &response{tag: tag}
	if tag == "+" {
		resp.text = rest
		return resp, nil
	}
	word, after, _ := strings.Cut(rest, " ")
	switch up := strings.ToUpper(word); up {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		if len(parts) > 1 {
			return nil, errProtocol // status responses carry no literals
		}
		resp.status = up
		if strings.HasPrefix(after, "[") {
			if end := strings.IndexByte(after, ']'); end > 0 {
				resp.code, after = after[1:end], strings.TrimSpace(after[end+1:])
			}
		}
		resp.text = after
		return resp, nil
	}
	if tag != "*" {
		return nil, errProtocol
	}
	if n, err := strconv.ParseUint(word, 10, 32); err == nil {
		resp.num = uint32(n)
		word, after, _ = strings.Cut(after, " ")
	}
	resp.kind = strings.ToUpper(word)
	parts[0] = after
	t := &tokenizer{parts: parts, lits: lits}
	fields, err := t.list(false)
	if err != nil {
		return nil, err
	}
	resp.fields = fields
	return resp, nil
}

// tokenizer reads IMAP data items from response parts and literals.
type tokenizer struct {
	parts []string
	lits  []string
	p, i  int // current part and offset
	depth int
}

func (t *tokenizer) peek() (byte, bool) {
	for t.p < len(t.parts) {
		if t.i < len(t.parts[t.p]) {
			return t.parts[t.p][t.i], true
		}
		return 0, false
	}
	return 0, false
}

// list reads items until the end of the response (top level) or the
// closing parenthesis (nested).
func (t *tokenizer) list(nested bool) ([]any, error) {
	if t.depth++; t.depth > 32 {
		return nil, errProtocol
	}
	defer func() { t.depth-- }()
	var out []any
	for {
		for {
			b, ok := t.peek()
			if !ok || b != ' ' {
				break
			}
			t.i++
		}
		b, ok := t.peek()
		if !ok {
			if nested || t.p != len(t.parts)-1 {
				return nil, errProtocol
			}
			return out, nil
		}
		switch {
		case b == ')':
			if !nested {
				return nil, errProtocol
			}
			t.i++
			return out, nil
		case b == '(':
			t.i++
			sub, err := t.list(true)
			if err != nil {
				return nil, err
			}
			out = append(out, sub)
		case b == '"':
			s, err := t.quoted()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		case b == '{':
			rest := t.parts[t.p][t.i:]
			if _, ok := literalSize(rest); !ok || t.p >= len(t.lits) {
				return nil, errProtocol
			}
			out = append(out, t.lits[t.p])
			t.p, t.i = t.p+1, 0
		default:
			a := t.atom()
			if a == "" {
				return nil, errProtocol
			}
			if strings.EqualFold(a, "NIL") {
				out = append(out, nil)
			} else {
				out = append(out, atom(a))
			}
		}
	}
}

func (t *tokenizer) quoted() (string, error) {
	s := t.parts[t.p]
	var b strings.Builder
	for j := t.i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 >= len(s) {
				return "", errProtocol
			}
			j++
			b.WriteByte(s[j])
		case '"':
			t.i = j + 1
			return b.String(), nil
		default:
			b.WriteByte(s[j])
		}
	}
	return "", errProtocol
}

// atom reads an atom; a bracketed section (BODY[HEADER.FIELDS (TO)]) and
// a partial suffix (<0>) belong to it.
func (t *tokenizer) atom() string {
	s := t.parts[t.p]
	start := t.i
	for t.i < len(s) {
		switch c := s[t.i]; c {
		case ' ', '(', ')', '"', '{':
			return s[start:t.i]
		case '[':
			end := strings.IndexByte(s[t.i:], ']')
			if end < 0 {
				t.i = len(s)
				return s[start:]
			}
			t.i += end + 1
		default:
			t.i++
		}
	}
	return s[start:t.i]
}

// arg is a command argument: an atom written as is, or a string written
// quoted or as a literal.
type arg interface{ isArg() }

type rawArg string // written as is
type strArg string // quoted, or a literal when it needs one
type litArg []byte // always a literal

func (rawArg) isArg() {}
func (strArg) isArg() {}
func (litArg) isArg() {}

// needsLiteral reports whether s cannot be a quoted string.
func needsLiteral(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 || c >= 0x80 {
			return true
		}
	}
	return len(s) > 1000
}

// imapQuote writes s as an IMAP quoted string (RFC 3501 §4.3).
func imapQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// command sends a tagged command and reads responses up to its completion.
// It returns the untagged responses and the tagged one; a NO or BAD
// completion is an error naming the command verb (never its arguments).
func (c *conn) command(args ...arg) ([]*response, *response, error) {
	c.tag++
	tag := fmt.Sprintf("W%d", c.tag)
	verb := ""
	if len(args) > 0 {
		if r, ok := args[0].(rawArg); ok {
			verb = string(r)
		}
	}
	var untagged []*response
	c.w.WriteString(tag)
	for _, a := range args {
		c.w.WriteByte(' ')
		var lit []byte
		switch a := a.(type) {
		case rawArg:
			c.w.WriteString(string(a))
			continue
		case strArg:
			if !needsLiteral(string(a)) {
				c.w.WriteString(imapQuote(string(a)))
				continue
			}
			lit = []byte(a)
		case litArg:
			lit = a
		}
		if c.caps["LITERAL+"] {
			fmt.Fprintf(c.w, "{%d+}\r\n", len(lit))
		} else {
			fmt.Fprintf(c.w, "{%d}\r\n", len(lit))
			if err := c.w.Flush(); err != nil {
				return nil, nil, err
			}
			for {
				r, err := c.readResponse()
				if err != nil {
					return nil, nil, err
				}
				if r.tag == "+" {
					break
				}
				if r.tag == tag {
					return nil, nil, commandError(verb, r)
				}
				untagged = append(untagged, r)
			}
		}
		c.w.Write(lit)
	}
	c.w.WriteString("\r\n")
	if err := c.w.Flush(); err != nil {
		return nil, nil, err
	}
	return c.complete(tag, verb, untagged)
}

// complete reads responses until the one tagged tag.
func (c *conn) complete(tag, verb string, untagged []*response) ([]*response, *response, error) {
	for {
		r, err := c.readResponse()
		if err != nil {
			return nil, nil, err
		}
		if r.tag == tag {
			if r.status != "OK" {
				return untagged, r, commandError(verb, r)
			}
			return untagged, r, nil
		}
		if r.tag == "+" {
			return nil, nil, fmt.Errorf("%w: unexpected continuation", errProtocol)
		}
		if r.status == "BYE" {
			return nil, nil, warden.Errorf(warden.EUNAVAILABLE, "imap: server closed the connection: %s", r.text)
		}
		untagged = append(untagged, r)
	}
}

// commandError turns a NO or BAD completion into an error with a kind.
func commandError(verb string, r *response) error {
	kind := warden.EUNAVAILABLE
	code := strings.ToUpper(strings.Fields(r.code + " x")[0])
	switch {
	case code == "AUTHENTICATIONFAILED" || code == "AUTHORIZATIONFAILED" || verb == "LOGIN" || verb == "AUTHENTICATE":
		kind = warden.EUNAUTHORIZED
	case code == "NONEXISTENT":
		kind = warden.ENOTFOUND
	case r.status == "BAD":
		kind = warden.EINTERNAL
	}
	return &warden.Error{Kind: kind, Op: "imap " + verb, Message: fmt.Sprintf("server answered %s %s", r.status, truncate(r.text, 200))}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// greet reads the server greeting and notes its capabilities. Dovecot may
// first send "* OK Waiting for authentication process to respond..".
func (c *conn) greet() error {
	r, err := c.readResponse()
	if err != nil {
		return err
	}
	switch r.status {
	case "OK", "PREAUTH":
	case "BYE":
		return warden.Errorf(warden.EUNAVAILABLE, "imap: server refused the connection: %s", truncate(r.text, 200))
	default:
		return fmt.Errorf("%w: no greeting", errProtocol)
	}
	c.noteCaps(r.code)
	return nil
}

// noteCaps records a [CAPABILITY ...] response code.
func (c *conn) noteCaps(code string) {
	f := strings.Fields(code)
	if len(f) > 0 && strings.EqualFold(f[0], "CAPABILITY") {
		c.setCaps(f[1:])
	}
}

func (c *conn) setCaps(list []string) {
	c.caps = map[string]bool{}
	for _, s := range list {
		c.caps[strings.ToUpper(s)] = true
	}
}

// capability asks for the capabilities.
func (c *conn) capability() error {
	untagged, _, err := c.command(rawArg("CAPABILITY"))
	if err != nil {
		return err
	}
	for _, r := range untagged {
		if r.kind == "CAPABILITY" {
			var list []string
			for _, f := range r.fields {
				if a, ok := f.(atom); ok {
					list = append(list, string(a))
				}
			}
			c.setCaps(list)
		}
	}
	return nil
}

// startTLS upgrades the connection (RFC 3501 6.2.1) and forgets what the
// server said before.
func (c *conn) startTLS(ctx context.Context, cfg *tls.Config) error {
	if !c.caps["STARTTLS"] {
		return warden.Errorf(warden.EUNAVAILABLE, "imap: server does not offer STARTTLS")
	}
	if _, _, err := c.command(rawArg("STARTTLS")); err != nil {
		return err
	}
	if c.r.Buffered() > 0 {
		return fmt.Errorf("%w: data after STARTTLS", errProtocol)
	}
	tc := tls.Client(c.nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "imap: TLS handshake: %v", err)
	}
	c.nc = tc
	c.r.Reset(tc)
	c.w.Reset(tc)
	c.caps = nil
	return c.capability()
}

// login authenticates with AUTHENTICATE PLAIN when the server offers it,
// else LOGIN.
func (c *conn) login(user, pass string) error {
	if c.caps["LOGINDISABLED"] && !c.caps["AUTH=PLAIN"] {
		return warden.Errorf(warden.EUNAVAILABLE, "imap: server disables LOGIN on this connection")
	}
	var tagged *response
	var err error
	if c.caps["AUTH=PLAIN"] {
		ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
		if c.caps["SASL-IR"] {
			_, tagged, err = c.command(rawArg("AUTHENTICATE"), rawArg("PLAIN"), rawArg(ir))
		} else {
			tagged, err = c.authenticatePlain(ir)
		}
	} else {
		_, tagged, err = c.command(rawArg("LOGIN"), strArg(user), strArg(pass))
	}
	if err != nil {
		if warden.ErrorKind(err) == warden.EUNAUTHORIZED {
			return warden.Errorf(warden.EUNAUTHORIZED, "imap: login as %q failed", user)
		}
		return err
	}
	c.noteCaps(tagged.code)
	if !strings.HasPrefix(strings.ToUpper(tagged.code), "CAPABILITY") {
		return c.capability()
	}
	return nil
}

// authenticatePlain sends AUTHENTICATE PLAIN and the response after the
// server's continuation.
func (c *conn) authenticatePlain(ir string) (*response, error) {
	c.tag++
	tag := fmt.Sprintf("W%d", c.tag)
	fmt.Fprintf(c.w, "%s AUTHENTICATE PLAIN\r\n", tag)
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	for {
		r, err := c.readResponse()
		if err != nil {
			return nil, err
		}
		if r.tag == tag {
			return r, commandError("AUTHENTICATE", r)
		}
		if r.tag == "+" {
			break
		}
	}
	fmt.Fprintf(c.w, "%s\r\n", ir)
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	_, tagged, err := c.complete(tag, "AUTHENTICATE", nil)
	return tagged, err
}

// selectFolder opens a folder read-write and notes its UIDVALIDITY.
func (c *conn) selectFolder(name string) error {
	untagged, _, err := c.command(rawArg("SELECT"), strArg(name))
	if err != nil {
		return err
	}
	for _, r := range untagged {
		f := strings.Fields(r.code)
		if r.status == "OK" && len(f) == 2 && strings.EqualFold(f[0], "UIDVALIDITY") {
			v, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				return errProtocol
			}
			c.uidValidity = uint32(v)
		}
	}
	if c.uidValidity == 0 {
		return fmt.Errorf("%w: SELECT gave no UIDVALIDITY", errProtocol)
	}
	return nil
}

// fetched is one message's FETCH data.
type fetched struct {
	uid      uint32
	flags    []string
	internal time.Time
	body     string // BODY[] or BODY[HEADER...]
	hasBody  bool
}

// deleted reports whether the message carries \Deleted.
func (f *fetched) deleted() bool {
	for _, fl := range f.flags {
		if strings.EqualFold(fl, `\Deleted`) {
			return true
		}
	}
	return false
}

// parseFetch reads the data items of a FETCH response.
func parseFetch(r *response) (*fetched, error) {
	if len(r.fields) != 1 {
		return nil, errProtocol
	}
	items, ok := r.fields[0].([]any)
	if !ok || len(items)%2 != 0 {
		return nil, errProtocol
	}
	f := &fetched{}
	for i := 0; i < len(items); i += 2 {
		name, ok := items[i].(atom)
		if !ok {
			return nil, errProtocol
		}
		key := strings.ToUpper(string(name))
		switch v := items[i+1]; {
		case key == "UID":
			a, ok := v.(atom)
			n, err := strconv.ParseUint(string(a), 10, 32)
			if !ok || err != nil {
				return nil, errProtocol
			}
			f.uid = uint32(n)
		case key == "FLAGS":
			list, ok := v.([]any)
			if !ok {
				return nil, errProtocol
			}
			for _, x := range list {
				if a, ok := x.(atom); ok {
					f.flags = append(f.flags, string(a))
				}
			}
		case key == "INTERNALDATE":
			s, ok := v.(string)
			t, err := time.Parse("_2-Jan-2006 15:04:05 -0700", s)
			if !ok || err != nil {
				return nil, errProtocol
			}
			f.internal = t.UTC()
		case strings.HasPrefix(key, "BODY["):
			switch s := v.(type) {
			case string:
				f.body, f.hasBody = s, true
			case nil:
				f.hasBody = true
			default:
				return nil, errProtocol
			}
		}
	}
	return f, nil
}

// uidSet writes uids as an IMAP sequence set with ranges.
func uidSet(uids []uint32) string {
	var b bytes.Buffer
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d:%d", uids[i], uids[j])
		} else {
			fmt.Fprintf(&b, "%d", uids[i])
		}
		i = j + 1
	}
	return b.String()
}
