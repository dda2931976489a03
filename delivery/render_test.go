package delivery

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// hardValues are values every format must carry intact.
var hardValues = []string{
	"plain", `it's`, `say "hi"`, `back\slash`, "dollar $HOME and `cmd`", "line\nbreak\r\n", "tab\there", " leading space",
	"trailing space ", "#not a comment", "key=value: x", "{{password}}", "caf\u00e9 \u2028 \u0085 \U0001F511", "- list", "null", "true", "0x1F",
	"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
}

var formatTemplates = map[string]string{
	FormatEnv:        "# app\nexport SF_USER={{username}}\nSF_PASSWORD={{password}}\n",
	FormatJSON:       `{"user": {{username}}, "nested": {"list": [{{password}}]}}`,
	FormatYAML:       "user: {{username}}\nnested:\n  list:\n    - {{password}}\n",
	FormatProperties: "! app\nsf.user = {{username}}\nsf.password:{{password}}\n",
}

func TestRenderEscapes(t *testing.T) {
	for format, tmpl := range formatTemplates {
		parsed, err := ParseTemplate(format, tmpl)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if got := parsed.Uses(); !slices.Equal(got, []string{FieldUsername, FieldPassword}) {
			t.Errorf("%s: Uses = %v", format, got)
		}
		for _, v := range hardValues {
			out, err := parsed.Render(map[string]string{FieldUsername: "u@acme.demo", FieldPassword: v})
			if err != nil {
				t.Errorf("%s: value %q: %v", format, v, err)
				continue
			}
			got, err := parseValues(format, string(out))
			if err != nil || !slices.Contains(got, v) {
				t.Errorf("%s: value %q did not come back from\n%s\n(%q, %v)", format, v, out, got, err)
			}
		}
	}
}

func TestRenderExact(t *testing.T) {
	tests := []struct{ format, tmpl, value, want string }{
		{FormatEnv, "P={{password}}\n", "ab$c", "P='ab$c'\n"},
		{FormatEnv, "P={{password}}\n", "a'b", `P="a'b"` + "\n"},
		{FormatEnv, "P={{password}}\n", "a\nb$", `P="a\nb\$"` + "\n"},
		{FormatJSON, `{"p": {{password}}}`, `a"b`, `{"p": "a\"b"}`},
		{FormatYAML, "p: {{password}}\n", "é\n", `p: "\u00E9\u000A"` + "\n"},
		{FormatProperties, "p={{password}}\n", " a\\b\U0001F511", `p=\ a\\b\uD83D\uDD11` + "\n"},
	}
	for _, tt := range tests {
		p, err := ParseTemplate(tt.format, tt.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Render(map[string]string{FieldPassword: tt.value})
		if err != nil || string(out) != tt.want {
			t.Errorf("%s %q: got %q, %v; want %q", tt.format, tt.value, out, err, tt.want)
		}
	}
}

func TestParseTemplateErrors(t *testing.T) {
	for _, tt := range []struct{ format, tmpl, want string }{
		{"ini", "x", "not one of"},
		{FormatEnv, "A=1\nB={{password", "line 2"},
		{FormatEnv, "A={{ secret }}", `"secret" is not a field`},
		{FormatEnv, "A=\xff", "UTF-8"},
	} {
		_, err := ParseTemplate(tt.format, tt.tmpl)
		if warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseTemplate(%s, %q) = %v, want EINVALID with %q", tt.format, tt.tmpl, err, tt.want)
		}
	}
}

// FuzzRender renders user templates with arbitrary values: it either
// refuses them (EINVALID, never quoting a value) or produces a file that
// parses in its format with every value intact.
func FuzzRender(f *testing.F) {
	i := 0
	for format, tmpl := range formatTemplates {
		f.Add(i%len(Formats), tmpl, hardValues[i%len(hardValues)])
		i++
		f.Add(slices.Index(Formats, format), tmpl, "s3cr3t-"+format)
	}
	f.Add(0, "A={{password}} trailing\n", "x")
	f.Add(1, `{"a": "{{password}}"}`, "x")
	f.Add(2, "{{password}}: 1\n", "x")
	f.Add(3, "k\\\n  ={{password}}\n", "x")
	f.Fuzz(func(t *testing.T, fi int, tmpl, value string) {
		format := Formats[((fi%len(Formats))+len(Formats))%len(Formats)]
		p, err := ParseTemplate(format, tmpl)
		if err != nil {
			if warden.ErrorKind(err) != warden.EINVALID {
				t.Fatalf("ParseTemplate error of kind %s: %v", warden.ErrorKind(err), err)
			}
			return
		}
		if !utf8.ValidString(value) || value == "" {
			return
		}
		values := map[string]string{}
		for _, f := range Fields {
			values[f] = value
		}
		out, err := p.Render(values)
		if err != nil {
			if warden.ErrorKind(err) != warden.EINVALID {
				t.Fatalf("Render error of kind %s: %v", warden.ErrorKind(err), err)
			}
			if len(value) >= 4 && strings.Contains(err.Error(), value) {
				// The value may be a word of the message itself ("json"):
				// it leaks only when the error of another value of the
				// same length does not say it too.
				other := strings.Repeat("Q", len(value))
				if other == value {
					other = strings.Repeat("Z", len(value))
				}
				for f := range values {
					values[f] = other
				}
				if _, err2 := p.Render(values); err2 == nil || !strings.Contains(err2.Error(), value) {
					t.Fatalf("Render error quotes the value: %v", err)
				}
			}
			return
		}
		got, err := parseValues(format, string(out))
		if err != nil {
			t.Fatalf("rendered %s does not parse: %v\n%s", format, err, out)
		}
		if len(p.Uses()) > 0 && !slices.Contains(got, value) {
			t.Fatalf("value %q lost in\n%s", value, out)
		}
	})
}
