package policy

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

// sarifSchemaJSON holds the SARIF 2.1.0 schema's definitions of every
// object Warden writes, copied from the official schema (see its
// $comment).
//
//go:embed sarif-2.1.0.schema.json
var sarifSchemaJSON []byte

var sarifSchemaDoc = func() map[string]any {
	var s map[string]any
	if err := json.Unmarshal(sarifSchemaJSON, &s); err != nil {
		panic("policy: embedded SARIF schema: " + err.Error())
	}
	return s
}()

// ValidateSARIF checks a SARIF log: against the SARIF 2.1.0 JSON schema
// (draft-07 keywords type, enum, properties, required,
// additionalProperties, items, minItems, uniqueItems, minimum, maximum,
// pattern, format, anyOf, oneOf and $ref), then against what consumers such
// as code scanning rely on: a $schema, runs[].tool.driver.name, every rule
// with an id, every result with a ruleId that is among the driver's rules
// (and a ruleIndex pointing at it), a level, message.text and locations
// with logical locations. The error lists every problem, one per line,
// with its JSON path.
func ValidateSARIF(data []byte) error {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	var errs []string
	validateSchema(sarifSchemaDoc, sarifSchemaDoc, doc, "$", &errs)
	checkSARIF(doc, &errs)
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return errors.New(strings.Join(errs, "\n"))
}

// checkSARIF checks what the schema leaves optional but Warden promises.
func checkSARIF(doc any, errs *[]string) {
	add := func(format string, args ...any) { *errs = append(*errs, fmt.Sprintf(format, args...)) }
	root, _ := doc.(map[string]any)
	if s, _ := root["$schema"].(string); s == "" {
		add("$.$schema: missing")
	}
	runs, _ := root["runs"].([]any)
	if len(runs) == 0 {
		add("$.runs: no run")
	}
	for i, r := range runs {
		run, _ := r.(map[string]any)
		p := fmt.Sprintf("$.runs[%d]", i)
		tool, _ := run["tool"].(map[string]any)
		driver, _ := tool["driver"].(map[string]any)
		if name, _ := driver["name"].(string); name == "" {
			add("%s.tool.driver.name: missing", p)
		}
		rules, _ := driver["rules"].([]any)
		index := map[string]int{}
		for j, rr := range rules {
			rule, _ := rr.(map[string]any)
			id, _ := rule["id"].(string)
			if id == "" {
				add("%s.tool.driver.rules[%d].id: missing", p, j)
				continue
			}
			if _, dup := index[id]; dup {
				add("%s.tool.driver.rules[%d].id: %q appears twice", p, j, id)
			}
			index[id] = j
		}
		results, ok := run["results"].([]any)
		if !ok {
			add("%s.results: missing (a scan's run must have results, even empty)", p)
		}
		for j, rs := range results {
			res, _ := rs.(map[string]any)
			rp := fmt.Sprintf("%s.results[%d]", p, j)
			id, _ := res["ruleId"].(string)
			at, known := index[id]
			switch {
			case id == "":
				add("%s.ruleId: missing", rp)
			case !known:
				add("%s.ruleId: %q is not among tool.driver.rules", rp, id)
			default:
				if ri, ok := res["ruleIndex"].(float64); ok && int(ri) != at {
					add("%s.ruleIndex: %v does not point at rule %q (index %d)", rp, ri, id, at)
				}
			}
			if l, _ := res["level"].(string); l == "" {
				add("%s.level: missing", rp)
			}
			msg, _ := res["message"].(map[string]any)
			if t, _ := msg["text"].(string); t == "" {
				add("%s.message.text: missing", rp)
			}
			locs, _ := res["locations"].([]any)
			if len(locs) == 0 {
				add("%s.locations: missing", rp)
			}
			for k, l := range locs {
				loc, _ := l.(map[string]any)
				lls, _ := loc["logicalLocations"].([]any)
				if len(lls) == 0 {
					add("%s.locations[%d].logicalLocations: missing", rp, k)
				}
				for n, ll := range lls {
					m, _ := ll.(map[string]any)
					if fq, _ := m["fullyQualifiedName"].(string); fq == "" {
						add("%s.locations[%d].logicalLocations[%d].fullyQualifiedName: missing", rp, k, n)
					}
				}
			}
		}
	}
}

// validateSchema checks value v against a JSON-schema node s.
func validateSchema(root map[string]any, s any, v any, path string, errs *[]string) {
	add := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	switch x := s.(type) {
	case bool:
		if !x {
			add("not allowed")
		}
		return
	case map[string]any:
		s := x
		if ref, ok := s["$ref"].(string); ok {
			name, found := strings.CutPrefix(ref, "#/definitions/")
			defs, _ := root["definitions"].(map[string]any)
			def, ok := defs[name]
			if !found || !ok {
				add("unresolvable $ref %q", ref)
				return
			}
			validateSchema(root, def, v, path, errs)
			return
		}
		if t, ok := s["type"]; ok && !typeMatches(t, v) {
			add("want type %v, found %s", t, jsonType(v))
			return
		}
		if enum, ok := s["enum"].([]any); ok {
			match := false
			for _, e := range enum {
				if reflect.DeepEqual(e, v) {
					match = true
				}
			}
			if !match {
				add("%v is not one of %v", v, enum)
			}
		}
		switch val := v.(type) {
		case map[string]any:
			props, _ := s["properties"].(map[string]any)
			for _, k := range sortedKeys(val) {
				if ps, ok := props[k]; ok {
					validateSchema(root, ps, val[k], path+"."+k, errs)
					continue
				}
				if ap, ok := s["additionalProperties"]; ok {
					if b, isBool := ap.(bool); isBool && !b {
						add("property %q is not allowed", k)
						continue
					}
					validateSchema(root, ap, val[k], path+"."+k, errs)
				}
			}
			if req, ok := s["required"].([]any); ok {
				for _, r := range req {
					if _, ok := val[r.(string)]; !ok {
						add("required property %q is missing", r)
					}
				}
			}
		case []any:
			if mi, ok := s["minItems"].(float64); ok && float64(len(val)) < mi {
				add("has %d items, fewer than %v", len(val), mi)
			}
			if u, _ := s["uniqueItems"].(bool); u {
				seen := map[string]int{}
				for i, it := range val {
					b, _ := json.Marshal(it)
					if j, dup := seen[string(b)]; dup {
						add("items %d and %d are equal but must be unique", j, i)
					}
					seen[string(b)] = i
				}
			}
			if items, ok := s["items"]; ok {
				for i, it := range val {
					validateSchema(root, items, it, fmt.Sprintf("%s[%d]", path, i), errs)
				}
			}
		case float64:
			if m, ok := s["minimum"].(float64); ok && val < m {
				add("%v is less than the minimum %v", val, m)
			}
			if m, ok := s["maximum"].(float64); ok && val > m {
				add("%v is more than the maximum %v", val, m)
			}
		case string:
			if p, ok := s["pattern"].(string); ok {
				if re, err := regexp.Compile(p); err != nil || !re.MatchString(val) {
					add("%q does not match %s", val, p)
				}
			}
			if f, ok := s["format"].(string); ok {
				if msg := checkFormat(f, val); msg != "" {
					add("%q is not a valid %s: %s", val, f, msg)
				}
			}
		}
		for _, kw := range []string{"anyOf", "oneOf"} {
			subs, ok := s[kw].([]any)
			if !ok {
				continue
			}
			n := 0
			for _, sub := range subs {
				var e []string
				validateSchema(root, sub, v, path, &e)
				if len(e) == 0 {
					n++
				}
			}
			if (kw == "anyOf" && n == 0) || (kw == "oneOf" && n != 1) {
				add("matches %d of the %s alternatives", n, kw)
			}
		}
	}
}

func checkFormat(format, s string) string {
	switch format {
	case "uri":
		u, err := url.Parse(s)
		if err != nil {
			return err.Error()
		}
		if !u.IsAbs() {
			return "not an absolute URI"
		}
	case "uri-reference":
		if _, err := url.Parse(s); err != nil {
			return err.Error()
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return err.Error()
		}
	}
	return ""
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(t any, v any) bool {
	switch tt := t.(type) {
	case string:
		got := jsonType(v)
		return got == tt || (tt == "number" && got == "integer")
	case []any:
		for _, x := range tt {
			if typeMatches(x, v) {
				return true
			}
		}
	}
	return false
}
