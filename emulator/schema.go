package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wardenhq/warden/emulator/soql"
)

// The object model: every sObject the emulator serves is one objectDef whose
// fields are fieldDefs. The SOQL schema (soql.Object), describe, and the
// checks on create and update are all derived from it, so what a query
// accepts, what describe reports and what a write stores cannot disagree.

// fieldDef is one field of an object, with the metadata describe reports.
type fieldDef struct {
	name  string
	kind  string // describe type: id, string, email, phone, url, picklist, textarea, boolean, int, double, currency, date, datetime, reference
	label string
	// length is the maximum length of a text field (0 for other kinds).
	length int
	// nillable is false for fields that always have a value.
	nillable bool
	// createable and updateable say whether a write may set the field.
	createable, updateable bool
	// required fields must be given on create (and may not be cleared).
	required bool
	// refTo and relName describe a reference: the parent object and the
	// relationship name used in SOQL paths (Profile.Name).
	refTo, relName string
	picklist       []string
}

// soqlType is the SOQL data type of a describe kind.
func (f *fieldDef) soqlType() soql.Type {
	switch f.kind {
	case "id", "reference":
		return soql.TypeID
	case "boolean":
		return soql.TypeBool
	case "int":
		return soql.TypeInt
	case "double", "currency", "percent":
		return soql.TypeFloat
	case "date":
		return soql.TypeDate
	case "datetime":
		return soql.TypeDateTime
	}
	return soql.TypeString
}

// soapType is the describe soapType of the field.
func (f *fieldDef) soapType() string {
	switch f.kind {
	case "id", "reference":
		return "tns:ID"
	case "boolean":
		return "xsd:boolean"
	case "int":
		return "xsd:int"
	case "double", "currency", "percent":
		return "xsd:double"
	case "date":
		return "xsd:date"
	case "datetime":
		return "xsd:dateTime"
	}
	return "xsd:string"
}

// parseFields reads a compact field specification, one field per line:
//
//	Names kind[(length)] [flag ...]
//
// Names is one name or several separated by commas. Flags: ro (read-only),
// co (create only), req (required on create), nn (never null), ref:Target
// or ref:Target/Relationship (a lookup; the relationship name defaults to
// the field name without "Id"), pick:A|B|C (picklist values). Ids, booleans
// and read-only audit fields are never null. It panics on a bad line, as
// the specifications are constants checked by the tests.
func parseFields(spec string) []fieldDef {
	var out []fieldDef
	for _, line := range strings.Split(spec, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		words := strings.Fields(line)
		if len(words) < 2 {
			panic("emulator: bad field spec " + strconv.Quote(line))
		}
		kind, length := words[1], 0
		if i := strings.IndexByte(kind, '('); i > 0 {
			n, err := strconv.Atoi(strings.TrimSuffix(kind[i+1:], ")"))
			if err != nil {
				panic("emulator: bad field length in " + strconv.Quote(line))
			}
			kind, length = kind[:i], n
		}
		if kind == "ref" {
			kind = "reference"
		}
		for _, name := range strings.Split(words[0], ",") {
			fd := fieldDef{name: name, kind: kind, length: length, nillable: true, createable: true, updateable: true}
			for _, fl := range words[2:] {
				switch {
				case fl == "ro":
					fd.createable, fd.updateable = false, false
				case fl == "co":
					fd.updateable = false
				case fl == "req":
					fd.required, fd.nillable = true, false
				case fl == "nn":
					fd.nillable = false
				case strings.HasPrefix(fl, "ref:"):
					fd.refTo, fd.relName, _ = strings.Cut(fl[4:], "/")
					if fd.relName == "" {
						fd.relName = relationshipName(name)
					}
				case strings.HasPrefix(fl, "pick:"):
					fd.picklist = strings.Split(strings.ReplaceAll(fl[5:], "_", " "), "|")
				default:
					panic("emulator: bad field flag " + strconv.Quote(fl) + " in " + strconv.Quote(line))
				}
			}
			if kind == "id" || kind == "boolean" {
				fd.nillable = false
			}
			if kind == "id" {
				fd.createable, fd.updateable = false, false
			}
			if kind == "string" || kind == "textarea" || kind == "email" || kind == "phone" || kind == "url" || kind == "picklist" {
				if fd.length == 0 {
					fd.length = 255
				}
			}
			fd.label = fieldLabel(name)
			out = append(out, fd)
		}
	}
	return out
}

// relationshipName is the relationship of a reference field: AccountId ->
// Account, Parent__c -> Parent__r.
func relationshipName(field string) string {
	if strings.HasSuffix(field, "__c") {
		return strings.TrimSuffix(field, "__c") + "__r"
	}
	return strings.TrimSuffix(field, "Id")
}

// fieldLabel derives a label from an API name the way Salesforce labels
// standard fields: LastName -> "Last Name", AccountId -> "Account ID".
func fieldLabel(name string) string {
	name = strings.TrimSuffix(name, "__c")
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte(' ')
		}
		if r == '_' {
			r = ' '
		}
		b.WriteRune(r)
	}
	l := b.String()
	if l == "Id" {
		return "ID"
	}
	if strings.HasSuffix(l, " Id") {
		return strings.TrimSuffix(l, " Id") + " ID"
	}
	return l
}

// auditFields are the system fields of every object.
const auditFields = `
CreatedDate,LastModifiedDate,SystemModstamp datetime ro nn
CreatedById ref ro nn ref:User
LastModifiedById ref ro nn ref:User`

// finish derives the SOQL schema and the lookup table of a definition from
// its fields. Call it again after adding a field.
func (d *objectDef) finish() {
	d.byLower = make(map[string]*fieldDef, len(d.fields))
	sch := &soql.Object{Name: d.name}
	for i := range d.fields {
		fd := &d.fields[i]
		d.byLower[strings.ToLower(fd.name)] = fd
		sch.Fields = append(sch.Fields, soql.Field{Name: fd.name, Type: fd.soqlType()})
		if fd.refTo != "" {
			sch.Relationships = append(sch.Relationships, soql.Relationship{Name: fd.relName, Field: fd.name, Target: fd.refTo})
		}
	}
	d.schema = sch
}

// field returns the field of d with the given name, case-insensitively.
func (d *objectDef) field(name string) *fieldDef { return d.byLower[strings.ToLower(name)] }

// addField adds a field learnt from a write to a custom object.
func (d *objectDef) addField(fd fieldDef) {
	d.fields = append(d.fields, fd)
	d.finish()
}

// invalidField is Salesforce's answer to a write naming a field the object
// does not have.
func invalidField(object, field string) *dmlError {
	return dmlErr(http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", field, object), field)
}

// notWritable is Salesforce's answer to a write of a read-only field.
func notWritable(field string) *dmlError {
	return dmlErr(http.StatusBadRequest, "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: "+field+". Please check the security settings of this field and verify that it is read/write for your profile or permission set.", field)
}

// checkWrite validates a decoded body against the model: unknown fields are
// INVALID_FIELD (custom objects learn custom fields named X__c instead),
// fields the write may not set are INVALID_FIELD_FOR_INSERT_UPDATE, and
// values are converted to the field's type (STRING_TOO_LONG,
// INVALID_EMAIL_ADDRESS, MALFORMED_ID, JSON_PARSER_ERROR). References must
// name an existing record of the target object. It returns the body keyed
// by canonical field name with converted values.
func checkWrite(o *org, d *objectDef, body map[string]any, create bool) (input, *dmlError) {
	out := make(input, len(body))
	for k, v := range body {
		if k == "attributes" {
			continue
		}
		fd := d.field(k)
		if fd == nil && d.custom && strings.HasSuffix(k, "__c") && validFieldName(k) {
			d.addField(fieldDef{name: k, kind: inferKind(v), label: fieldLabel(k), length: 255, nillable: true, createable: true, updateable: true})
			fd = d.field(k)
		}
		if fd == nil {
			return nil, invalidField(d.name, k)
		}
		if fd.name == "Id" && !create {
			continue // the record being updated; Salesforce ignores it
		}
		if create && !fd.createable || !create && !fd.updateable {
			return nil, notWritable(fd.name)
		}
		cv, err := convertValue(o, fd, v)
		if err != nil {
			return nil, err
		}
		out[fd.name] = cv
	}
	if !create {
		var cleared []string
		for _, fd := range d.fields {
			if v, ok := out[fd.name]; ok && fd.required && (v == nil || v == "") {
				cleared = append(cleared, fd.name)
			}
		}
		if len(cleared) > 0 {
			return nil, requiredMissing(cleared)
		}
	}
	return out, nil
}

// missingRequired reports the required fields a create body lacks, in model
// order, as Salesforce lists them.
func missingRequired(d *objectDef, in input) *dmlError {
	var missing []string
	for _, fd := range d.fields {
		if !fd.required || !fd.createable {
			continue
		}
		if v, ok := in[fd.name]; !ok || v == nil || v == "" {
			missing = append(missing, fd.name)
		}
	}
	if len(missing) > 0 {
		return requiredMissing(missing)
	}
	return nil
}

func requiredMissing(fields []string) *dmlError {
	return dmlErr(http.StatusBadRequest, "REQUIRED_FIELD_MISSING", "Required fields are missing: ["+strings.Join(fields, ", ")+"]", fields...)
}

func inferKind(v any) string {
	switch x := v.(type) {
	case bool:
		return "boolean"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "int"
		}
		return "double"
	}
	return "string"
}

// convertValue turns a JSON value into the stored value of a field.
func convertValue(o *org, fd *fieldDef, v any) (any, *dmlError) {
	if v == nil {
		return nil, nil
	}
	badJSON := func(t string) *dmlError {
		return dmlErr(http.StatusBadRequest, "JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize instance of %s from %v value for field %s", t, v, fd.name), fd.name)
	}
	switch fd.kind {
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, badJSON("boolean")
		}
		return b, nil
	case "int":
		n, ok := v.(json.Number)
		if !ok {
			return nil, badJSON("int")
		}
		i, err := n.Int64()
		if err != nil {
			return nil, badJSON("int")
		}
		return i, nil
	case "double", "currency", "percent":
		n, ok := v.(json.Number)
		if !ok {
			return nil, badJSON("double")
		}
		f, err := n.Float64()
		if err != nil {
			return nil, badJSON("double")
		}
		return f, nil
	case "date", "datetime":
		s, ok := v.(string)
		if !ok {
			return nil, badJSON(fd.kind)
		}
		if s == "" {
			return nil, nil
		}
		for _, layout := range []string{sfTime, time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				if fd.kind == "date" {
					return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
				}
				return t.UTC(), nil
			}
		}
		return nil, dmlErr(http.StatusBadRequest, "INVALID_TYPE_ON_FIELD_IN_RECORD", fmt.Sprintf("%s: value not of required type: %s", fd.label, s), fd.name)
	case "reference", "id":
		s, ok := v.(string)
		if !ok {
			return nil, badJSON("id")
		}
		if s == "" {
			return nil, nil
		}
		if !validID(s) {
			return nil, dmlErr(http.StatusBadRequest, "MALFORMED_ID", fmt.Sprintf("%s: id value of incorrect type: %s", fd.label, s), fd.name)
		}
		s = normID(s)
		if fd.refTo != "" {
			if d := o.def(strings.ToLower(fd.refTo)); d != nil {
				if d.prefix != "" && s[:3] != d.prefix {
					return nil, dmlErr(http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION", fmt.Sprintf("%s: id value of incorrect type: %s", fd.label, s), fd.name)
				}
				o.rowsOf(d.name)
				if _, ok := o.index[d.name][s]; !ok {
					return nil, dmlErr(http.StatusBadRequest, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", fd.name)
				}
			}
		}
		return s, nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number, bool:
		s = fmt.Sprint(x)
	default:
		return nil, badJSON("String")
	}
	if fd.length > 0 && len([]rune(s)) > fd.length {
		return nil, dmlErr(http.StatusBadRequest, "STRING_TOO_LONG", fmt.Sprintf("%s: data value too large: %s (max length=%d)", fd.label, s, fd.length), fd.name)
	}
	if fd.kind == "email" && s != "" {
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s || !strings.Contains(s[strings.IndexByte(s, '@'):], ".") {
			return nil, dmlErr(http.StatusBadRequest, "INVALID_EMAIL_ADDRESS", fmt.Sprintf("%s: invalid email address: %s", fd.label, s), fd.name)
		}
	}
	return s, nil
}
