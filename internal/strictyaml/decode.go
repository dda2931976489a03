package strictyaml

// Decoding a yaml.Node tree into Go values by reflection.

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

type decoder struct {
	doc      *Doc
	opts     Options
	budget   int // nodes left to visit (aliases can multiply a document)
	limit    int // the initial budget
	overflow bool
	hints    map[string]string         // unknown key in a key set -> suggestion, memoized
	expanded map[*yaml.Node]*yaml.Node // Options.Expand results; nil value = failed
}

var (
	timeType              = reflect.TypeFor[time.Time]()
	unmarshalerType       = reflect.TypeFor[Unmarshaler]()
	strictUnmarshalerType = reflect.TypeFor[StrictUnmarshaler]()
	textUnmarshalerType   = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// structInfo is what Decode needs to know about a struct type.
type structInfo struct {
	fields []field
	known  string // the keys, comma-separated, for messages
}

type field struct {
	key   string
	index int
}

var structCache sync.Map // reflect.Type -> *structInfo

func structOf(t reflect.Type) *structInfo {
	if s, ok := structCache.Load(t); ok {
		return s.(*structInfo)
	}
	s := &structInfo{}
	keys := []string{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !t.Field(i).IsExported() {
			continue
		}
		s.fields = append(s.fields, field{key: name, index: i})
		keys = append(keys, name)
	}
	s.known = strings.Join(keys, ", ")
	structCache.Store(t, s)
	return s
}

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.doc.problems = append(d.doc.problems, Problem{File: d.doc.File, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// typeErrorf reports a value that could not be decoded at path and marks
// the path failed, so that validation does not pile further problems on it.
func (d *decoder) typeErrorf(n *yaml.Node, path, format string, args ...any) {
	d.doc.failed[path] = true
	d.errorf(n.Line, path, format, args...)
}

// wrongKind reports a node of the wrong kind: want is e.g. "a mapping".
func (d *decoder) wrongKind(n *yaml.Node, path, want string) {
	d.typeErrorf(n, path, "expected %s, found %s", want, Describe(n))
}

func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// spend takes k nodes from the budget and reports whether any were left.
func (d *decoder) spend(k, line int) bool {
	if d.overflow {
		return false
	}
	d.budget -= k
	if d.budget < 0 {
		d.overflow = true
		d.errorf(line, "", "%s too large: aliases expand it beyond %d nodes", d.opts.name(), d.limit)
		return false
	}
	return true
}

// decode decodes n into v. line is the line of n's key, if any, which is
// the line recorded for path. It reports whether the value was decoded.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, line int) bool {
	if line == 0 && n != nil {
		line = n.Line // an alias's own line, not its anchor's
	}
	n = resolve(n)
	if n == nil || n.Kind == yaml.AliasNode {
		return false
	}
	if !d.spend(1, n.Line) {
		return false
	}
	if _, seen := d.doc.lines[path]; !seen {
		d.doc.lines[path] = line
	}
	if n = d.expand(n, path); n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero()
		return true
	}
	return d.decodeValue(n, v, path)
}

// expand applies Options.Expand to a scalar, once per node. It returns nil
// when expansion failed.
func (d *decoder) expand(n *yaml.Node, path string) *yaml.Node {
	if d.opts.Expand == nil || n.Kind != yaml.ScalarNode {
		return n
	}
	if r, ok := d.expanded[n]; ok {
		if r == nil {
			d.doc.failed[path] = true // reported at the first path
		}
		return r
	}
	if d.expanded == nil {
		d.expanded = map[*yaml.Node]*yaml.Node{}
	}
	s, err := d.opts.Expand(n.Value)
	r := n
	switch {
	case err != nil:
		d.typeErrorf(n, path, "%v", err)
		r = nil
	case s != n.Value:
		c := *n
		c.Value = s
		if n.Style == 0 {
			c.Tag = "" // plain and untagged: resolve the new text's type
		}
		r = &c
	}
	d.expanded[n] = r
	return r
}

func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) bool {
	t := v.Type()
	if t == timeType {
		return d.decodeTime(n, v, path)
	}
	if v.CanAddr() {
		switch {
		case reflect.PointerTo(t).Implements(strictUnmarshalerType):
			return d.decodeStrict(n, v, path)
		case reflect.PointerTo(t).Implements(unmarshalerType):
			if err := v.Addr().Interface().(Unmarshaler).UnmarshalNode(n); err != nil {
				d.typeErrorf(n, path, "%s", err)
				return false
			}
			return true
		case reflect.PointerTo(t).Implements(textUnmarshalerType):
			if n.Kind != yaml.ScalarNode {
				d.wrongKind(n, path, "a string")
				return false
			}
			if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
				d.typeErrorf(n, path, "%s", err)
				return false
			}
			return true
		}
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
		if t.Key().Kind() == reflect.String {
			return d.decodeMap(n, v, path)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.wrongKind(n, path, "a string")
			return false
		}
		v.SetString(n.Value)
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := d.scalarInt(n, path, t)
		if ok {
			v.SetInt(i)
		}
		return ok
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := d.scalarUint(n, path, t)
		if ok {
			v.SetUint(i)
		}
		return ok
	case reflect.Float32, reflect.Float64:
		f, ok := d.scalarFloat(n, path, t)
		if ok {
			v.SetFloat(f)
		}
		return ok
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			d.wrongKind(n, path, "true or false")
			return false
		}
		b, ok := parseBool(n)
		if !ok {
			d.typeErrorf(n, path, "%q is not a boolean (use true or false)", n.Value)
			return false
		}
		v.SetBool(b)
		return true
	}
	// A field type without support here; Check finds these in tests.
	d.typeErrorf(n, path, "internal error: strictyaml cannot decode %s", t)
	return false
}

// decodeStrict calls a StrictUnmarshaler.
func (d *decoder) decodeStrict(n *yaml.Node, v reflect.Value, path string) bool {
	self := v.Type()
	decode := func(x any) error {
		rv := reflect.ValueOf(x)
		if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Type() == self {
			return fmt.Errorf("internal error: UnmarshalStrict of %s must decode into a pointer to another type, not %T", self, x)
		}
		before := len(d.doc.problems)
		if !d.decodeValue(n, rv.Elem(), path) || len(d.doc.problems) > before {
			return errReported
		}
		return nil
	}
	err := v.Addr().Interface().(StrictUnmarshaler).UnmarshalStrict(n, decode)
	switch {
	case err == nil:
		return true
	case errors.Is(err, errReported):
		d.doc.failed[path] = true
	default:
		d.typeErrorf(n, path, "%s", err)
	}
	return false
}

func parseBool(n *yaml.Node) (bool, bool) {
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

// bits returns the size of an integer type; int and uint count as 32 bits
// so that a document means the same on every platform.
func bits(t reflect.Type) int {
	if k := t.Kind(); k == reflect.Int || k == reflect.Uint {
		return 32
	}
	return t.Bits()
}

func (d *decoder) scalarInt(n *yaml.Node, path string, t reflect.Type) (int64, bool) {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, "an integer")
		return 0, false
	}
	if n.ShortTag() != "!!int" {
		d.typeErrorf(n, path, "%q is not an integer", n.Value)
		return 0, false
	}
	i, err := strconv.ParseInt(n.Value, 0, 64)
	shift := 64 - bits(t)
	if err != nil || i > math.MaxInt64>>shift || i < math.MinInt64>>shift {
		d.typeErrorf(n, path, "%q is out of range", n.Value)
		return 0, false
	}
	return i, true
}

func (d *decoder) scalarUint(n *yaml.Node, path string, t reflect.Type) (uint64, bool) {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, "an integer")
		return 0, false
	}
	if n.ShortTag() != "!!int" {
		d.typeErrorf(n, path, "%q is not an integer", n.Value)
		return 0, false
	}
	i, err := strconv.ParseUint(n.Value, 0, 64)
	if err != nil || i > math.MaxUint64>>(64-bits(t)) {
		d.typeErrorf(n, path, "%q is out of range", n.Value)
		return 0, false
	}
	return i, true
}

func (d *decoder) scalarFloat(n *yaml.Node, path string, t reflect.Type) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, "a number")
		return 0, false
	}
	var f float64
	var err error
	switch n.ShortTag() {
	case "!!int":
		var i int64
		i, err = strconv.ParseInt(n.Value, 0, 64)
		f = float64(i)
	case "!!float":
		f, err = strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), t.Bits())
	default:
		err = strconv.ErrSyntax
	}
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.typeErrorf(n, path, "%q is not a number", n.Value)
		return 0, false
	}
	return f, true
}

func (d *decoder) decodeTime(n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, "a time")
		return false
	}
	t, ok := parseTime(n.Value)
	if !ok {
		d.typeErrorf(n, path, "%q is not a time (use RFC 3339, e.g. 2026-01-05T00:00:00Z, or a date, e.g. 2026-01-05)", n.Value)
		return false
	}
	v.Set(reflect.ValueOf(t))
	return true
}

func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// key returns the text of a mapping key.
func (d *decoder) key(k *yaml.Node, path string) (string, bool) {
	k = resolve(k)
	if k == nil || k.Kind != yaml.ScalarNode {
		line := 0
		if k != nil {
			line = k.Line
		}
		d.errorf(line, "", "keys %s must be strings", where(path))
		return "", false
	}
	return k.Value, true
}

func (d *decoder) unknownKey(line int, key, path string, s *structInfo) {
	memoKey := s.known + "\x00" + key
	hint, ok := d.hints[memoKey]
	if !ok && len(d.doc.problems) < MaxProblems { // hints past the cap would not be shown
		keys := make([]string, len(s.fields))
		for i, f := range s.fields {
			keys[i] = f.key
		}
		if s := Suggest(key, keys); s != "" {
			hint = fmt.Sprintf("; did you mean %q?", s)
		}
		if d.hints == nil {
			d.hints = map[string]string{}
		}
		d.hints[memoKey] = hint
	}
	d.errorf(line, "", "unknown key %q %s (known keys: %s%s)", key, where(path), s.known, hint)
}

type pair struct{ key, val *yaml.Node }

// mappingPairs returns the pairs of mapping n with merge keys (<<: *anchor)
// expanded. Keys written in n win over merged ones; among merged mappings
// the first wins.
func (d *decoder) mappingPairs(n *yaml.Node, depth int) []pair {
	var explicit, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			explicit = append(explicit, pair{k, val})
			continue
		}
		if depth >= 8 {
			d.errorf(k.Line, "", "merge keys (<<) nested too deeply")
			continue
		}
		m := resolve(val)
		if m == nil || !d.spend(1, k.Line) {
			continue
		}
		var sources []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{m}
		case yaml.SequenceNode:
			for _, c := range m.Content {
				sources = append(sources, resolve(c))
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
		if k := resolve(p.key); k != nil && k.Kind == yaml.ScalarNode {
			seen[k.Value] = true
		}
	}
	out := explicit
	for _, p := range merged {
		k := resolve(p.key)
		if k == nil || k.Kind != yaml.ScalarNode || seen[k.Value] {
			continue
		}
		seen[k.Value] = true
		out = append(out, p)
	}
	return out
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) bool {
	if n.Kind != yaml.MappingNode {
		want := "a mapping"
		if path == "" {
			want = d.opts.want()
		}
		d.wrongKind(n, path, want)
		return false
	}
	s := structOf(v.Type())
	seen := map[string]int{}
	for _, kv := range d.mappingPairs(n, 0) {
		key, ok := d.key(kv.key, path)
		if !ok {
			continue
		}
		kline := resolve(kv.key).Line
		if first, dup := seen[key]; dup {
			d.errorf(kline, "", "duplicate key %q %s (first at line %d)", key, where(path), first)
			continue
		}
		seen[key] = kline
		i := slices.IndexFunc(s.fields, func(f field) bool { return f.key == key })
		if i < 0 {
			d.unknownKey(kline, key, path, s)
			continue
		}
		d.decode(kv.val, v.Field(s.fields[i].index), join(path, key), kline)
	}
	return true
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) bool {
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
		kline := resolve(kv.key).Line
		if first, dup := seen[key]; dup {
			d.errorf(kline, "", "duplicate key %q %s (first at line %d)", key, where(path), first)
			continue
		}
		seen[key] = kline
		ev := reflect.New(t.Elem()).Elem()
		d.decode(kv.val, ev, join(path, key), kline)
		m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), ev)
	}
	v.Set(m)
	return true
}

// Check reports the fields reachable from type t that Decode cannot fill:
// fields of unsupported types, maps whose keys are not strings, and
// exported struct fields without a yaml tag (tag them "-" to skip them on
// purpose). Tests call it on the types they decode.
func Check(t reflect.Type) error {
	var errs []error
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		if seen[ty] {
			return
		}
		seen[ty] = true
		if ty == timeType {
			return
		}
		pt := reflect.PointerTo(ty)
		if pt.Implements(strictUnmarshalerType) || pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
			return
		}
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(ty.Elem(), path)
		case reflect.Map:
			if ty.Key().Kind() != reflect.String {
				errs = append(errs, fmt.Errorf("%s: map key type %s is not a string type", path, ty.Key()))
			}
			walk(ty.Elem(), path)
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if !f.IsExported() {
					continue
				}
				name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				switch name {
				case "":
					errs = append(errs, fmt.Errorf("%s.%s: no yaml tag", path, f.Name))
				case "-":
				default:
					walk(f.Type, path+"."+f.Name)
				}
			}
		case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			errs = append(errs, fmt.Errorf("%s: strictyaml cannot decode %s", path, ty))
		}
	}
	walk(t, t.Name())
	return errors.Join(errs...)
}
