package salesforce

import (
	"strings"
	"time"
)

// soqlEscaper escapes the characters a SOQL string literal cannot hold as
// they are.
var soqlEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\b", `\b`, "\f", `\f`)

// Quote returns s as a SOQL string literal: in single quotes, with
// backslashes, quotes and control characters escaped. It is the only way
// Warden puts a value into SOQL. A composite reference such as
// @{user.records[0].Id} comes through unchanged, so it may be quoted too.
func Quote(s string) string { return "'" + soqlEscaper.Replace(s) + "'" }

// QuoteList returns values as the parenthesized list of string literals
// that IN and NOT IN take: ('a','b'). An empty list gives "()", which SOQL
// rejects, so callers leave out a condition that has no values.
func QuoteList(values []string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(Quote(v))
	}
	b.WriteByte(')')
	return b.String()
}

// DateTime returns t as a SOQL datetime literal in UTC
// (2026-01-02T15:04:05Z), as LoginTime >= and CreatedDate >= take it.
func DateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
