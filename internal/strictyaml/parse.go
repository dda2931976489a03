package strictyaml

// Parsing bytes into one yaml.Node tree, with syntax errors on their real
// line, and the JSON rewrite.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse parses data as one YAML document and returns its root node.
func parse(data []byte, file string, opts Options) (*yaml.Node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if json.Valid(data) {
		data = jsonForYAML(data)
	}
	docs, err := documents(data, 2)
	if err != nil {
		return nil, syntaxError(file, data, err)
	}
	switch {
	case len(docs) == 0 || docs[0].Kind == yaml.DocumentNode && len(docs[0].Content) == 0:
		return nil, Join([]Problem{{File: file, Line: 1, Msg: fmt.Sprintf("empty %s: want %s", opts.name(), opts.want())}})
	case len(docs) > 1:
		return nil, Join([]Problem{{File: file, Line: docs[1].Line, Msg: fmt.Sprintf("more than one YAML document: a %s is a single document", opts.name())}})
	case docs[0].Kind == yaml.DocumentNode:
		return docs[0].Content[0], nil
	}
	return docs[0], nil
}

// documents parses up to limit documents from data.
func documents(data []byte, limit int) (docs []*yaml.Node, err error) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; never let it take
		// the program down.
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

// syntaxError turns a yaml.v3 syntax error into an *Error.
func syntaxError(file string, data []byte, err error) error {
	msg := err.Error()
	p := Problem{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
		p.Line = refineErrorLine(data, p.Line, p.Msg)
	}
	return Join([]Problem{p})
}

// refineMaxBytes bounds the size of documents whose syntax error lines
// refineErrorLine refines.
const refineMaxBytes = 256 << 10

// refineErrorLine finds the line a YAML syntax error is really on. yaml.v3
// reports parser errors at the start of the enclosing block (a "did not
// find expected key" three lines below "orgs:" is reported on the "orgs:"
// line), so this looks for the shortest prefix of whole lines, starting at
// the reported line, that fails with the same message.
func refineErrorLine(data []byte, line int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	same := func(k int) bool {
		_, err := documents(bytes.Join(lines[:k], nil), 1<<30)
		if err == nil {
			return false
		}
		m := yamlLineRE.FindStringSubmatch(err.Error())
		return m != nil && m[2] == msg
	}
	// data fails as a whole; the search costs about log2(lines) parses of
	// up to len(data) bytes, so big files keep yaml.v3's line.
	lo, hi := max(line, 1), len(lines)
	if lo >= hi || len(data) > refineMaxBytes {
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

// jsonForYAML rewrites the string escapes that JSON has and YAML lacks (\/
// and UTF-16 surrogate pairs), and escapes characters that JSON allows raw
// in strings but YAML does not (C1 controls, DEL, U+2028/9, U+FEFF). data
// must be valid JSON. Line numbers are unchanged: JSON strings hold no raw
// newlines.
func jsonForYAML(data []byte) []byte {
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
				r, ok := hex4(data, i+2)
				if !ok { // cannot happen in valid JSON
					out = append(out, c)
					i++
					continue
				}
				n := 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if i+11 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
						r2, ok2 = hex4(data, i+8)
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

func hex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(data[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}
