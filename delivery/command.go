package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// Command hook inputs.
const (
	InputStdin = "stdin" // the Message as JSON on stdin (default)
	InputEnv   = "env"   // the fields named by the target's env map
)

// defaultCommandTimeout bounds a command hook without a timeout.
const defaultCommandTimeout = time.Minute

// maxOutput is how much of a command's output is kept.
const maxOutput = 16 << 10

// envName is a usable environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// command runs the dependent's hook: the program itself (no shell), its
// arguments as declared (never material), the material on stdin or in
// the environment, a timeout, and a zero exit status required. The
// environment holds only PATH, the WARDEN_* description of the delivery
// and, for input env, the declared variables: none of Warden's own.
func (d *Deliverer) command(ctx context.Context, j *job) (string, error) {
	t := j.dep.Target.Command
	if t == nil {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: no command target declared", j.dep.Name)
	}
	if !filepath.IsAbs(t.Path) {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: the command must be an absolute path", j.dep.Name)
	}
	shown := strings.Join(append([]string{t.Path}, t.Args...), " ")
	env := []string{
		"PATH=" + cmpOrEnv("PATH", "/usr/local/bin:/usr/bin:/bin"),
		"WARDEN_ACTION=" + j.action, "WARDEN_DEPENDENT=" + j.dep.Name, "WARDEN_ORG=" + j.dep.Org,
		"WARDEN_CREDENTIAL=" + j.cred.Name, "WARDEN_KIND=" + string(j.cred.Kind), "WARDEN_VERSION=" + j.version,
	}
	var stdin []byte
	switch t.Input {
	case "", InputStdin:
		b, err := json.Marshal(d.message(j))
		if err != nil {
			return "", warden.Errorf(warden.EINTERNAL, "delivery to %s: cannot encode the message", j.dep.Name)
		}
		stdin = append(b, '\n')
	case InputEnv:
		if len(t.Env) == 0 {
			return "", warden.Errorf(warden.EINVALID, "delivery to %s: input env needs variables (env: NAME: field)", j.dep.Name)
		}
		values := j.values()
		names := make([]string, 0, len(t.Env))
		for name := range t.Env {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			field := t.Env[name]
			switch {
			case !envName.MatchString(name) || strings.HasPrefix(name, "WARDEN_"):
				return "", warden.Errorf(warden.EINVALID, "delivery to %s: %q is not a usable variable name", j.dep.Name, shorten(name))
			case !slices.Contains(Fields, field):
				return "", warden.Errorf(warden.EINVALID, "delivery to %s: variable %s: %q is not a field (fields: %s)", j.dep.Name, name, shorten(field), strings.Join(Fields, ", "))
			case values[field] == "":
				return "", warden.Errorf(warden.EINVALID, "delivery to %s: variable %s: credential %s has no %s", j.dep.Name, name, j.cred.Name, field)
			}
			env = append(env, name+"="+values[field])
		}
	default:
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: command input %q is not stdin or env", j.dep.Name, shorten(t.Input))
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = defaultCommandTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, t.Path, t.Args...)
	cmd.Env = env
	cmd.Dir = filepath.Dir(t.Path)
	cmd.Stdin = bytes.NewReader(stdin)
	out := &capped{max: maxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second // a child holding the pipes does not hang the delivery
	err := cmd.Run()
	output := j.redact(strings.TrimSpace(strings.ToValidUTF8(out.String(), "?")))
	if err != nil {
		var ee *exec.ExitError
		what := err.Error()
		switch {
		case cctx.Err() != nil && ctx.Err() == nil:
			what = "did not finish within " + timeout.String()
		case errors.As(err, &ee):
			what = ee.ProcessState.String() // "exit status 3", "signal: killed"
		case errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound):
			return "", warden.Errorf(warden.EINVALID, "delivery to %s: command %s not found", j.dep.Name, t.Path)
		}
		msg := fmt.Sprintf("delivery to %s: command %s: %s", j.dep.Name, shown, j.redact(what))
		if output != "" {
			msg += "; output: " + lastLines(output, 10)
		}
		return "", warden.Errorf(warden.EUNAVAILABLE, "%s", msg)
	}
	if output != "" {
		d.log.Debug("command hook output", "dependent", j.dep.Name, "command", t.Path, "output", lastLines(output, 20))
	}
	return "ran " + shown, nil
}

// cmpOrEnv is the environment variable name, or def when unset.
func cmpOrEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// lastLines keeps the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, " | ")
}

// capped keeps the first max bytes written to it.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
