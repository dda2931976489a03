package delivery

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wardenhq/warden"
	"gopkg.in/yaml.v3"
)

// Formats of a rendered configuration file.
const (
	FormatEnv        = "env"        // KEY=value lines (.env)
	FormatJSON       = "json"       // JSON
	FormatYAML       = "yaml"       // YAML
	FormatProperties = "properties" // Java properties
)

// Formats lists the formats a file delivery can render.
var Formats = []string{FormatEnv, FormatJSON, FormatYAML, FormatProperties}

// Template fields. The secret ones come from the credential's material;
// the others describe the credential and are not secret.
const (
	FieldPassword       = "password"       // the password with the security token appended
	FieldPrivateKey     = "privateKey"     // the PEM private key of a JWT credential
	FieldPrivateKeyPath = "privateKeyPath" // where the private key file was written (file target keyPath)
	FieldClientSecret   = "clientSecret"   // the connected app's consumer secret
	FieldRefreshToken   = "refreshToken"   // an OAuth refresh token
	FieldUsername       = "username"       // the integration user's username
	FieldClientID       = "clientId"       // the connected app's consumer key
	FieldCredential     = "credential"     // the credential's name in Warden
	FieldVersion        = "version"        // the secret version id delivered
)

// Fields lists every template field.
var Fields = []string{FieldPassword, FieldPrivateKey, FieldPrivateKeyPath, FieldClientSecret, FieldRefreshToken,
	FieldUsername, FieldClientID, FieldCredential, FieldVersion}

// secretFields are the fields that hold material.
var secretFields = []string{FieldPassword, FieldPrivateKey, FieldClientSecret, FieldRefreshToken}

// maxTemplate bounds a template's size.
const maxTemplate = 1 << 20

// Template is a parsed configuration-file template: text in one format
// with {{field}} placeholders, each standing where a value goes
// (KEY={{password}}, "password": {{password}}, password: {{password}},
// sf.password={{password}}). Rendering escapes each value for the format
// and quotes it, so placeholders are written without quotes; the result
// is parsed back to prove every value came out intact.
type Template struct {
	format string
	parts  []part
}

// part is literal text or, when field is set, a placeholder.
type part struct {
	text  string
	field string
}

// ParseTemplate parses text as a template for format. Errors are EINVALID
// and quote only field names, never template text beyond them.
func ParseTemplate(format, text string) (*Template, error) {
	if !slices.Contains(Formats, format) {
		return nil, warden.Errorf(warden.EINVALID, "template format %q is not one of %s", format, strings.Join(Formats, ", "))
	}
	if len(text) > maxTemplate {
		return nil, warden.Errorf(warden.EINVALID, "template is larger than %d bytes", maxTemplate)
	}
	if !utf8.ValidString(text) {
		return nil, warden.Errorf(warden.EINVALID, "template is not valid UTF-8")
	}
	t := &Template{format: format}
	rest := text
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, warden.Errorf(warden.EINVALID, "template line %d: %q has no closing %q", lineOf(text, rest[i:]), "{{", "}}")
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		if !slices.Contains(Fields, name) {
			return nil, warden.Errorf(warden.EINVALID, "template line %d: %q is not a field (fields: %s)", lineOf(text, rest[i:]),
				shorten(name), strings.Join(Fields, ", "))
		}
		t.parts = append(t.parts, part{field: name})
		rest = rest[i+j+2:]
	}
	if rest != "" {
		t.parts = append(t.parts, part{text: rest})
	}
	return t, nil
}

// lineOf is the line number of the suffix rest within text.
func lineOf(text, rest string) int {
	return strings.Count(text[:len(text)-len(rest)], "\n") + 1
}

// shorten keeps a quoted name short.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Uses reports the fields the template refers to, in order of first use.
func (t *Template) Uses() []string {
	var out []string
	for _, p := range t.parts {
		if p.field != "" && !slices.Contains(out, p.field) {
			out = append(out, p.field)
		}
	}
	return out
}

// Render fills the placeholders with values, escaped and quoted for the
// format, and checks that the result parses in the format with every
// value intact. A field without a value is an EINVALID error naming it.
// Errors never contain values or rendered text.
func (t *Template) Render(values map[string]string) ([]byte, error) {
	var b strings.Builder
	var want []string
	for _, p := range t.parts {
		if p.field == "" {
			b.WriteString(p.text)
			continue
		}
		v, ok := values[p.field]
		if !ok || v == "" {
			return nil, warden.Errorf(warden.EINVALID, "template uses {{%s}}, which this credential does not have", p.field)
		}
		if !utf8.ValidString(v) {
			return nil, warden.Errorf(warden.EINVALID, "value of {{%s}} is not valid UTF-8", p.field)
		}
		b.WriteString(quote(t.format, v))
		want = append(want, v)
	}
	out := b.String()
	got, err := parseValues(t.format, out)
	if err != nil {
		return nil, warden.Errorf(warden.EINVALID, "rendered template is not valid %s: %s "+
			"(write placeholders unquoted, each as a whole value: Warden quotes them)", t.format, err)
	}
	for i, v := range want {
		if !slices.Contains(got, v) {
			return nil, warden.Errorf(warden.EINVALID, "placeholder %d of the template does not stand where a %s value goes "+
				"(write it unquoted, as a whole value)", i+1, t.format)
		}
	}
	return []byte(out), nil
}

// quote escapes and quotes v as one value of format.
func quote(format, v string) string {
	switch format {
	case FormatJSON:
		b, _ := json.Marshal(v) // a valid UTF-8 string always encodes
		return string(b)
	case FormatYAML:
		return yamlQuote(v)
	case FormatProperties:
		return propertiesEscape(v)
	default:
		return envQuote(v)
	}
}

// yamlQuote writes v as a YAML double-quoted scalar with every byte
// outside printable ASCII escaped, so that no line folding, tab or
// Unicode line break can change it.
func yamlQuote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			fmt.Fprintf(&b, `\U%08X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// propertiesEscape writes v as a Java properties value: backslash escapes
// for '\', line breaks, tabs and form feeds, a leading space, and \uXXXX
// (UTF-16) for everything outside printable ASCII, which
// Properties.load reads the same from an InputStream or a Reader.
func propertiesEscape(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == ' ' && i == 0:
			b.WriteString(`\ `)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04X\u%04X`, r1, r2)
		}
	}
	return b.String()
}

// envQuote writes v as a .env value: single-quoted (literal in Docker
// Compose, python-dotenv, Node's dotenv and a POSIX shell) when it has no
// quote, backslash or line break; otherwise double-quoted with \\, \",
// \$, \`, \n and \r escapes.
func envQuote(v string) string {
	if !strings.ContainsAny(v, "'\\\n\r") {
		return "'" + v + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch r {
		case '\\', '"', '$', '`':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// parseValues parses text in format and returns every value in it (the
// string leaves of JSON and YAML, the values of env and properties).
func parseValues(format, text string) ([]string, error) {
	switch format {
	case FormatJSON:
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, plainError(err)
		}
		return leaves(v, nil), nil
	case FormatYAML:
		var v any
		if err := yaml.Unmarshal([]byte(text), &v); err != nil {
			return nil, plainError(err)
		}
		return leaves(v, nil), nil
	case FormatProperties:
		m, err := parseProperties(text)
		return mapValues(m), err
	default:
		m, err := parseEnv(text)
		return mapValues(m), err
	}
}

// plainError drops the decoders' quotations of the input, which may hold
// a value, and keeps the position.
func plainError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	}
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		end := i + 5
		for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
			end++
		}
		return fmt.Errorf("syntax error at %s", msg[i:end])
	}
	return fmt.Errorf("syntax error")
}

// leaves collects the string leaves of a decoded JSON or YAML value.
func leaves(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = leaves(e, out)
		}
	case map[string]any:
		for _, e := range x {
			out = leaves(e, out)
		}
	case map[any]any:
		for _, e := range x {
			out = leaves(e, out)
		}
	}
	return out
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// parseEnv reads .env lines: comments, blank lines and [export ]KEY=VALUE
// with VALUE single-quoted (literal), double-quoted (the escapes envQuote
// writes) or bare (to the end of the line, trimmed, up to a " #"
// comment).
func parseEnv(text string) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, maxTemplate*8)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t'\"") {
			return nil, fmt.Errorf("line %d is not KEY=VALUE", n)
		}
		val = strings.TrimLeft(val, " \t")
		switch {
		case strings.HasPrefix(val, "'"):
			end := strings.IndexByte(val[1:], '\'')
			if end < 0 || strings.TrimSpace(val[end+2:]) != "" && !strings.HasPrefix(strings.TrimSpace(val[end+2:]), "#") {
				return nil, fmt.Errorf("line %d has an unterminated or trailing single-quoted value", n)
			}
			val = val[1 : end+1]
		case strings.HasPrefix(val, `"`):
			v, rest, err := envUnquote(val[1:])
			if err != nil || strings.TrimSpace(rest) != "" && !strings.HasPrefix(strings.TrimSpace(rest), "#") {
				return nil, fmt.Errorf("line %d has an unterminated or trailing double-quoted value", n)
			}
			val = v
		default:
			if i := strings.Index(val, " #"); i >= 0 {
				val = val[:i]
			}
			val = strings.TrimSpace(val)
		}
		m[key] = val
	}
	return m, sc.Err()
}

// envUnquote reads a double-quoted value after its opening quote and
// returns it and the text after the closing quote.
func envUnquote(s string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("dangling backslash")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated")
}

// parseProperties reads Java properties as Properties.load does: logical
// lines joined at an odd number of trailing backslashes, comments (#, !),
// keys ended by '=', ':' or whitespace, and the escapes \t \n \r \f
// \uXXXX (other \c is c).
func parseProperties(text string) (map[string]string, error) {
	m := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continued(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if continued(line) {
			line = line[:len(line)-1]
		}
		// The key ends at the first unescaped separator.
		k := 0
		for k < len(line) {
			if line[k] == '\\' {
				k += 2
				continue
			}
			if strings.IndexByte("=: \t\f", line[k]) >= 0 {
				break
			}
			k++
		}
		k = min(k, len(line))
		key, rest := line[:k], line[k:]
		rest = strings.TrimLeft(rest, " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = strings.TrimLeft(rest[1:], " \t\f")
		}
		uk, err := propertiesUnescape(key)
		if err != nil {
			return nil, err
		}
		uv, err := propertiesUnescape(rest)
		if err != nil {
			return nil, err
		}
		m[uk] = uv
	}
	return m, nil
}

// continued reports whether a properties line ends in an odd number of
// backslashes.
func continued(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// propertiesUnescape undoes the escapes of a properties key or value.
func propertiesUnescape(s string) (string, error) {
	var units []uint16
	var b strings.Builder
	flush := func() {
		if len(units) > 0 {
			b.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			flush()
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		switch s[i] {
		case 't':
			flush()
			b.WriteByte('\t')
		case 'n':
			flush()
			b.WriteByte('\n')
		case 'r':
			flush()
			b.WriteByte('\r')
		case 'f':
			flush()
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\uXXXX escape")
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("malformed \\uXXXX escape")
			}
			units = append(units, uint16(n))
			i += 4
		default:
			flush()
			b.WriteByte(s[i])
		}
	}
	flush()
	return b.String(), nil
}
