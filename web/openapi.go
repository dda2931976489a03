package web

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/inventory"
)

// apiSchemas are the named schemas of the API's bodies, by the name
// routes give in Route.Schema and Route.Body. The OpenAPI document
// derives each from its Go type, so it cannot drift from what the
// handlers encode.
var apiSchemas = map[string]reflect.Type{
	"Error":              reflect.TypeFor[errorBody](),
	"Probe":              reflect.TypeFor[map[string]string](),
	"OpenAPI":            reflect.TypeFor[map[string]any](),
	"Principal":          reflect.TypeFor[warden.Principal](),
	"UserStatus":         reflect.TypeFor[warden.UserStatus](),
	"UserStatusArray":    reflect.TypeFor[[]*warden.UserStatus](),
	"UserStatusList":     reflect.TypeFor[List[*warden.UserStatus]](),
	"OrgSummary":         reflect.TypeFor[OrgSummary](),
	"OrgSummaryList":     reflect.TypeFor[List[*OrgSummary]](),
	"UserDetail":         reflect.TypeFor[UserDetail](),
	"ImpactReport":       reflect.TypeFor[inventory.ImpactReport](),
	"ImpactReportList":   reflect.TypeFor[List[*inventory.ImpactReport]](),
	"UserActivity":       reflect.TypeFor[UserActivity](),
	"ActionResult":       reflect.TypeFor[ActionResult](),
	"FindingList":        reflect.TypeFor[List[*warden.Finding]](),
	"LegacyUserList":     reflect.TypeFor[List[*LegacyUser]](),
	"RotationRecordList": reflect.TypeFor[List[*warden.RotationRecord]](),
	"AlertRecord":        reflect.TypeFor[warden.AlertRecord](),
	"AlertRecordList":    reflect.TypeFor[List[*warden.AlertRecord]](),
	"AlertAction":        reflect.TypeFor[AlertAction](),
	"BrokerKeyList":      reflect.TypeFor[List[*warden.BrokerKey]](),
}

// SessionCookie is the name of the session cookie the OpenAPI document
// names as the browser's way to authenticate (access control sets it).
var SessionCookie = "warden_session"

// pathParam matches a wildcard of a route pattern.
var pathParam = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

// OpenAPI returns the OpenAPI 3.1 document of every non-page route of the
// route table: the probes, /metrics, /api/status and /api/v1.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}, types: map[string]reflect.Type{}}
	for name, t := range apiSchemas {
		g.define(name, t)
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	paths := map[string]any{}
	for _, rt := range s.routes {
		if !rt.API {
			continue
		}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"x-warden-role": func() string {
				if rt.Role == "" {
					return "public"
				}
				return string(rt.Role)
			}(),
		}
		if rt.Role == "" {
			op["security"] = []any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			sch := map[string]any{"type": "string"}
			if q == "limit" || q == "offset" {
				sch = map[string]any{"type": "integer", "minimum": 0}
			}
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": sch})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(rt.Body)}}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		switch {
		case rt.Schema != "":
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(rt.Schema)}}
		case rt.Pattern == "/metrics":
			ok["content"] = map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		responses := map[string]any{
			strconv.Itoa(status): ok,
			"default": map[string]any{"description": "An error, in the one error shape: a machine code and a message safe to show.",
				"content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}},
		}
		op["responses"] = responses
		item, _ := paths[rt.Pattern].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Pattern] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Warden API",
			"version":     "1",
			"description": "Warden's JSON API: integration users' health, dependents, findings, activity, rotations, alerts and actions. docs/api.md describes it.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearerToken": []any{}}, map[string]any{"session": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearerToken": map[string]any{"type": "http", "scheme": "bearer", "description": "An API token: Authorization: Bearer TOKEN."},
				"session":     map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie, "description": "The dashboard's session cookie; state-changing requests also need the CSRF token."},
			},
		},
	}
}

// handleOpenAPI serves the OpenAPI document.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.OpenAPI())
}

// operationID names a route's operation: its method and path in camel
// case, such as getApiV1UsersOrgUsername.
func operationID(rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.FieldsFunc(rt.Pattern, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// schemaGen derives JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses)
// from Go types as encoding/json encodes them. Named struct types become
// components referenced by name.
type schemaGen struct {
	defs  map[string]any
	types map[string]reflect.Type
}

var timeType = reflect.TypeFor[time.Time]()

// define adds the component name for t.
func (g *schemaGen) define(name string, t reflect.Type) {
	if prev, ok := g.types[name]; ok {
		if prev != t {
			panic("web: two schemas named " + name + ": " + prev.String() + " and " + t.String())
		}
		return
	}
	g.types[name] = t
	g.defs[name] = g.inline(t)
}

// schema returns t's schema, a reference for a named struct.
func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t.Kind() == reflect.Struct && t.Name() != "" && !strings.Contains(t.Name(), "[") {
		g.define(t.Name(), t)
		return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
	}
	return g.inline(t)
}

// inline returns t's schema written out.
func (g *schemaGen) inline(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": []any{"array", "null"}, "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t == timeType {
			return map[string]any{"type": "string", "format": "date-time"}
		}
		props := map[string]any{}
		g.fields(t, props)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

// fields adds the JSON properties of struct t to props, flattening
// embedded structs as encoding/json does.
func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
}
