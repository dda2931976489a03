package soql

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AppendRecord appends the Salesforce REST JSON of r to dst and returns the
// extended buffer, e.g.
//
//	{"attributes":{"type":"User","url":"/services/data/v62.0/sobjects/User/005..."},"Id":"005...","Username":"a@b","Profile":{"attributes":{"type":"Profile","url":"/services/data/v62.0/sobjects/Profile/00e..."},"Name":"System Administrator"}}
//
// apiVersion is like "62.0" (a leading "v" is tolerated). A null relationship
// encodes as "Profile":null. Aggregate rows (and records without an ID) have
// "attributes" with a type but no url. Strings are escaped as JSON, dates
// encode as "2026-01-05" and date/times as "2026-01-05T13:04:05.000+0000" in
// UTC; NaN and infinities encode as null.
func AppendRecord(dst []byte, r *Record, apiVersion string) []byte {
	return appendRecord(dst, r, apiVersion, "")
}

// AppendRecordURL is AppendRecord with record URLs under base instead of
// the data API's sobjects resource: base + Object + "/" + ID. The Tooling
// API passes "/services/data/vNN.0/tooling/sobjects/".
func AppendRecordURL(dst []byte, r *Record, base string) []byte {
	return appendRecord(dst, r, "", base)
}

func appendRecord(dst []byte, r *Record, apiVersion, base string) []byte {
	if r == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"attributes":{"type":`...)
	dst = appendString(dst, r.Object)
	if r.ID != "" && r.Object != AggregateObject {
		if base != "" {
			dst = append(dst, `,"url":"`...)
			dst = appendStringBody(dst, base)
		} else {
			dst = append(dst, `,"url":"/services/data/v`...)
			dst = appendStringBody(dst, strings.TrimPrefix(apiVersion, "v"))
			dst = append(dst, "/sobjects/"...)
		}
		dst = appendStringBody(dst, r.Object)
		dst = append(dst, '/')
		dst = appendStringBody(dst, r.ID)
		dst = append(dst, '"')
	}
	dst = append(dst, '}')
	for i := range r.Fields {
		f := &r.Fields[i]
		dst = append(dst, ',')
		dst = appendString(dst, f.Name)
		dst = append(dst, ':')
		if f.IsRelationship {
			dst = appendRecord(dst, f.Parent, apiVersion, base)
		} else {
			dst = appendValue(dst, f.Value, f.Type)
		}
	}
	return append(dst, '}')
}

// appendValue appends the JSON form of a field value.
func appendValue(dst []byte, v any, t Type) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendString(dst, x)
	case bool:
		return strconv.AppendBool(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case int16:
		return strconv.AppendInt(dst, int64(x), 10)
	case int8:
		return strconv.AppendInt(dst, int64(x), 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10)
	case float64:
		return appendFloat(dst, x, 64)
	case float32:
		return appendFloat(dst, float64(x), 32)
	case time.Time:
		if t == TypeDate {
			dst = append(dst, '"')
			dst = appendDate(dst, x)
			return append(dst, '"')
		}
		return appendDateTime(dst, x)
	}
	// Unexpected Go type: fall back to encoding/json (not a hot path).
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

// appendFloat formats like encoding/json: plain notation except for very
// small or very large magnitudes.
func appendFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	return strconv.AppendFloat(dst, f, format, -1, bits)
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10%10), byte('0'+n%10))
}

// appendDate appends YYYY-MM-DD of t's calendar date in t's location.
func appendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y >= 0 && y <= 9999 {
		dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	} else {
		dst = strconv.AppendInt(dst, int64(y), 10)
	}
	dst = append(dst, '-')
	dst = append2(dst, int(m))
	dst = append(dst, '-')
	return append2(dst, d)
}

// appendDateTime appends "YYYY-MM-DDThh:mm:ss.000+0000" for t in UTC.
func appendDateTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	dst = append(dst, '"')
	dst = appendDate(dst, t)
	h, mi, s := t.Clock()
	dst = append(dst, 'T')
	dst = append2(dst, h)
	dst = append(dst, ':')
	dst = append2(dst, mi)
	dst = append(dst, ':')
	dst = append2(dst, s)
	ms := t.Nanosecond() / 1e6
	dst = append(dst, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(dst, "+0000\""...)
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendStringBody(dst, s)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendStringBody appends s JSON-escaped, without quotes. Invalid UTF-8 is
// replaced by U+FFFD; U+2028 and U+2029 are escaped.
func appendStringBody(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	return append(dst, s[start:]...)
}
