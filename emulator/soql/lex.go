package soql

import (
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tDecimal
	tDate
	tDateTime
	tComma
	tLParen
	tRParen
	tDot
	tColon
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
)

// token is one lexical token: its kind and its byte range in the source.
type token struct {
	kind tokKind
	esc  bool // string literal contains backslash escapes
	pos  int
	end  int
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// advance reads the next token into p.tok. Lexical errors abort the parse.
func (p *parser) advance() {
	s := p.src
	i := p.off
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			i++
			continue
		}
		break
	}
	if i >= len(s) {
		p.tok = token{kind: tEOF, pos: len(s), end: len(s)}
		p.off = len(s)
		return
	}
	start := i
	c := s[i]
	switch {
	case isIdentStart(c):
		i++
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		p.set(tIdent, start, i)
	case isDigit(c) || (c == '-' || c == '+') && i+1 < len(s) && isDigit(s[i+1]):
		p.lexNumber(start)
	case c == '\'':
		p.lexString(start)
	case c == ',':
		p.set(tComma, start, i+1)
	case c == '(':
		p.set(tLParen, start, i+1)
	case c == ')':
		p.set(tRParen, start, i+1)
	case c == '.':
		p.set(tDot, start, i+1)
	case c == ':':
		p.set(tColon, start, i+1)
	case c == '=':
		p.set(tEq, start, i+1)
	case c == '!' && i+1 < len(s) && s[i+1] == '=':
		p.set(tNe, start, i+2)
	case c == '<':
		switch {
		case i+1 < len(s) && s[i+1] == '=':
			p.set(tLe, start, i+2)
		case i+1 < len(s) && s[i+1] == '>':
			p.set(tNe, start, i+2)
		default:
			p.set(tLt, start, i+1)
		}
	case c == '>':
		if i+1 < len(s) && s[i+1] == '=' {
			p.set(tGe, start, i+2)
		} else {
			p.set(tGt, start, i+1)
		}
	default:
		r, _ := utf8.DecodeRuneInString(s[i:])
		p.failAt(start, "unexpected token: '"+string(r)+"'")
	}
}

func (p *parser) set(k tokKind, pos, end int) {
	p.tok = token{kind: k, pos: pos, end: end}
	p.off = end
}

// lexNumber reads an integer, a decimal, a date or a date/time literal.
func (p *parser) lexNumber(start int) {
	s := p.src
	i := start
	if s[i] == '-' || s[i] == '+' {
		i++
	}
	ds := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if ds == start && i-ds == 4 && i+6 <= len(s) && s[i] == '-' &&
		isDigit(s[i+1]) && isDigit(s[i+2]) && s[i+3] == '-' && isDigit(s[i+4]) && isDigit(s[i+5]) {
		p.lexDate(start)
		return
	}
	kind := tInt
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i += 2
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		kind = tDecimal
	}
	p.set(kind, start, i)
}

// digits reports whether s[i:i+n] exists and is all ASCII digits.
func digits(s string, i, n int) bool {
	if i < 0 || i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// lexDate reads YYYY-MM-DD optionally followed by Thh:mm:ss[.fff](Z|±hh:mm).
// The caller has checked the date part's shape.
func (p *parser) lexDate(start int) {
	s := p.src
	i := start + 10
	kind := tDate
	if i < len(s) && (s[i] == 'T' || s[i] == 't') {
		bad := func(end int) {
			if end > len(s) {
				end = len(s)
			}
			p.failAt(start, "unexpected token: '"+s[start:end]+"'")
		}
		if !(digits(s, i+1, 2) && i+3 < len(s) && s[i+3] == ':' && digits(s, i+4, 2) && i+6 < len(s) && s[i+6] == ':' && digits(s, i+7, 2)) {
			j := i
			for j < len(s) && (isIdentChar(s[j]) || s[j] == ':') {
				j++
			}
			bad(j)
		}
		i += 9
		if i < len(s) && s[i] == '.' {
			i++
			if !digits(s, i, 1) {
				bad(i)
			}
			for i < len(s) && isDigit(s[i]) {
				i++
			}
		}
		switch {
		case i < len(s) && (s[i] == 'Z' || s[i] == 'z'):
			i++
		case i < len(s) && (s[i] == '+' || s[i] == '-'):
			if !(digits(s, i+1, 2) && i+3 < len(s) && s[i+3] == ':' && digits(s, i+4, 2)) {
				bad(i + 1)
			}
			i += 6
		default:
			bad(i)
		}
		kind = tDateTime
	}
	p.set(kind, start, i)
}

// lexString reads a single-quoted string literal, validating its escapes.
func (p *parser) lexString(start int) {
	s := p.src
	i := start + 1
	esc := false
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			if i+1 >= len(s) {
				break
			}
			switch s[i+1] {
			case 'n', 'N', 'r', 'R', 't', 'T', 'b', 'B', 'f', 'F', '"', '\'', '\\', '_', '%':
			default:
				r, _ := utf8.DecodeRuneInString(s[i+1:])
				p.failAt(i, "Invalid string literal. Illegal character sequence '\\"+string(r)+"' in string literal.")
			}
			i += 2
			esc = true
			continue
		}
		if c == '\'' {
			p.tok = token{kind: tString, esc: esc, pos: start, end: i + 1}
			p.off = i + 1
			return
		}
		i++
	}
	p.failAt(start, "mismatched character '<EOF>' expecting '''")
}

// unescape returns the value of a string literal body. LIKE wildcard escapes
// \% and \_ decode to the bare characters.
func unescape(body string, esc bool) string {
	if !esc {
		return body
	}
	b := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			b = append(b, c)
			continue
		}
		i++
		b = append(b, escChar(body[i]))
	}
	return string(b)
}

// escChar returns the character a backslash escape stands for.
func escChar(c byte) byte {
	switch c {
	case 'n', 'N':
		return '\n'
	case 'r', 'R':
		return '\r'
	case 't', 'T':
		return '\t'
	case 'b', 'B':
		return '\b'
	case 'f', 'F':
		return '\f'
	}
	return c
}
