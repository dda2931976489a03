// Package mailbox holds what every [warden.Mailbox] adapter shares: MIME
// decoding of raw messages ([Decode]), HTML to text ([HTMLText]), query
// matching ([Match]), and the parser of Salesforce's password and security
// token e-mails ([ParseSalesforce]). The adapters live in subpackages:
// imap (any IMAP4rev1 server), graph (Office 365 through Microsoft Graph)
// and emulatormail (the emulator's own mailbox, for the demo).
//
// Message text carries secrets. Nothing in this package or its adapters
// logs it or puts it in an error.
package mailbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/wardenhq/warden"
)

// Limits that keep hostile messages from costing much.
const (
	// MaxMessageBytes is the largest raw message adapters read.
	MaxMessageBytes = 8 << 20
	maxParts        = 64
	maxDepth        = 8
)

// Match reports whether m satisfies q (see [warden.MailQuery]).
func Match(q warden.MailQuery, m *warden.MailMessage) bool {
	if !q.Since.IsZero() && m.Received.Before(q.Since) {
		return false
	}
	if q.To != "" {
		found := false
		for _, to := range m.To {
			if strings.EqualFold(strings.TrimSpace(to), strings.TrimSpace(q.To)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if q.Subject != "" && !strings.Contains(strings.ToLower(m.Subject), strings.ToLower(q.Subject)) {
		return false
	}
	return true
}

// Decode parses a raw RFC 5322 message: From, To, Subject and Date headers
// (encoded words decoded) and the text body (see
// [warden.MailMessage.TextBody]). Received is set from the Date header;
// adapters overwrite it with the mailbox's own receipt time. It fails with
// EINVALID when the header cannot be read at all; a body it cannot decode
// yields an empty TextBody rather than an error.
func Decode(raw []byte) (*warden.MailMessage, error) {
	if len(raw) > MaxMessageBytes {
		return nil, warden.Errorf(warden.EINVALID, "mail message is larger than %d bytes", MaxMessageBytes)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		// A message with no blank line after the header is all header.
		msg, err = mail.ReadMessage(io.MultiReader(bytes.NewReader(raw), strings.NewReader("\r\n\r\n")))
		if err != nil {
			return nil, warden.Errorf(warden.EINVALID, "mail message header is malformed")
		}
	}
	out := DecodeHeader(msg.Header)
	out.TextBody = decodeEntity(msg.Header, msg.Body, 0, new(int))
	return out, nil
}

// DecodeHeader reads From, To, Subject and Date from a parsed header.
func DecodeHeader(h mail.Header) *warden.MailMessage {
	out := &warden.MailMessage{Subject: decodeWords(h.Get("Subject"))}
	if a, err := addressParser.Parse(h.Get("From")); err == nil {
		out.From = a.Address
	}
	if list, err := addressParser.ParseList(h.Get("To")); err == nil {
		for _, a := range list {
			out.To = append(out.To, a.Address)
		}
	}
	if t, err := h.Date(); err == nil {
		out.Received = t.UTC()
	}
	return out
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

func decodeWords(s string) string {
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		d = s
	}
	return strings.TrimSpace(strings.ToValidUTF8(d, "\uFFFD"))
}

// header is the part of a MIME header decodeEntity needs.
type header interface{ Get(string) string }

// decodeEntity returns the text of one MIME entity: its text/plain part
// if it has one, else its text/html part as text.
func decodeEntity(h header, body io.Reader, depth int, parts *int) string {
	plain, htm := findText(h, body, depth, parts)
	if strings.TrimSpace(plain) != "" {
		return normalize(plain)
	}
	return normalize(HTMLText(htm))
}

// findText walks an entity and returns the first text/plain and the first
// text/html content found, decoded.
func findText(h header, body io.Reader, depth int, parts *int) (plain, htm string) {
	*parts++
	if depth > maxDepth || *parts > maxParts {
		return "", ""
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mediaType, params = "text/plain", map[string]string{}
	}
	if disp, _, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && disp == "attachment" {
		return "", ""
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if params["boundary"] == "" {
			return "", ""
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return plain, htm
			}
			pp, ph := findText(p.Header, p, depth+1, parts)
			if plain == "" {
				plain = pp
			}
			if htm == "" {
				htm = ph
			}
			if plain != "" {
				return plain, htm
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" && mediaType != "" {
		return "", ""
	}
	data, err := io.ReadAll(io.LimitReader(transferDecoder(h.Get("Content-Transfer-Encoding"), body), MaxMessageBytes))
	if err != nil && len(data) == 0 {
		return "", ""
	}
	text := toUTF8(params["charset"], data)
	if mediaType == "text/html" {
		return "", text
	}
	return text, ""
}

func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	}
	return r
}

// base64Cleaner drops the bytes outside the base64 alphabet (line breaks,
// spaces) that real senders put in base64 parts.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			if 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '+' || b == '/' || b == '=' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// charsetReader converts the character sets Salesforce and mail servers
// use to UTF-8: UTF-8, US-ASCII, ISO-8859-1 and Windows-1252.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	data, err := io.ReadAll(io.LimitReader(input, MaxMessageBytes))
	if err != nil {
		return nil, err
	}
	if !knownCharset(charset) {
		return nil, fmt.Errorf("unsupported charset %q", charset)
	}
	return strings.NewReader(toUTF8(charset, data)), nil
}

func knownCharset(charset string) bool {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252":
		return true
	}
	return false
}

// cp1252 maps Windows-1252's 0x80-0x9F to Unicode; the rest is Latin-1.
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

// toUTF8 decodes data in charset; unknown character sets are read as
// UTF-8 with invalid bytes replaced.
func toUTF8(charset string, data []byte) string {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "iso-8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252":
		if utf8.Valid(data) && !bytes.ContainsFunc(data, func(r rune) bool { return r >= 0x80 }) {
			return string(data)
		}
		var b strings.Builder
		for _, c := range data {
			switch {
			case c >= 0x80 && c <= 0x9F:
				b.WriteRune(cp1252[c-0x80])
			default:
				b.WriteRune(rune(c))
			}
		}
		return b.String()
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// normalize turns CRLF and CR into LF and trims trailing space on lines.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// HTMLText turns an HTML document into text: block elements and <br>
// become line breaks, script and style are dropped, entities are decoded,
// and a link is written as its text followed by its URL in angle brackets
// (once, when the text is not the URL itself).
func HTMLText(doc string) string {
	if doc == "" {
		return ""
	}
	z := html.NewTokenizer(strings.NewReader(doc))
	var b strings.Builder
	skip := 0
	var href string
	var linkText strings.Builder
	inLink := false
	write := func(s string) {
		if inLink {
			linkText.WriteString(s)
		}
		b.WriteString(s)
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return collapse(b.String())
		case html.TextToken:
			if skip == 0 {
				write(collapseSpaces(string(z.Text())))
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr":
				write("\n")
			case "td", "th":
				write(" ")
			case "a":
				if tt == html.StartTagToken && hasAttr {
					href = ""
					for {
						k, v, more := z.TagAttr()
						if string(k) == "href" {
							href = strings.TrimSpace(string(v))
						}
						if !more {
							break
						}
					}
					inLink = href != ""
					linkText.Reset()
				} else if tt == html.EndTagToken && inLink {
					inLink = false
					if strings.TrimSpace(linkText.String()) != href && (strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://")) {
						b.WriteString(" <" + href + ">")
					}
				}
			}
		}
	}
}

// collapseSpaces replaces every run of white space (line breaks too, as
// HTML does) with one space.
func collapseSpaces(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// collapse trims lines and removes runs of blank lines.
func collapse(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// Compose writes m as a raw RFC 5322 message (UTF-8 text, quoted-printable
// body, CRLF line ends), for delivering test and emulator mail into real
// mailboxes. Received becomes the Date header.
func Compose(m *warden.MailMessage) []byte {
	var b bytes.Buffer
	date := m.Received
	if date.IsZero() {
		date = time.Now()
	}
	from := m.From
	if from == "" {
		from = "noreply@salesforce.com"
	}
	fmt.Fprintf(&b, "From: %s\r\n", (&mail.Address{Address: from}).String())
	var to []string
	for _, a := range m.To {
		to = append(to, (&mail.Address{Address: a}).String())
	}
	if len(to) > 0 {
		fmt.Fprintf(&b, "To: %s\r\n", strings.Join(to, ", "))
	}
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.TextBody, "\r\n", "\n"), "\n", "\r\n")))
	_ = w.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

// NotFound is the error adapters return for a message id that names no
// message.
func NotFound(id string) error {
	return warden.Errorf(warden.ENOTFOUND, "mail message %q not found", id)
}
