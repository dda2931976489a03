package strictyaml

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func doc(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

type level int

// UnmarshalNode accepts low or high.
func (l *level) UnmarshalNode(n *yaml.Node) error {
	switch n.Value {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return fmt.Errorf("%q is not low or high", n.Value)
	}
	return nil
}

// window is "always" or {from: N, to: N} with from < to.
type window struct{ From, To int }

func (w *window) UnmarshalStrict(n *yaml.Node, decode func(any) error) error {
	if n.Kind == yaml.ScalarNode && n.Value == "always" {
		*w = window{0, 24}
		return nil
	}
	var m struct {
		From *int `yaml:"from"`
		To   *int `yaml:"to"`
	}
	if err := decode(&m); err != nil {
		return err
	}
	if m.From == nil || m.To == nil || *m.From >= *m.To {
		return errors.New("want always or {from: N, to: M} with N < M")
	}
	*w = window{*m.From, *m.To}
	return nil
}

type item struct {
	Name    string            `yaml:"name"`
	Count   int               `yaml:"count"`
	Big     int64             `yaml:"big"`
	Small   uint8             `yaml:"small"`
	Ratio   float64           `yaml:"ratio"`
	On      *bool             `yaml:"on"`
	Tags    []string          `yaml:"tags"`
	Labels  map[string]string `yaml:"labels"`
	At      time.Time         `yaml:"at"`
	Level   level             `yaml:"level"`
	Addr    netip.Addr        `yaml:"addr"` // a TextUnmarshaler
	Window  window            `yaml:"window"`
	Skipped string            `yaml:"-"`
	hidden  string
}

type root struct {
	Items []item `yaml:"items"`
	Title string `yaml:"title"`
}

var opts = Options{Name: "test file", Want: "a mapping with the key items"}

func TestDecode(t *testing.T) {
	var r root
	d, err := Decode(doc(
		"title: T",
		"items:",
		"  - name: a",
		"    count: 0x10",
		"    big: 9999999999",
		"    small: 255",
		"    ratio: 1",
		"    on: true",
		"    tags: [x, y]",
		"    labels: {k: v}",
		"    at: 2026-01-05",
		"    level: high",
		"    addr: 10.0.0.1",
		"    window: {from: 6, to: 20}",
		"  - &b {name: b, ratio: 0.25, window: always}",
		"  - *b",
	), "t.yaml", &r, opts)
	if err != nil {
		t.Fatal(err)
	}
	on := true
	want := root{Title: "T", Items: []item{
		{Name: "a", Count: 16, Big: 9999999999, Small: 255, Ratio: 1, On: &on, Tags: []string{"x", "y"},
			Labels: map[string]string{"k": "v"}, At: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Level: 2,
			Addr: netip.MustParseAddr("10.0.0.1"), Window: window{6, 20}},
		{Name: "b", Ratio: 0.25, Window: window{0, 24}},
		{Name: "b", Ratio: 0.25, Window: window{0, 24}},
	}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	for path, line := range map[string]int{
		"title": 1, "items": 2, "items[0]": 3, "items[0].labels.k": 10, "items[0].window.to": 14,
		"items[1].name": 15, "items[2]": 16, "items[2].name": 15, "items[0].nope": 3, "nowhere": 1,
	} {
		if got := d.Line(path); got != line {
			t.Errorf("Line(%q) = %d, want %d", path, got, line)
		}
	}
	if d.Failed("items[0]") || len(d.Problems()) != 0 || d.Err() != nil {
		t.Errorf("a clean document has problems: %v", d.Problems())
	}
	if p := d.Problem("items[1].name", "taken"); p.String() != "t.yaml:15: items[1].name: taken" {
		t.Errorf("Problem: %q", p)
	}
	d.Add("items[0].tags[1]", "bad tag %q", "y")
	if err := d.Err(); err == nil || err.Error() != `t.yaml:9: items[0].tags[1]: bad tag "y"` {
		t.Errorf("Err after Add: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []string
	}{
		{"syntax error on its real line", doc("items:", "  - name: a", "    tags: [x", "    count: 1"),
			[]string{`s.yaml:3: did not find expected ',' or ']'`}},
		{"empty", nil, []string{`s.yaml:1: empty test file: want a mapping with the key items`}},
		{"null", doc("~"), []string{`s.yaml:1: empty test file: want a mapping with the key items`}},
		{"two documents", doc("title: a", "---", "title: b"),
			[]string{`s.yaml:2: more than one YAML document: a test file is a single document`}},
		{"root kind", doc("- a"), []string{`s.yaml:1: expected a mapping with the key items, found a list`}},
		{"unknown and duplicate keys", doc("titel: x", "items:", "  - name: a", "    nmae: b", "    name: c", "    Name: d"), []string{
			`s.yaml:1: unknown key "titel" at the top level (known keys: items, title; did you mean "title"?)`,
			`s.yaml:4: unknown key "nmae" in items[0] (known keys: name, count, big, small, ratio, on, tags, labels, at, level, addr, window; did you mean "name"?)`,
			`s.yaml:5: duplicate key "name" in items[0] (first at line 3)`,
			`s.yaml:6: unknown key "Name" in items[0] (known keys: name, count, big, small, ratio, on, tags, labels, at, level, addr, window; did you mean "name"?)`,
		}},
		{"types", doc(
			"items:",
			"  - name: [a]",
			"    count: '5'",
			"    big: 1.5",
			"    small: 256",
			"    ratio: lots",
			"    on: maybe",
			"    tags: x",
			"    labels: [x]",
			"    at: yesterday",
			"  - count: 99999999999",
			"    small: -1",
			"    ratio: .nan",
			"    at: {}",
		), []string{
			`s.yaml:2: items[0].name: expected a string, found a list`,
			`s.yaml:3: items[0].count: "5" is not an integer`,
			`s.yaml:4: items[0].big: "1.5" is not an integer`,
			`s.yaml:5: items[0].small: "256" is out of range`,
			`s.yaml:6: items[0].ratio: "lots" is not a number`,
			`s.yaml:7: items[0].on: "maybe" is not a boolean (use true or false)`,
			`s.yaml:8: items[0].tags: expected a list, found "x"`,
			`s.yaml:9: items[0].labels: expected a mapping, found a list`,
			`s.yaml:10: items[0].at: "yesterday" is not a time (use RFC 3339, e.g. 2026-01-05T00:00:00Z, or a date, e.g. 2026-01-05)`,
			`s.yaml:11: items[1].count: "99999999999" is out of range`,
			`s.yaml:12: items[1].small: "-1" is out of range`,
			`s.yaml:13: items[1].ratio: ".nan" is not a number`,
			`s.yaml:14: items[1].at: expected a time, found a mapping`,
		}},
		{"custom types", doc(
			"items:",
			"  - level: medium",
			"    addr: 10.0.0",
			"    window: {from: 20, to: 6}",
			"  - window: {from: x, until: 5}",
			"  - window: never",
		), []string{
			`s.yaml:2: items[0].level: "medium" is not low or high`,
			`s.yaml:3: items[0].addr: ParseAddr("10.0.0"): IPv4 address too short`,
			`s.yaml:4: items[0].window: want always or {from: N, to: M} with N < M`,
			`s.yaml:5: items[1].window.from: "x" is not an integer`,
			`s.yaml:5: unknown key "until" in items[1].window (known keys: from, to)`,
			`s.yaml:6: items[2].window: expected a mapping, found "never"`,
		}},
		{"keys must be strings", doc("items:", "  - labels: {[a]: b}"), []string{`s.yaml:2: keys in items[0].labels must be strings`}},
		{"bad merge", doc("items:", "  - <<: 5", "    name: a"), []string{`s.yaml:2: a merge key (<<) needs a mapping or a list of mappings`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r root
			_, err := Decode(tt.in, "s.yaml", &r, opts)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDecodeReturnsDocWithProblems(t *testing.T) {
	var r root
	d, err := Decode(doc("title: [x]", "items:", "  - {name: a, count: x}", "  - {name: b, count: 2}"), "p.yaml", &r, Options{})
	if d == nil || err == nil {
		t.Fatalf("got doc %v, error %v; want both", d, err)
	}
	if len(r.Items) != 2 || r.Items[1].Count != 2 || r.Items[0].Name != "a" {
		t.Errorf("the rest was not decoded: %+v", r)
	}
	if !d.Failed("items[0].count") || !d.Failed("title") || d.Failed("items[0].name") || d.Failed("items") {
		t.Errorf("Failed is wrong")
	}
	d.Add("items[0].count", "must be positive")        // dropped: decoding failed there
	d.Add("items[1].count", "must be more than %d", 2) // kept
	want := []string{
		`p.yaml:1: title: expected a string, found a list`,
		`p.yaml:3: items[0].count: "x" is not an integer`,
		`p.yaml:4: items[1].count: must be more than 2`,
	}
	if got := strings.Split(d.Err().Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"N": "7", "NAME": "x$y", "EMPTY": "", "ON": "true"}
	expand := func(s string) (string, error) {
		if !strings.HasPrefix(s, "$") {
			return s, nil
		}
		v, ok := env[s[1:]]
		if !ok {
			return "", fmt.Errorf("%s is not set", s[1:])
		}
		return v, nil
	}
	var r root
	_, err := Decode(doc(
		"title: $NAME",
		"items:",
		"  - &a {name: $MISSING, count: $N, on: $ON, tags: [$N, '$N'], labels: {$N: $N}}",
		"  - *a",
		"  - {name: $EMPTY, count: '$N'}",
	), "e.yaml", &r, Options{Expand: expand})
	want := []string{
		// Reported once although the alias uses the node twice.
		`e.yaml:3: items[0].name: MISSING is not set`,
		// Quoted scalars stay strings after expansion.
		`e.yaml:5: items[2].count: "7" is not an integer`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	on := true
	if r.Title != "x$y" || r.Items[0].Count != 7 || r.Items[0].On == nil || *r.Items[0].On != on ||
		!slices.Equal(r.Items[0].Tags, []string{"7", "7"}) || r.Items[0].Labels["$N"] != "7" || r.Items[1].Count != 7 {
		t.Errorf("expanded: %+v", r)
	}
}

func TestJSON(t *testing.T) {
	var r root
	_, err := Decode([]byte("\ufeff{\n\t\"title\": \"a\\/\\ud83d\\ude00\\u00e9\",\n\t\"items\": [{\"name\": \"\u0085\", \"count\": \"3\"}]\n}\n"), "j.json", &r, opts)
	if err == nil || err.Error() != `j.json:3: items[0].count: "3" is not an integer` {
		t.Fatalf("got %v", err)
	}
	if r.Title != "a/😀é" || r.Items[0].Name != "\u0085" {
		t.Errorf("got %+v", r)
	}
}

func TestAliasBomb(t *testing.T) {
	lines := []string{"items:", "  - &i {name: a, tags: [" + strings.Repeat("x, ", 999) + "x]}"}
	for range 300 {
		lines = append(lines, "  - *i")
	}
	var r root
	d, err := Decode(doc(lines...), "b.yaml", &r, opts)
	if d != nil || err == nil || !strings.HasSuffix(err.Error(), "test file too large: aliases expand it beyond 200000 nodes") {
		t.Errorf("got doc %v, error %v", d, err)
	}
}

func TestDecodeNeedsStructPointer(t *testing.T) {
	var r root
	for _, v := range []any{r, (*root)(nil), new(int)} {
		var e *Error
		if _, err := Decode([]byte("title: x\n"), "x", v, Options{}); err == nil || errors.As(err, &e) {
			t.Errorf("Decode(%T): %v", v, err)
		}
	}
}

func TestJoin(t *testing.T) {
	if Join(nil) != nil {
		t.Error("Join(nil) is not nil")
	}
	var ps []Problem
	for i := 250; i > 0; i-- {
		ps = append(ps, Problem{File: "f", Line: i, Msg: "m"})
	}
	err := Join(ps)
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != MaxProblems+1 || e.Problems[0].Line != 1 ||
		e.Problems[MaxProblems-1].Line != MaxProblems || e.Problems[MaxProblems].String() != "f: ... and 50 more problems" {
		t.Errorf("got %d problems: first %v, last %v", len(e.Problems), e.Problems[0], e.Problems[len(e.Problems)-1])
	}
	if ps[0].Line != 250 {
		t.Error("Join sorted its argument in place")
	}
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "f", Line: 3, Path: "a.b", Msg: "m"}, "f:3: a.b: m"},
		{Problem{File: "f", Msg: "m"}, "f: m"},
		{Problem{Path: "a", Msg: "m"}, "a: m"},
		{Problem{Line: 3, Msg: "m"}, "m"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v: got %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestNilDoc(t *testing.T) {
	var d *Doc
	if d.Line("a") != 0 || d.Failed("a") || d.Problems() != nil || d.Err() != nil {
		t.Error("nil Doc methods")
	}
	if p := d.Problem("a.b", "m %d", 1); p != (Problem{Path: "a.b", Msg: "m 1"}) {
		t.Errorf("Problem: %+v", p)
	}
}

func TestCheck(t *testing.T) {
	if err := Check(reflect.TypeFor[root]()); err != nil {
		t.Errorf("root: %v", err)
	}
	type bad struct {
		Untagged string
		Fn       func()         `yaml:"fn"`
		M        map[int]string `yaml:"m"`
		Ok       string         `yaml:"ok"`
		Skip     func()         `yaml:"-"`
		private  func()
	}
	err := Check(reflect.TypeFor[bad]())
	want := "bad.Untagged: no yaml tag\nbad.Fn: strictyaml cannot decode func()\nbad.M: map key type int is not a string type"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"name", "username", "profile", "frozen", "active"}
	for word, want := range map[string]string{
		"frozn": "frozen", "NAME": "name", "usrname": "username", "xyz": "", "nam": "name", "ab": "", "actvie": "active",
	} {
		if got := Suggest(word, cands); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", word, got, want)
		}
	}
}

func ExampleDecode() {
	type Server struct {
		Addr    string `yaml:"addr"`
		Workers int    `yaml:"workers"`
	}
	type File struct {
		Servers []Server `yaml:"servers"`
	}
	data := []byte("servers:\n  - addr: :8080\n    workrs: 4\n  - addr: :9090\n    workers: many\n")
	var f File
	doc, err := Decode(data, "app.yaml", &f, Options{Name: "app config"})
	if doc == nil {
		fmt.Println(err) // the document could not be decoded at all
		return
	}
	// Validation adds its own problems, each at the line of its value.
	for i, s := range f.Servers {
		if s.Addr == ":9090" {
			doc.Add(fmt.Sprintf("servers[%d].addr", i), "port 9090 is reserved")
		}
	}
	fmt.Println(doc.Err())
	// Output:
	// app.yaml:3: unknown key "workrs" in servers[0] (known keys: addr, workers; did you mean "workers"?)
	// app.yaml:4: servers[1].addr: port 9090 is reserved
	// app.yaml:5: servers[1].workers: "many" is not an integer
}
