// Package strictyaml decodes a YAML (or JSON) document into a Go struct
// strictly, for configuration files that people write by hand.
//
// It decodes through a yaml.v3 node tree rather than yaml.Unmarshal so that
// every problem names its line and path, unknown and duplicate keys are
// errors (with a "did you mean" hint for likely typos), values of the wrong
// type are errors, and all problems are reported together, sorted by line,
// instead of the first one alone. Documents that aliases would expand
// beyond a node budget ("billion laughs") are refused. JSON goes through
// the same path: JSON is YAML 1.2 apart from a few string escapes, which
// are rewritten first, so line numbers stay right.
//
// Decode fills a struct through its `yaml:"name"` field tags; fields
// without a tag or tagged "-" are not decoded. Supported field types are
// strings, booleans, integers, floats, time.Time (RFC 3339 or a date),
// pointers, slices, maps with string keys, nested structs, and types that
// decode themselves (Unmarshaler, StrictUnmarshaler or
// encoding.TextUnmarshaler). Check reports the fields of a type that
// Decode cannot fill.
//
// Decoding only checks the shape of the document. Validation of values and
// references belongs to the caller, which uses the returned Doc to give its
// own problems the line of the value they are about.
package strictyaml

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxProblems caps the problems an Error reports: a document with more
// usually has one systematic mistake. The rest are counted in a last line.
const MaxProblems = 200

// Problem is one problem found in a document.
type Problem struct {
	File string // the file name given to Decode; "" when there is no file
	Line int    // 1-based line in File; 0 when unknown
	Path string // where in the document, e.g. orgs[0].users[2].profile; "" when Msg names it
	Msg  string
}

// String formats the problem as "file:line: path: message", leaving out the
// parts that are unknown.
func (p Problem) String() string {
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

// Error is a list of problems, sorted by line and capped at MaxProblems
// (then one more saying how many were left out). Join makes one.
type Error struct {
	Problems []Problem
}

// Error returns one problem per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Join returns nil when problems is empty and otherwise an *Error holding
// a copy of them, stably sorted by line and capped at MaxProblems.
func Join(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	problems = append([]Problem(nil), problems...)
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	if len(problems) > MaxProblems {
		rest := len(problems) - MaxProblems
		problems = append(problems[:MaxProblems:MaxProblems],
			Problem{File: problems[0].File, Msg: fmt.Sprintf("... and %d more problems", rest)})
	}
	return &Error{Problems: problems}
}

// Options adjust Decode.
type Options struct {
	// Name is what the document is, for messages about the document as a
	// whole: "empty seed", "a seed is a single document", "seed too
	// large". The default is "document".
	Name string
	// Want describes the value expected at the top level, for messages
	// about an empty document or a top level of the wrong kind: "want a
	// mapping with the key orgs". The default is "a mapping".
	Want string
	// Expand, when set, rewrites every scalar value (not mapping keys)
	// before it is decoded; an error becomes a problem at the value's line
	// and path. Plain scalars are re-typed after expansion, so `port:
	// ${PORT}` can fill an integer; quoted ones stay strings. Used for
	// ${ENV} interpolation.
	Expand func(s string) (string, error)
}

func (o Options) name() string {
	if o.Name == "" {
		return "document"
	}
	return o.Name
}

func (o Options) want() string {
	if o.Want == "" {
		return "a mapping"
	}
	return o.Want
}

// Unmarshaler is implemented by types that decode themselves from a node.
// The node has aliases resolved and Options.Expand applied; it is never
// null (null leaves the zero value). A non-nil error becomes a problem at
// the node's line and the value's path, with the error's text as message.
type Unmarshaler interface {
	UnmarshalNode(n *yaml.Node) error
}

// StrictUnmarshaler is implemented by types that decode themselves with the
// decoder's help, such as a value written either as a keyword or as a
// mapping. decode(x) decodes the same node into x (a pointer to any other
// type) with Decode's rules, reporting problems at their own paths and
// lines; when it reports any, it returns an error that UnmarshalStrict
// should return (possibly wrapped) so that no further problem is added.
// Any other error becomes a problem as for Unmarshaler.
type StrictUnmarshaler interface {
	UnmarshalStrict(n *yaml.Node, decode func(x any) error) error
}

// errReported is what the decode function of UnmarshalStrict returns when
// it has reported problems.
var errReported = errors.New("strictyaml: problems reported")

// Decode decodes a YAML or JSON document into v, which must be a non-nil
// pointer to a struct. file names the document in problems.
//
// When the document cannot be decoded at all (a syntax error, an empty
// document, more than one document, aliases expanding beyond the node
// budget) Decode returns a nil *Doc and an *Error. Otherwise it returns the
// Doc and, when some values could not be decoded, an *Error listing them;
// v then holds everything else, so the caller can go on validating and
// report all problems at once (see Doc.Problems).
func Decode(data []byte, file string, v any, opts Options) (*Doc, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("strictyaml: Decode needs a non-nil pointer to a struct, not %T", v)
	}
	root, err := parse(data, file, opts)
	if err != nil {
		return nil, err
	}
	doc := &Doc{File: file, lines: map[string]int{}, failed: map[string]bool{}}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, Join([]Problem{{File: file, Line: root.Line, Msg: fmt.Sprintf("empty %s: want %s", opts.name(), opts.want())}})
	}
	budget := max(8*len(data), 200000)
	d := &decoder{doc: doc, opts: opts, budget: budget, limit: budget}
	d.decode(root, rv.Elem(), "", 0)
	if d.overflow {
		// The tree is incomplete; validating it would only add noise.
		return nil, Join(doc.problems)
	}
	return doc, Join(doc.problems)
}

// Doc is what Decode learnt about a document, for validators: the line of
// every path, which values failed to decode, and the problems so far. The
// methods of a nil *Doc work, for values built in Go rather than decoded:
// there are no lines and no file.
type Doc struct {
	// File is the name given to Decode.
	File string

	lines    map[string]int  // path -> line of its key (or value)
	failed   map[string]bool // paths whose value could not be decoded
	problems []Problem
}

// Line returns the line of path, such as "orgs[0].users[2].profile", or of
// its nearest ancestor present in the document; 0 when none is.
func (d *Doc) Line(path string) int {
	if d == nil {
		return 0
	}
	for {
		if l, ok := d.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// Failed reports whether path or one of its ancestors could not be decoded
// (and so already has a problem). Validators skip such paths rather than
// pile a second problem on the first.
func (d *Doc) Failed(path string) bool {
	if d == nil || len(d.failed) == 0 {
		return false
	}
	for {
		if d.failed[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// Problem returns a problem at path, with the file and path's line.
func (d *Doc) Problem(path, format string, args ...any) Problem {
	p := Problem{Line: d.Line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
	if d != nil {
		p.File = d.File
	}
	return p
}

// Add records a problem at path unless Failed(path). It panics on a nil
// *Doc.
func (d *Doc) Add(path, format string, args ...any) {
	if d.Failed(path) {
		return
	}
	d.problems = append(d.problems, d.Problem(path, format, args...))
}

// Problems returns a copy of the problems recorded so far: those found by
// Decode and those added with Add, unsorted.
func (d *Doc) Problems() []Problem {
	if d == nil {
		return nil
	}
	return append([]Problem(nil), d.problems...)
}

// Err returns Join(d.Problems()).
func (d *Doc) Err() error {
	if d == nil {
		return nil
	}
	return Join(d.problems)
}

// parentPath returns the path of the value that contains path's value.
func parentPath(p string) string {
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

// Describe names a node's kind for messages such as "expected a list,
// found ...": "a mapping", "a list", or a scalar's quoted text.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}
