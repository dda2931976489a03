package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error codes used in Error.Code. They are the errorCode values Salesforce
// puts in its REST error bodies.
const (
	// CodeMalformedQuery reports a syntax error or an unsupported construct.
	CodeMalformedQuery = "MALFORMED_QUERY"
	// CodeInvalidField reports an unknown field or relationship, or a filter
	// value of the wrong type.
	CodeInvalidField = "INVALID_FIELD"
	// CodeInvalidType reports an unknown object.
	CodeInvalidType = "INVALID_TYPE"
)

// Error is a SOQL failure in Salesforce's terms. The emulator sends Code and
// Message to clients as {"errorCode":Code,"message":Message}.
type Error struct {
	// Code is the Salesforce error code: "MALFORMED_QUERY", "INVALID_FIELD"
	// or "INVALID_TYPE".
	Code string
	// Message is the Salesforce-style message text. Positioned errors start
	// with a newline, the offending query line, a caret line and an
	// "ERROR at Row:R:Column:C" line before the reason.
	Message string
}

// Error returns the code and message separated by a colon and a space.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

const (
	msgEmpty      = "SOQL statements cannot be empty or null"
	tailCustomFld = ". If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	tailCustomObj = " is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
	tailCustomRel = "' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
)

// posError builds an error whose message points at byte offset pos of q the
// way Salesforce does: the line holding pos, a caret under it, the 1-based row
// and column, then the reason.
func posError(code, q string, pos int, reason string) *Error {
	if pos < 0 {
		pos = 0
	}
	if pos > len(q) {
		pos = len(q)
	}
	ls := strings.LastIndexByte(q[:pos], '\n') + 1
	le := strings.IndexByte(q[pos:], '\n')
	if le < 0 {
		le = len(q)
	} else {
		le += pos
	}
	line := strings.TrimSuffix(q[ls:le], "\r")
	row := strings.Count(q[:ls], "\n") + 1
	col := utf8.RuneCountInString(q[ls:pos]) + 1
	var b strings.Builder
	b.Grow(len(line) + col + len(reason) + 40)
	b.WriteByte('\n')
	b.WriteString(line)
	b.WriteByte('\n')
	for i := 1; i < col; i++ {
		b.WriteByte(' ')
	}
	b.WriteString("^\nERROR at Row:")
	b.WriteString(strconv.Itoa(row))
	b.WriteString(":Column:")
	b.WriteString(strconv.Itoa(col))
	b.WriteByte('\n')
	b.WriteString(reason)
	return &Error{Code: code, Message: b.String()}
}

// noSuchColumn is the INVALID_FIELD reason for an unknown field.
func noSuchColumn(field, entity string) string {
	return "No such column '" + field + "' on entity '" + entity + "'" + tailCustomFld
}

// badRelationship is the INVALID_FIELD reason for an unknown relationship.
func badRelationship(name string) string {
	return "Didn't understand relationship '" + name + tailCustomRel
}

// unsupportedObject is the INVALID_TYPE reason for an unknown object.
func unsupportedObject(name string) string {
	return "sObject type '" + name + "'" + tailCustomObj
}
