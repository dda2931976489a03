package emulator

// Loading and validating seeds (the YAML/JSON form of Seed).
//
// ParseSeed decodes through a yaml.Node tree rather than yaml.Unmarshal so
// that every problem can name its line, unknown keys are errors, and all
// problems are reported together. JSON goes through the same path: JSON is
// YAML 1.2 apart from a few string escapes, which seedJSONForYAML rewrites.

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Defaults that Validate fills in. A zero dailyApiRequests,
// sessionTimeoutMinutes, maxLoginAttempts or lockoutMinutes in a seed means
// "use the default" (none of them can usefully be zero); passwordExpiresDays
// is a pointer so that an explicit 0 keeps its meaning "never expires".
const (
	seedDefaultEdition               = "Enterprise"
	seedDefaultDailyAPIRequests      = 100000
	seedDefaultSessionTimeoutMinutes = 120
	seedDefaultPasswordExpiresDays   = 90
	seedDefaultMaxLoginAttempts      = 10
	seedDefaultLockoutMinutes        = 15
	seedDefaultUserLicense           = "Salesforce"
	seedDefaultPermittedUsers        = "all"
	seedDefaultLoginStatus           = "Success"
	seedDefaultLoginType             = "Remote Access 2.0"
	seedDefaultSourceIP              = "127.0.0.1"
	seedDefaultAuditSection          = "Manage Users"
)

// SeedProblem is one problem found in a seed.
type SeedProblem struct {
	File string // the name given to ParseSeed; "" from Validate on a seed built in Go
	Line int    // 1-based line in File; 0 when unknown
	Path string // where in the seed, e.g. orgs[0].users[2].profile; "" when Msg names it
	Msg  string
}

// String formats the problem as "file:line: path: message", leaving out the
// parts that are unknown.
func (p SeedProblem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// SeedError is the error ParseSeed, LoadSeedFile and Validate return: every
// problem found (up to 200, then a count of the rest), sorted by line.
// Error() gives one problem per line.
type SeedError struct {
	Problems []SeedProblem
}

func (e *SeedError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// seedMaxProblems caps the problems reported at once: a seed with more has
// usually one systematic mistake.
const seedMaxProblems = 200

func seedErrorOf(problems []SeedProblem) error {
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	if len(problems) > seedMaxProblems {
		rest := len(problems) - seedMaxProblems
		problems = append(problems[:seedMaxProblems:seedMaxProblems],
			SeedProblem{File: problems[0].File, Msg: fmt.Sprintf("... and %d more problems", rest)})
	}
	return &SeedError{Problems: problems}
}

// ParseSeed decodes a seed in YAML or JSON. name is used in error messages (a
// file name). Decoding is strict: unknown keys, duplicate keys and values of
// the wrong type are errors. The seed is then validated with the same rules
// as Validate, which also fills in defaults. The error, if any, is a
// *SeedError listing every problem with its line.
func ParseSeed(data []byte, name string) (*Seed, error) {
	if name == "" {
		name = "seed"
	}
	root, err := seedParseYAML(data, name)
	if err != nil {
		return nil, err
	}
	budget := 8 * len(data)
	if budget < 200000 {
		budget = 200000
	}
	d := &seedDecoder{
		file:   name,
		lines:  map[string]int{},
		bad:    map[string]bool{},
		budget: budget,
		limit:  budget,
	}
	var s Seed
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		d.errorf(root.Line, "", "empty seed: want a mapping with the key orgs")
		return nil, seedErrorOf(d.problems)
	}
	d.decode(root, reflect.ValueOf(&s).Elem(), "", 0)
	if d.overflow {
		// The tree is incomplete; validating it would only add noise.
		return nil, seedErrorOf(d.problems)
	}
	v := &seedValidator{file: name, lines: d.lines, bad: d.bad, problems: d.problems}
	v.run(&s)
	if err := seedErrorOf(v.problems); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadSeedFile reads and parses a seed file (YAML or JSON). Error messages
// name the file as given.
func LoadSeedFile(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSeed(data, path)
}

// Validate checks references and values and fills defaults (idempotent).
// ParseSeed calls it. On a seed built in Go (like Demo's) problems carry a
// path but no line. The error, if any, is a *SeedError.
//
// Defaults: edition "Enterprise"; dailyApiRequests 100000 (0 means the
// default); settings soapLoginAllowed and usernamePasswordFlowAllowed true,
// sessionTimeoutMinutes 120, passwordExpiresDays 90 (an explicit 0 means
// never), maxLoginAttempts 10, lockoutMinutes 15 (for these three, 0 means
// the default); profile userLicense "Salesforce"; permission set label = name;
// user lastName = the part of the username before '@', email = username,
// active true; connected app permittedUsers "all"; login history status
// "Success", loginType "Remote Access 2.0", sourceIp "127.0.0.1"; audit trail
// section "Manage Users" and by = the org's first user with ManageUsers; org
// id generated from the org name (stable across restarts), and a 15-character
// org id is extended to its 18-character form. Times that default to the
// emulator's clock (lastPasswordChange, issuedAt) stay nil. References to
// users are case-insensitive, as Salesforce usernames are, and are rewritten
// to the username's spelling in the seed.
func (s *Seed) Validate() error {
	if s == nil {
		return seedErrorOf([]SeedProblem{{Msg: "nil seed"}})
	}
	v := &seedValidator{}
	v.run(s)
	return seedErrorOf(v.problems)
}

// ---------------------------------------------------------------------------
// YAML parsing

var seedYAMLLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// seedParseYAML parses data as one YAML document and returns its root node.
func seedParseYAML(data []byte, file string) (*yaml.Node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if json.Valid(data) {
		data = seedJSONForYAML(data)
	}
	docs, err := seedYAMLDocuments(data, 2)
	if err != nil {
		return nil, seedYAMLError(file, data, err)
	}
	switch {
	case len(docs) == 0 || docs[0].Kind == yaml.DocumentNode && len(docs[0].Content) == 0:
		return nil, seedErrorOf([]SeedProblem{{File: file, Line: 1, Msg: "empty seed: want a mapping with the key orgs"}})
	case len(docs) > 1:
		return nil, seedErrorOf([]SeedProblem{{File: file, Line: docs[1].Line, Msg: "more than one YAML document: a seed is a single document"}})
	case docs[0].Kind == yaml.DocumentNode:
		return docs[0].Content[0], nil
	}
	return docs[0], nil
}

// seedYAMLDocuments parses up to limit documents from data.
func seedYAMLDocuments(data []byte, limit int) (docs []*yaml.Node, err error) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; never let it take
		// the emulator down.
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for len(docs) < limit {
		doc := new(yaml.Node)
		if err := dec.Decode(doc); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, err
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// seedYAMLError turns a yaml.v3 syntax error into a SeedError.
func seedYAMLError(file string, data []byte, err error) error {
	msg := err.Error()
	p := SeedProblem{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
	if m := seedYAMLLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
		p.Line = seedRefineErrorLine(data, p.Line, p.Msg)
	}
	return seedErrorOf([]SeedProblem{p})
}

// seedRefineMaxBytes bounds the size of documents whose syntax error lines
// seedRefineErrorLine refines.
const seedRefineMaxBytes = 256 << 10

// seedRefineErrorLine finds the line a YAML syntax error is really on.
// yaml.v3 reports parser errors at the start of the enclosing block (a
// "did not find expected key" three lines below "orgs:" is reported on the
// "orgs:" line), so this looks for the shortest prefix of whole lines,
// starting at the reported line, that fails with the same message.
func seedRefineErrorLine(data []byte, line int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	same := func(k int) bool {
		_, err := seedYAMLDocuments(bytes.Join(lines[:k], nil), 1<<30)
		if err == nil {
			return false
		}
		m := seedYAMLLineRE.FindStringSubmatch(err.Error())
		return m != nil && m[2] == msg
	}
	// data fails as a whole; the search costs about log2(lines) parses of
	// up to len(data) bytes, so big files keep yaml.v3's line.
	lo, hi := max(line, 1), len(lines)
	if lo >= hi || len(data) > seedRefineMaxBytes {
		return line
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if same(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// seedJSONForYAML rewrites the string escapes that JSON has and YAML lacks
// (\/ and UTF-16 surrogate pairs), and escapes characters that JSON allows
// raw in strings but YAML does not (C1 controls, DEL, U+2028/9, U+FEFF).
// data must be valid JSON. Line numbers are unchanged: JSON strings hold no
// raw newlines.
func seedJSONForYAML(data []byte) []byte {
	out := make([]byte, 0, len(data)+16)
	inString := false
	for i := 0; i < len(data); {
		c := data[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			out = append(out, c)
			i++
			continue
		}
		switch {
		case c == '"':
			inString = false
			out = append(out, c)
			i++
		case c == '\\' && i+1 < len(data):
			switch data[i+1] {
			case '/':
				out = append(out, '/')
				i += 2
			case 'u':
				r, ok := seedHex4(data, i+2)
				if !ok { // cannot happen in valid JSON
					out = append(out, c)
					i++
					continue
				}
				n := 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if i+11 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
						r2, ok2 = seedHex4(data, i+8)
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r = dec
						n = 12
					} else {
						r = utf8.RuneError
					}
					out = fmt.Appendf(out, `\U%08X`, r)
				} else {
					out = append(out, data[i:i+n]...)
				}
				i += n
			default:
				out = append(out, c, data[i+1])
				i += 2
			}
		case c < utf8.RuneSelf:
			if c == 0x7f {
				out = append(out, `\u007F`...)
			} else {
				out = append(out, c)
			}
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff {
				out = fmt.Appendf(out, `\u%04X`, r)
			} else {
				out = append(out, data[i:i+size]...)
			}
			i += size
		}
	}
	return out
}

func seedHex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(data[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// ---------------------------------------------------------------------------
// Decoding a yaml.Node tree into Seed

type seedDecoder struct {
	file     string
	problems []SeedProblem
	lines    map[string]int  // path -> line, for later validation messages
	bad      map[string]bool // paths whose value had the wrong type
	budget   int             // nodes left to visit (aliases can multiply a document)
	limit    int             // the initial budget
	overflow bool
	hints    map[string]string // unknown key -> suggestion, memoized
}

var (
	seedTimeType   = reflect.TypeFor[time.Time]()
	seedPolicyType = reflect.TypeFor[RefreshTokenPolicy]()
)

type seedField struct {
	key   string
	index int
}

var seedFieldCache sync.Map // reflect.Type -> []seedField

func seedFields(t reflect.Type) []seedField {
	if f, ok := seedFieldCache.Load(t); ok {
		return f.([]seedField)
	}
	var fields []seedField
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields = append(fields, seedField{key: name, index: i})
	}
	seedFieldCache.Store(t, fields)
	return fields
}

func (d *seedDecoder) errorf(line int, path, format string, args ...any) {
	d.problems = append(d.problems, SeedProblem{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// typeErrorf reports a value of the wrong type at path and marks the path so
// that validation does not pile further problems on it.
func (d *seedDecoder) typeErrorf(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.errorf(n.Line, path, format, args...)
}

// wrongKind reports a node of the wrong kind: want is e.g. "a mapping".
func (d *seedDecoder) wrongKind(n *yaml.Node, path, want string) {
	d.typeErrorf(n, path, "expected %s, found %s", want, seedDescribe(n))
}

func seedDescribe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

func seedWhere(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

func seedJoin(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows aliases.
func (d *seedDecoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// spend takes k nodes from the budget and reports whether any were left.
func (d *seedDecoder) spend(k, line int) bool {
	if d.overflow {
		return false
	}
	d.budget -= k
	if d.budget < 0 {
		d.overflow = true
		d.errorf(line, "", "seed too large: aliases expand it beyond %d nodes", d.limit)
		return false
	}
	return true
}

// decode decodes n into v. line is the line of n's key, if any, which is
// where problems with the whole value are reported. It reports whether the
// value had the expected type.
func (d *seedDecoder) decode(n *yaml.Node, v reflect.Value, path string, line int) bool {
	n = d.resolve(n)
	if n == nil || n.Kind == yaml.AliasNode {
		return false
	}
	if !d.spend(1, n.Line) {
		return false
	}
	if line == 0 {
		line = n.Line
	}
	if _, seen := d.lines[path]; !seen {
		d.lines[path] = line
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero()
		return true
	}
	return d.decodeValue(n, v, path)
}

func (d *seedDecoder) decodeValue(n *yaml.Node, v reflect.Value, path string) bool {
	t := v.Type()
	switch t {
	case seedTimeType:
		return d.decodeTime(n, v, path)
	case seedPolicyType:
		return d.decodePolicy(n, v, path)
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if !d.decodeValue(n, p.Elem(), path) {
			return false
		}
		v.Set(p)
		return true
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.wrongKind(n, path, "a list")
			return false
		}
		if !d.spend(len(n.Content), n.Line) {
			return false
		}
		d.budget += len(n.Content) // reserved only: each element spends its own
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i), 0)
		}
		v.Set(s)
		return true
	case reflect.Map:
		return d.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.wrongKind(n, path, "a string")
			return false
		}
		v.SetString(n.Value)
		return true
	case reflect.Int:
		i, ok := d.scalarInt(n, path)
		if ok {
			v.SetInt(int64(i))
		}
		return ok
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			d.wrongKind(n, path, "true or false")
			return false
		}
		b, ok := seedParseBool(n)
		if !ok {
			d.typeErrorf(n, path, "%q is not a boolean (use true or false)", n.Value)
			return false
		}
		v.SetBool(b)
		return true
	}
	// A field type added to seed.go without support here; see
	// TestSeedDecoderSupportsSeedTypes.
	d.typeErrorf(n, path, "internal error: the seed decoder cannot decode %s", t)
	return false
}

func seedParseBool(n *yaml.Node) (bool, bool) {
	if n.ShortTag() != "!!bool" {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on", "y":
		return true, true
	case "false", "no", "off", "n":
		return false, true
	}
	return false, false
}

func (d *seedDecoder) scalarInt(n *yaml.Node, path string) (int, bool) {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, "an integer")
		return 0, false
	}
	if n.ShortTag() != "!!int" {
		d.typeErrorf(n, path, "%q is not an integer", n.Value)
		return 0, false
	}
	i, err := strconv.ParseInt(n.Value, 0, 64)
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		d.typeErrorf(n, path, "%q is out of range", n.Value)
		return 0, false
	}
	return int(i), true
}

func (d *seedDecoder) decodeTime(n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, "a time")
		return false
	}
	t, ok := seedParseTime(n.Value)
	if !ok {
		d.typeErrorf(n, path, "%q is not a time (use RFC 3339, e.g. 2026-01-05T00:00:00Z, or a date, e.g. 2026-01-05)", n.Value)
		return false
	}
	v.Set(reflect.ValueOf(t))
	return true
}

func seedParseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

const seedPolicyHelp = "use valid_until_revoked, {expireAfterHours: N} or {idleHours: N}"

func (d *seedDecoder) decodePolicy(n *yaml.Node, v reflect.Value, path string) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value != "valid_until_revoked" {
			d.typeErrorf(n, path, "%q is not a refresh token policy (%s)", n.Value, seedPolicyHelp)
			return false
		}
		v.SetZero()
		return true
	case yaml.MappingNode:
	default:
		d.wrongKind(n, path, "a refresh token policy ("+seedPolicyHelp+")")
		return false
	}
	var p RefreshTokenPolicy
	known := []string{"expireAfterHours", "idleHours"}
	seen := map[string]int{}
	ok := true
	for _, kv := range d.mappingPairs(n, 0) {
		key, ok2 := d.key(kv.key, path)
		if !ok2 {
			ok = false
			continue
		}
		if first, dup := seen[key]; dup {
			d.errorf(kv.key.Line, "", "duplicate key %q %s (first at line %d)", key, seedWhere(path), first)
			continue
		}
		seen[key] = kv.key.Line
		if !slices.Contains(known, key) {
			d.unknownKey(kv.key.Line, key, path, known)
			ok = false
			continue
		}
		kp := seedJoin(path, key)
		val := d.resolve(kv.val)
		if val == nil || !d.spend(1, kv.key.Line) {
			return false
		}
		d.lines[kp] = kv.key.Line
		hours, good := d.scalarInt(val, kp)
		if !good {
			ok = false
			continue
		}
		if hours <= 0 {
			d.typeErrorf(val, kp, "must be a positive number of hours, got %d", hours)
			ok = false
			continue
		}
		if key == "expireAfterHours" {
			p.ExpireAfterHours = hours
		} else {
			p.IdleHours = hours
		}
	}
	if len(seen) != 1 {
		d.typeErrorf(n, path, "give exactly one of expireAfterHours or idleHours (%s)", seedPolicyHelp)
		return false
	}
	if ok {
		v.Set(reflect.ValueOf(p))
	}
	return ok
}

// key returns the text of a mapping key.
func (d *seedDecoder) key(k *yaml.Node, path string) (string, bool) {
	k = d.resolve(k)
	if k == nil || k.Kind != yaml.ScalarNode {
		line := 0
		if k != nil {
			line = k.Line
		}
		d.errorf(line, "", "keys %s must be strings", seedWhere(path))
		return "", false
	}
	return k.Value, true
}

func (d *seedDecoder) unknownKey(line int, key, path string, known []string) {
	memoKey := known[0] + "\x00" + key
	hint, ok := d.hints[memoKey]
	if !ok && len(d.problems) < seedMaxProblems { // hints past the cap would not be shown
		if s := seedSuggest(key, known); s != "" {
			hint = fmt.Sprintf("; did you mean %q?", s)
		}
		if d.hints == nil {
			d.hints = map[string]string{}
		}
		d.hints[memoKey] = hint
	}
	d.errorf(line, "", "unknown key %q %s (known keys: %s%s)", key, seedWhere(path), strings.Join(known, ", "), hint)
}

type seedPair struct{ key, val *yaml.Node }

// mappingPairs returns the pairs of mapping n with merge keys (<<: *anchor)
// expanded. Keys written in n win over merged ones; among merged mappings
// the first wins.
func (d *seedDecoder) mappingPairs(n *yaml.Node, depth int) []seedPair {
	var explicit, merged []seedPair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			explicit = append(explicit, seedPair{k, val})
			continue
		}
		if depth >= 8 {
			d.errorf(k.Line, "", "merge keys (<<) nested too deeply")
			continue
		}
		m := d.resolve(val)
		if m == nil || !d.spend(1, k.Line) {
			continue
		}
		var sources []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{m}
		case yaml.SequenceNode:
			for _, c := range m.Content {
				sources = append(sources, d.resolve(c))
			}
		}
		if len(sources) == 0 {
			d.errorf(k.Line, "", "a merge key (<<) needs a mapping or a list of mappings")
			continue
		}
		for _, src := range sources {
			if src == nil || src.Kind != yaml.MappingNode {
				d.errorf(k.Line, "", "a merge key (<<) needs a mapping or a list of mappings")
				continue
			}
			if !d.spend(len(src.Content)/2+1, k.Line) {
				return explicit
			}
			merged = append(merged, d.mappingPairs(src, depth+1)...)
		}
	}
	if len(merged) == 0 {
		return explicit
	}
	seen := map[string]bool{}
	for _, p := range explicit {
		if k := d.resolve(p.key); k != nil && k.Kind == yaml.ScalarNode {
			seen[k.Value] = true
		}
	}
	out := explicit
	for _, p := range merged {
		k := d.resolve(p.key)
		if k == nil || k.Kind != yaml.ScalarNode || seen[k.Value] {
			continue
		}
		seen[k.Value] = true
		out = append(out, p)
	}
	return out
}

func (d *seedDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind != yaml.MappingNode {
		want := "a mapping"
		if path == "" {
			want = "a mapping with the key orgs"
		}
		d.wrongKind(n, path, want)
		return false
	}
	fields := seedFields(v.Type())
	seen := map[string]int{}
	for _, kv := range d.mappingPairs(n, 0) {
		key, ok := d.key(kv.key, path)
		if !ok {
			continue
		}
		kline := d.resolve(kv.key).Line
		if first, dup := seen[key]; dup {
			d.errorf(kline, "", "duplicate key %q %s (first at line %d)", key, seedWhere(path), first)
			continue
		}
		seen[key] = kline
		i := slices.IndexFunc(fields, func(f seedField) bool { return f.key == key })
		if i < 0 {
			known := make([]string, len(fields))
			for j, f := range fields {
				known[j] = f.key
			}
			d.unknownKey(kline, key, path, known)
			continue
		}
		d.decode(kv.val, v.Field(fields[i].index), seedJoin(path, key), kline)
	}
	return true
}

func (d *seedDecoder) decodeMap(n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "a mapping")
		return false
	}
	t := v.Type()
	m := reflect.MakeMap(t)
	seen := map[string]int{}
	for _, kv := range d.mappingPairs(n, 0) {
		key, ok := d.key(kv.key, path)
		if !ok {
			continue
		}
		kline := d.resolve(kv.key).Line
		if first, dup := seen[key]; dup {
			d.errorf(kline, "", "duplicate key %q %s (first at line %d)", key, seedWhere(path), first)
			continue
		}
		seen[key] = kline
		ev := reflect.New(t.Elem()).Elem()
		d.decode(kv.val, ev, seedJoin(path, key), kline)
		m.SetMapIndex(reflect.ValueOf(key), ev)
	}
	v.Set(m)
	return true
}

// ---------------------------------------------------------------------------
// Validation

type seedValidator struct {
	file     string
	lines    map[string]int  // from the decoder; nil for seeds built in Go
	bad      map[string]bool // paths the decoder already complained about
	problems []SeedProblem
	memo     map[string]string // results of costly checks (aliases can repeat a value many times)
}

// memoized returns f(), computed once per key.
func (v *seedValidator) memoized(key string, f func() string) string {
	if r, ok := v.memo[key]; ok {
		return r
	}
	if v.memo == nil {
		v.memo = map[string]string{}
	}
	r := f()
	v.memo[key] = r
	return r
}

func seedParentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// line returns the line of path, or of its nearest ancestor with a line.
func (v *seedValidator) line(path string) int {
	if v.lines == nil {
		return 0
	}
	for {
		if l, ok := v.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = seedParentPath(path)
	}
}

func (v *seedValidator) suppressed(path string) bool {
	if len(v.bad) == 0 {
		return false
	}
	for {
		if v.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = seedParentPath(path)
	}
}

func (v *seedValidator) add(path, format string, args ...any) {
	if v.suppressed(path) {
		return
	}
	v.problems = append(v.problems, SeedProblem{File: v.file, Line: v.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// ref names path for "also ..." messages, with its line when known.
func (v *seedValidator) ref(path string) string {
	if l := v.line(path); l > 0 {
		return fmt.Sprintf("%s at line %d", path, l)
	}
	return path
}

// seedOrgRefs are the names an org's records can refer to.
type seedOrgRefs struct {
	org      *SeedOrg
	profiles map[string]string // name -> path
	permSets map[string]string // name -> path
	users    map[string]string // lower-case username -> username as written
	apps     map[string]string // name -> path
	hints    map[string]string // cached seedListHint results, by what
}

// hint lists the names in m for a "not found" message. Every name is
// registered before the first lookup, so the result is computed once.
func (r *seedOrgRefs) hint(what string, m map[string]string) string {
	if h, ok := r.hints[what]; ok {
		return h
	}
	if r.hints == nil {
		r.hints = map[string]string{}
	}
	h := seedListHint(what, seedKeys(m))
	r.hints[what] = h
	return h
}

func (v *seedValidator) run(s *Seed) {
	if len(s.Orgs) == 0 {
		v.add("orgs", "at least one org is required")
		return
	}
	// Which org each username belongs to, for hints in "not found" messages.
	userOrg := map[string]string{}
	for i := range s.Orgs {
		for _, u := range s.Orgs[i].Users {
			if _, ok := userOrg[strings.ToLower(u.Username)]; !ok {
				userOrg[strings.ToLower(u.Username)] = s.Orgs[i].Name
			}
		}
	}
	orgNames := map[string]string{}
	orgIDs := map[string]string{} // 15-char id -> path
	usernames := map[string]string{}
	consumerKeys := map[string]string{}
	tokens := map[string]string{}
	for i := range s.Orgs {
		o := &s.Orgs[i]
		p := fmt.Sprintf("orgs[%d]", i)
		if o.ID != "" {
			id, msg := seedNormalizeOrgID(o.ID)
			if msg != "" {
				v.add(p+".id", "%s", msg)
			} else {
				o.ID = id
				if other, dup := orgIDs[id[:15]]; dup {
					v.add(p+".id", "duplicate org id %q (also %s)", id, v.ref(other))
				} else {
					orgIDs[id[:15]] = p + ".id"
				}
			}
		}
		if strings.TrimSpace(o.Name) == "" {
			v.add(p+".name", "is required")
		} else if other, dup := orgNames[o.Name]; dup {
			v.add(p+".name", "duplicate org name %q (also %s)", o.Name, v.ref(other))
		} else {
			orgNames[o.Name] = p + ".name"
		}
		if o.Edition == "" {
			o.Edition = seedDefaultEdition
		}
		switch {
		case o.DailyAPIRequests < 0:
			v.add(p+".dailyApiRequests", "must be >= 0 (0 means the default, %d), got %d", seedDefaultDailyAPIRequests, o.DailyAPIRequests)
		case o.DailyAPIRequests == 0:
			o.DailyAPIRequests = seedDefaultDailyAPIRequests
		}
		v.settings(p+".settings", &o.Settings)

		refs := &seedOrgRefs{org: o, profiles: map[string]string{}, permSets: map[string]string{}, users: map[string]string{}, apps: map[string]string{}}
		for j := range o.Profiles {
			v.profile(fmt.Sprintf("%s.profiles[%d]", p, j), &o.Profiles[j], refs)
		}
		for j := range o.PermissionSets {
			v.permissionSet(fmt.Sprintf("%s.permissionSets[%d]", p, j), &o.PermissionSets[j], refs)
		}
		for j := range o.Users {
			v.user(fmt.Sprintf("%s.users[%d]", p, j), &o.Users[j], refs, usernames)
		}
		findUser := func(path, username string) (string, bool) {
			if strings.TrimSpace(username) == "" {
				v.add(path, "is required")
				return "", false
			}
			if canon, ok := refs.users[strings.ToLower(username)]; ok {
				return canon, true
			}
			hint := ""
			if other, ok := userOrg[strings.ToLower(username)]; ok && other != o.Name {
				hint = fmt.Sprintf(" (it is a user of org %q)", other)
			}
			v.add(path, "user %q not found in org %q%s", username, o.Name, hint)
			return "", false
		}
		for j := range o.ConnectedApps {
			v.connectedApp(fmt.Sprintf("%s.connectedApps[%d]", p, j), &o.ConnectedApps[j], refs, consumerKeys, findUser)
		}
		for j := range o.RefreshTokens {
			rp := fmt.Sprintf("%s.refreshTokens[%d]", p, j)
			t := &o.RefreshTokens[j]
			if canon, ok := findUser(rp+".user", t.User); ok {
				t.User = canon
			}
			switch {
			case t.App == "":
				v.add(rp+".app", "is required")
			case refs.apps[t.App] == "":
				v.add(rp+".app", "connected app %q not found in org %q%s", t.App, o.Name, refs.hint("connected apps", refs.apps))
			}
			switch {
			case t.Token == "":
				v.add(rp+".token", "is required")
			case tokens[t.Token] != "":
				v.add(rp+".token", "duplicate refresh token (also %s)", v.ref(tokens[t.Token]))
			default:
				tokens[t.Token] = rp + ".token"
			}
		}
		for j := range o.LoginHistory {
			hp := fmt.Sprintf("%s.loginHistory[%d]", p, j)
			h := &o.LoginHistory[j]
			if canon, ok := findUser(hp+".user", h.User); ok {
				h.User = canon
			}
			if h.Time.IsZero() {
				v.add(hp+".time", "is required")
			}
			if h.Status == "" {
				h.Status = seedDefaultLoginStatus
			}
			if h.LoginType == "" {
				h.LoginType = seedDefaultLoginType
			}
			if h.SourceIP == "" {
				h.SourceIP = seedDefaultSourceIP
			} else if a, err := netip.ParseAddr(h.SourceIP); err != nil || a.Zone() != "" {
				v.add(hp+".sourceIp", "%q is not an IP address", h.SourceIP)
			}
		}
		defaultBy, defaultByDone := "", false
		for j := range o.AuditTrail {
			ap := fmt.Sprintf("%s.auditTrail[%d]", p, j)
			a := &o.AuditTrail[j]
			if a.Time.IsZero() {
				v.add(ap+".time", "is required")
			}
			if strings.TrimSpace(a.Action) == "" {
				v.add(ap+".action", "is required")
			}
			if a.Section == "" {
				a.Section = seedDefaultAuditSection
			}
			if a.By == "" {
				if !defaultByDone {
					defaultBy, defaultByDone = seedFirstUserWith(o, "ManageUsers"), true
				}
				if defaultBy != "" {
					a.By = defaultBy
				} else {
					v.add(ap+".by", "is required: no user of org %q has ManageUsers to default to", o.Name)
				}
			} else if canon, ok := findUser(ap+".by", a.By); ok {
				a.By = canon
			}
		}
	}
	// Generate the missing org ids last, so they cannot collide with given ones.
	for i := range s.Orgs {
		o := &s.Orgs[i]
		if o.ID != "" {
			continue
		}
		for n := 0; ; n++ {
			id := seedGenerateOrgID(o.Name, n)
			if _, dup := orgIDs[id[:15]]; !dup {
				o.ID = id
				orgIDs[id[:15]] = fmt.Sprintf("orgs[%d].id", i)
				break
			}
		}
	}
}

func (v *seedValidator) settings(p string, st *SeedSettings) {
	if st.SOAPLoginAllowed == nil {
		st.SOAPLoginAllowed = seedPtr(true)
	}
	if st.UsernamePasswordFlowAllowed == nil {
		st.UsernamePasswordFlowAllowed = seedPtr(true)
	}
	v.defaultInt(p+".sessionTimeoutMinutes", &st.SessionTimeoutMinutes, seedDefaultSessionTimeoutMinutes)
	if st.PasswordExpiresDays == nil {
		st.PasswordExpiresDays = seedPtr(seedDefaultPasswordExpiresDays)
	} else if *st.PasswordExpiresDays < 0 {
		v.add(p+".passwordExpiresDays", "must be >= 0 (0 means passwords never expire), got %d", *st.PasswordExpiresDays)
	}
	v.defaultInt(p+".maxLoginAttempts", &st.MaxLoginAttempts, seedDefaultMaxLoginAttempts)
	v.defaultInt(p+".lockoutMinutes", &st.LockoutMinutes, seedDefaultLockoutMinutes)
	for k, r := range st.TrustedIPRanges {
		v.ipRange(fmt.Sprintf("%s.trustedIpRanges[%d]", p, k), r)
	}
}

func (v *seedValidator) defaultInt(path string, x *int, def int) {
	switch {
	case *x < 0:
		v.add(path, "must be >= 0 (0 means the default, %d), got %d", def, *x)
	case *x == 0:
		*x = def
	}
}

func seedPtr[T any](x T) *T { return &x }

func (v *seedValidator) profile(p string, pr *SeedProfile, refs *seedOrgRefs) {
	if strings.TrimSpace(pr.Name) == "" {
		v.add(p+".name", "is required")
	} else if other, dup := refs.profiles[pr.Name]; dup {
		v.add(p+".name", "duplicate profile name %q (also %s)", pr.Name, v.ref(other))
	} else {
		refs.profiles[pr.Name] = p + ".name"
	}
	if pr.UserLicense == "" {
		pr.UserLicense = seedDefaultUserLicense
	}
	v.systemPermissions(p+".permissions", pr.Permissions)
	v.objects(p+".objects", pr.Objects)
	for k, r := range pr.LoginIPRanges {
		v.ipRange(fmt.Sprintf("%s.loginIpRanges[%d]", p, k), r)
	}
	for _, day := range seedKeys(pr.LoginHours) {
		dp := p + ".loginHours." + day
		if !slices.Contains(seedWeekdays, day) {
			hint := v.memoized("day\x00"+day, func() string {
				if s := seedSuggest(day, seedWeekdays); s != "" {
					return fmt.Sprintf("; did you mean %q?", s)
				}
				return ""
			})
			v.add(dp, "unknown weekday %q (want monday, tuesday, wednesday, thursday, friday, saturday or sunday%s)", day, hint)
			continue
		}
		if _, _, msg := seedParseWindow(pr.LoginHours[day]); msg != "" {
			v.add(dp, "%s", msg)
		}
	}
}

func (v *seedValidator) permissionSet(p string, ps *SeedPermissionSet, refs *seedOrgRefs) {
	if strings.TrimSpace(ps.Name) == "" {
		v.add(p+".name", "is required")
	} else if other, dup := refs.permSets[ps.Name]; dup {
		v.add(p+".name", "duplicate permission set name %q (also %s)", ps.Name, v.ref(other))
	} else {
		refs.permSets[ps.Name] = p + ".name"
	}
	if ps.Label == "" {
		ps.Label = ps.Name
	}
	v.systemPermissions(p+".permissions", ps.Permissions)
	v.objects(p+".objects", ps.Objects)
}

func (v *seedValidator) user(p string, u *SeedUser, refs *seedOrgRefs, usernames map[string]string) {
	o := refs.org
	switch {
	case strings.TrimSpace(u.Username) == "":
		v.add(p+".username", "is required")
	case !seedEmailShaped(u.Username):
		v.add(p+".username", "%q is not email-shaped (want name@domain.tld)", u.Username)
	}
	if u.Username != "" {
		lower := strings.ToLower(u.Username)
		if other, dup := usernames[lower]; dup {
			v.add(p+".username", "duplicate username %q (also %s; usernames are unique across all orgs)", u.Username, v.ref(other))
		} else {
			usernames[lower] = p + ".username"
		}
		if _, dup := refs.users[lower]; !dup {
			refs.users[lower] = u.Username
		}
	}
	if u.LastName == "" {
		local, _, _ := strings.Cut(u.Username, "@")
		u.LastName = local
	}
	if u.Email == "" {
		u.Email = u.Username
	} else if u.Email != u.Username && !seedEmailShaped(u.Email) {
		v.add(p+".email", "%q is not an email address", u.Email)
	}
	switch {
	case u.Profile == "":
		v.add(p+".profile", "is required")
	case refs.profiles[u.Profile] == "":
		v.add(p+".profile", "profile %q not found in org %q%s", u.Profile, o.Name, refs.hint("profiles", refs.profiles))
	}
	assigned := map[string]bool{}
	for k, name := range u.PermissionSets {
		pp := fmt.Sprintf("%s.permissionSets[%d]", p, k)
		switch {
		case refs.permSets[name] == "":
			v.add(pp, "permission set %q not found in org %q%s", name, o.Name, refs.hint("permission sets", refs.permSets))
		case assigned[name]:
			v.add(pp, "permission set %q is assigned twice", name)
		}
		assigned[name] = true
	}
	if u.Active == nil {
		u.Active = seedPtr(true)
	}
}

func (v *seedValidator) connectedApp(p string, a *SeedConnectedApp, refs *seedOrgRefs, consumerKeys map[string]string, findUser func(path, username string) (string, bool)) {
	o := refs.org
	if strings.TrimSpace(a.Name) == "" {
		v.add(p+".name", "is required")
	} else if other, dup := refs.apps[a.Name]; dup {
		v.add(p+".name", "duplicate connected app name %q (also %s)", a.Name, v.ref(other))
	} else {
		refs.apps[a.Name] = p + ".name"
	}
	switch {
	case strings.TrimSpace(a.ConsumerKey) == "":
		v.add(p+".consumerKey", "is required")
	case consumerKeys[a.ConsumerKey] != "":
		v.add(p+".consumerKey", "duplicate consumer key %q (also %s; consumer keys are unique across all orgs)", a.ConsumerKey, v.ref(consumerKeys[a.ConsumerKey]))
	default:
		consumerKeys[a.ConsumerKey] = p + ".consumerKey"
	}
	if a.CallbackURL != "" {
		if u, err := url.Parse(a.CallbackURL); err != nil || u.Scheme == "" {
			v.add(p+".callbackUrl", "%q is not an absolute URL", a.CallbackURL)
		}
	}
	if a.Certificate != "" {
		if msg := v.memoized("cert\x00"+a.Certificate, func() string { return seedCheckCertificate(a.Certificate) }); msg != "" {
			v.add(p+".certificate", "%s", msg)
		}
	}
	switch a.PermittedUsers {
	case "":
		a.PermittedUsers = seedDefaultPermittedUsers
	case "all", "admin_approved":
	default:
		v.add(p+".permittedUsers", "%q is not all or admin_approved", a.PermittedUsers)
	}
	for k, name := range a.PreAuthorizedProfiles {
		if refs.profiles[name] == "" {
			v.add(fmt.Sprintf("%s.preAuthorizedProfiles[%d]", p, k), "profile %q not found in org %q%s", name, o.Name, refs.hint("profiles", refs.profiles))
		}
	}
	for k, name := range a.PreAuthorizedPermSets {
		if refs.permSets[name] == "" {
			v.add(fmt.Sprintf("%s.preAuthorizedPermissionSets[%d]", p, k), "permission set %q not found in org %q%s", name, o.Name, refs.hint("permission sets", refs.permSets))
		}
	}
	if a.RefreshTokenPolicy.ExpireAfterHours < 0 {
		v.add(p+".refreshTokenPolicy.expireAfterHours", "must be a positive number of hours, got %d", a.RefreshTokenPolicy.ExpireAfterHours)
	}
	if a.RefreshTokenPolicy.IdleHours < 0 {
		v.add(p+".refreshTokenPolicy.idleHours", "must be a positive number of hours, got %d", a.RefreshTokenPolicy.IdleHours)
	}
	if a.ClientCredentialsUser != "" {
		if canon, ok := findUser(p+".clientCredentialsUser", a.ClientCredentialsUser); ok {
			a.ClientCredentialsUser = canon
		}
	}
}

func (v *seedValidator) systemPermissions(path string, perms []string) {
	for k, perm := range perms {
		if !IsSystemPermission(perm) {
			hint := ""
			if len(v.problems) < seedMaxProblems { // hints past the cap would not be shown
				hint = v.memoized("perm\x00"+perm, func() string { return seedPermissionHint(perm) })
			}
			v.add(fmt.Sprintf("%s[%d]", path, k), "unknown system permission %q%s", perm, hint)
		}
	}
}

var seedObjectNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func (v *seedValidator) objects(path string, objs map[string][]string) {
	for _, name := range seedKeys(objs) {
		op := path + "." + name
		if !seedObjectNameRE.MatchString(name) {
			v.add(op, "%q is not an object API name", name)
			continue
		}
		for k, perm := range objs[name] {
			if slices.Contains(ObjectPermissionNames, perm) {
				continue
			}
			hint := v.memoized("objperm\x00"+perm, func() string {
				if s := seedSuggest(perm, ObjectPermissionNames); s != "" {
					return fmt.Sprintf("; did you mean %q?", s)
				}
				return ""
			})
			v.add(fmt.Sprintf("%s[%d]", op, k), "unknown object permission %q (want Read, Create, Edit, Delete, ViewAll or ModifyAll%s)", perm, hint)
		}
	}
}

func (v *seedValidator) ipRange(p string, r SeedIPRange) {
	start, okStart := v.ip(p+".start", r.Start)
	end, okEnd := v.ip(p+".end", r.End)
	if !okStart || !okEnd {
		return
	}
	switch {
	case start.Is4() != end.Is4():
		v.add(p, "start %s and end %s are different IP versions", start, end)
	case end.Less(start):
		v.add(p, "start %s is after end %s", start, end)
	}
}

func (v *seedValidator) ip(path, s string) (netip.Addr, bool) {
	if s == "" {
		v.add(path, "is required")
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		v.add(path, "%q is not an IP address", s)
		return netip.Addr{}, false
	}
	return a, true
}

// ---------------------------------------------------------------------------
// Helpers

var seedWeekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// seedParseWindow parses a login-hours window "HH:MM-HH:MM" into minutes
// since midnight, start inclusive and end exclusive; start must be before end
// (a window cannot cross midnight: split it over two days). msg is non-empty
// when s is malformed.
func seedParseWindow(s string) (start, end int, msg string) {
	bad := fmt.Sprintf("%q is not a time window (want HH:MM-HH:MM, e.g. 06:00-20:00)", s)
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, bad
	}
	start, ok1 := seedParseClock(a)
	end, ok2 := seedParseClock(b)
	if !ok1 || !ok2 {
		return 0, 0, bad
	}
	if start >= end {
		return 0, 0, fmt.Sprintf("%q: start must be before end", s)
	}
	return start, end, ""
}

func seedParseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// seedEmailShaped reports whether s looks like name@domain.tld (Salesforce
// usernames must).
func seedEmailShaped(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || len(s) > 254 {
		return false
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, c := range []byte(local) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`@<>()[]\,;:"`, c) >= 0 {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// seedCheckCertificate returns what is wrong with a connected app's PEM
// certificate, or "". Like the emulator, it also takes a PEM PUBLIC KEY.
func seedCheckCertificate(text string) string {
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return "no PEM certificate found (want a -----BEGIN CERTIFICATE----- block)"
		}
		switch block.Type {
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return "invalid certificate: " + err.Error()
			}
			if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
				return fmt.Sprintf("the certificate's public key is %s; the JWT bearer flow needs RSA", cert.PublicKeyAlgorithm)
			}
			return ""
		case "PUBLIC KEY":
			key, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return "invalid public key: " + err.Error()
			}
			if _, ok := key.(*rsa.PublicKey); !ok {
				return fmt.Sprintf("the public key is %T; the JWT bearer flow needs RSA", key)
			}
			return ""
		}
	}
}

// seedUserPermissions returns the system permissions of user u in org o:
// its profile's and its permission sets'.
func seedUserPermissions(o *SeedOrg, u *SeedUser) map[string]bool {
	perms := map[string]bool{}
	for _, p := range o.Profiles {
		if p.Name == u.Profile {
			for _, x := range p.Permissions {
				perms[x] = true
			}
		}
	}
	assigned := map[string]bool{}
	for _, name := range u.PermissionSets {
		assigned[name] = true
	}
	for _, ps := range o.PermissionSets {
		if assigned[ps.Name] {
			for _, x := range ps.Permissions {
				perms[x] = true
			}
		}
	}
	return perms
}

// seedFirstUserWith returns the first user of o who has perm, or "".
func seedFirstUserWith(o *SeedOrg, perm string) string {
	profiles, sets := map[string]bool{}, map[string]bool{}
	for _, p := range o.Profiles {
		if slices.Contains(p.Permissions, perm) {
			profiles[p.Name] = true
		}
	}
	for _, ps := range o.PermissionSets {
		if slices.Contains(ps.Permissions, perm) {
			sets[ps.Name] = true
		}
	}
	for _, u := range o.Users {
		if profiles[u.Profile] || slices.ContainsFunc(u.PermissionSets, func(name string) bool { return sets[name] }) {
			return u.Username
		}
	}
	return ""
}

const seedIDChecksumChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// seedID18 returns the 18-character form of a 15-character Salesforce id:
// the id plus one checksum character per 5-character chunk, encoding which
// of the chunk's characters are upper-case letters.
func seedID18(id15 string) string {
	suffix := make([]byte, 3)
	for chunk := range 3 {
		n := 0
		for i := range 5 {
			if c := id15[chunk*5+i]; c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		suffix[chunk] = seedIDChecksumChars[n]
	}
	return id15 + string(suffix)
}

// seedNormalizeOrgID checks an org id and returns its 18-character form, or a
// message saying what is wrong with it.
func seedNormalizeOrgID(id string) (string, string) {
	valid := (len(id) == 15 || len(id) == 18) && strings.HasPrefix(id, "00D")
	for _, c := range []byte(id) {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			valid = false
		}
	}
	if !valid {
		return "", fmt.Sprintf("%q is not an org id (want 15 or 18 letters and digits starting with 00D)", id)
	}
	full := seedID18(id[:15])
	if len(id) == 18 && id != full {
		return "", fmt.Sprintf("%q has a wrong checksum suffix %q: the 18-character form of %s is %s", id, id[15:], id[:15], full)
	}
	return full, ""
}

// seedGenerateOrgID derives an org id from the org's name, so the same seed
// always gives the same ids. attempt > 0 only after a collision.
func seedGenerateOrgID(name string, attempt int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256(fmt.Appendf(nil, "warden-emulator-org\x00%s\x00%d", name, attempt))
	id := []byte("00D")
	for _, b := range sum[:12] {
		id = append(id, digits[int(b)%len(digits)])
	}
	return seedID18(string(id))
}

func seedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// seedListHint lists the names that do exist, for "not found" messages.
func seedListHint(what string, names []string) string {
	if len(names) == 0 {
		return fmt.Sprintf(" (the org has no %s)", what)
	}
	const shown = 10
	more := ""
	if len(names) > shown {
		more = fmt.Sprintf(", ... (%d more)", len(names)-shown)
		names = names[:shown]
	}
	return fmt.Sprintf(" (%s: %s%s)", what, strings.Join(names, ", "), more)
}

// seedSuggest returns the candidate closest to word if it is close enough to
// be a likely typo, else "".
func seedSuggest(word string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, word) {
			return c
		}
	}
	if len(word) < 3 || len(word) > 64 {
		return ""
	}
	best, bestDist, unique := "", 3, false
	for _, c := range candidates {
		if len(c) > len(word)+2 || len(word) > len(c)+2 {
			continue // too far apart: the distance is at least the length difference
		}
		d := seedEditDistance(strings.ToLower(word), strings.ToLower(c))
		switch {
		case d < bestDist:
			best, bestDist, unique = c, d, true
		case d == bestDist:
			unique = false
		}
	}
	if !unique || bestDist > len(word)/3 {
		return ""
	}
	return best
}

// seedEditDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent letters.
func seedEditDistance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}
