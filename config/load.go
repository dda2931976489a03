package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/fileread"
	"github.com/wardenhq/warden/internal/strictyaml"
)

// decodeOptions name the document in messages about it as a whole.
var decodeOptions = strictyaml.Options{
	Name: "config",
	Want: "a mapping with keys such as store, orgs, credentials and users",
}

// Load reads and parses the configuration file at path, reading ${NAME}
// variables with getenv (os.Getenv when nil). Every error is a
// *warden.Error: ENOTFOUND when the file does not exist, EINVALID when it
// cannot be read (it is not a regular file, or it is larger than
// fileread.MaxConfig) and when it has problems, as Parse reports them.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := fileread.Read("configuration file", path, fileread.MaxConfig)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, getenv)
}

// Parse parses a configuration. file names it in problems and becomes
// Config.Path, against whose directory relative paths are resolved.
// ${NAME} and ${NAME:-default} in values are replaced with getenv's
// results (os.Getenv when getenv is nil); $$ is a literal $.
//
// Decoding is strict (unknown keys, duplicate keys and values of the wrong
// type are problems), defaults are filled in, and every value and
// reference is validated. The error, if any, is an EINVALID *warden.Error
// whose message lists every problem, one per line, each with its line,
// sorted by line; it wraps the *strictyaml.Error that holds them.
func Parse(data []byte, file string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{}
	opts := decodeOptions
	opts.Expand = func(s string) (string, error) { return expand(s, getenv) }
	doc, err := strictyaml.Decode(data, file, c, opts)
	if doc == nil {
		return nil, invalid(err)
	}
	c.Path = file
	v := &validator{doc: doc, c: c}
	v.run()
	if err := doc.Err(); err != nil {
		return nil, invalid(err)
	}
	return c, nil
}

// invalid makes the problems of a document an EINVALID error; their text
// never quotes a secret, so it is the message.
func invalid(err error) error {
	return &warden.Error{Kind: warden.EINVALID, Message: err.Error(), Err: err}
}

// expand replaces ${NAME} and ${NAME:-default} in s with the variable's
// value (the default when the variable is unset or empty) and $$ with $.
// Any other $ is kept as it is.
func expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c != '$':
			b.WriteByte(c)
			i++
			continue
		case strings.HasPrefix(s[i:], "$$"):
			b.WriteByte('$')
			i += 2
			continue
		case !strings.HasPrefix(s[i:], "${"):
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", errors.New(`unterminated "${" (write ${NAME}, or $$ for a literal $)`)
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDefault := strings.Cut(expr, ":-")
		if !envName(name) {
			return "", fmt.Errorf("%q is not an environment variable name (write ${NAME} or ${NAME:-default}, or $$ for a literal $)", "${"+expr+"}")
		}
		val := getenv(name)
		if val == "" {
			if !hasDefault {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			val = def
		}
		b.WriteString(val)
		i += 2 + end + 1
	}
	return b.String(), nil
}

// envName reports whether s is a portable environment variable name.
func envName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Resolve returns p resolved against the directory of the configuration
// file: p itself when it is absolute or empty, or when the configuration
// has no Path.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}
