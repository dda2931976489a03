package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/strictyaml"
)

// decodeOptions name the document in messages about it as a whole.
var decodeOptions = strictyaml.Options{
	Name: "config",
	Want: "a mapping with keys such as store, orgs, credentials and users",
}

// Load reads and parses the configuration file at path, reading ${NAME}
// variables with getenv (os.Getenv when nil). A file that cannot be read
// gives a *warden.Error (ENOTFOUND when it does not exist, EINVALID
// otherwise); a file with problems gives a *strictyaml.Error listing every
// problem, sorted by line.
func Load(path string, getenv func(string) string) (*Config, error) {
	const op = "config.Load"
	data, err := os.ReadFile(path)
	if err != nil {
		kind := warden.EINVALID
		if errors.Is(err, os.ErrNotExist) {
			kind = warden.ENOTFOUND
		}
		return nil, &warden.Error{Kind: kind, Op: op, Message: fmt.Sprintf("cannot read %s: %v", path, unwrapPath(err)), Err: err}
	}
	return Parse(data, path, getenv)
}

// unwrapPath drops the path from an *fs.PathError, which the message
// already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse parses a configuration. file names it in problems and becomes
// Config.Path, against whose directory relative paths are resolved.
// ${NAME} and ${NAME:-default} in values are replaced with getenv's
// results (os.Getenv when getenv is nil); $$ is a literal $.
//
// Decoding is strict (unknown keys, duplicate keys and values of the wrong
// type are problems), defaults are filled in, and every value and
// reference is validated. The error, if any, is a *strictyaml.Error
// listing every problem, each with its line, sorted by line.
func Parse(data []byte, file string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{}
	opts := decodeOptions
	opts.Expand = func(s string) (string, error) { return expand(s, getenv) }
	doc, err := strictyaml.Decode(data, file, c, opts)
	if doc == nil {
		return nil, err
	}
	c.Path = file
	v := &validator{doc: doc, c: c}
	v.run()
	if err := doc.Err(); err != nil {
		return nil, err
	}
	return c, nil
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
