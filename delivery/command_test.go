package delivery

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func commandDependent(path string, args ...string) *warden.Dependent {
	return &warden.Dependent{Name: "erp", Org: "acme", Username: "billing@acme.demo", Delivery: warden.DeliveryCommand,
		Target: warden.DeliveryTarget{Command: &warden.CommandTarget{Path: path, Args: args}}}
}

func TestCommandStdin(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "got.json")
	p := script(t, dir, "reload.sh", `cat > "$1"; env > "$1.env"; echo "reloaded $WARDEN_DEPENDENT at $WARDEN_VERSION"`)
	logs := &logBuffer{}
	d := New(Config{Logger: logs.logger()})
	dep, c, m := commandDependent(p, out), passwordCred(), newMaterial("new")
	r, err := d.Deliver(bg, dep, c, m, "4")
	if err != nil {
		t.Fatal(err)
	}
	if r.Detail != "ran "+p+" "+out {
		t.Errorf("detail = %q", r.Detail)
	}
	var msg Message
	if err := json.Unmarshal([]byte(readFile(t, out)), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Material.Password != m.Password || msg.Action != warden.ActionDeliver || msg.Version != "4" {
		t.Errorf("stdin message = %+v", msg)
	}
	env := readFile(t, out+".env")
	for _, want := range []string{"WARDEN_DEPENDENT=erp", "WARDEN_VERSION=4", "WARDEN_ACTION=deliver", "WARDEN_CREDENTIAL=billing-cred"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s:\n%s", want, env)
		}
	}
	t.Setenv("WARDEN_TEST_LEAK", "parent-secret")
	if _, err := d.Deliver(bg, dep, c, m, "4"); err != nil {
		t.Fatal(err)
	}
	if env := readFile(t, out+".env"); strings.Contains(env, "parent-secret") || strings.Contains(env, m.Password) {
		t.Errorf("the hook's environment has Warden's own variables or the material:\n%s", env)
	}
	noSecrets(t, "logs", logs.String(), m)
}

func TestCommandEnv(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "got")
	p := script(t, dir, "deploy.sh", `printf '%s|%s' "$SF_PASSWORD" "$SF_USER" > "$1"; test -z "$(cat)"`)
	dep := commandDependent(p, out)
	dep.Target.Command.Input = InputEnv
	dep.Target.Command.Env = map[string]string{"SF_PASSWORD": FieldPassword, "SF_USER": FieldUsername}
	c, m := passwordCred(), newMaterial("new")
	if _, err := New(Config{}).Deliver(bg, dep, c, m, "4"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, out); got != m.Password+"|"+c.Username {
		t.Errorf("environment gave %q", got)
	}
	old := newMaterial("old")
	if err := New(Config{}).Restore(bg, dep, c, old, "3"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, out); got != old.Password+"|"+c.Username {
		t.Errorf("restore gave %q", got)
	}
}

func TestCommandFailures(t *testing.T) {
	dir := t.TempDir()
	m := newMaterial("n")
	leak := script(t, dir, "leak.sh", `echo "starting"; echo "bad password $(cat)" >&2; exit 3`)
	slow := script(t, dir, "slow.sh", `sleep 10`)
	tests := []struct {
		name string
		dep  *warden.Dependent
		kind string
		want string
	}{
		{"exit status", commandDependent(leak), warden.EUNAVAILABLE, "exit status 3"},
		{"timeout", func() *warden.Dependent {
			d := commandDependent(slow)
			d.Target.Command.Timeout = 200 * time.Millisecond
			return d
		}(), warden.EUNAVAILABLE, "did not finish within 200ms"},
		{"missing", commandDependent(filepath.Join(dir, "nope")), warden.EINVALID, "not found"},
		{"relative", commandDependent("reload.sh"), warden.EINVALID, "absolute"},
		{"bad input", func() *warden.Dependent {
			d := commandDependent(leak)
			d.Target.Command.Input = "argv"
			return d
		}(), warden.EINVALID, "not stdin or env"},
		{"unknown field", func() *warden.Dependent {
			d := commandDependent(leak)
			d.Target.Command.Input, d.Target.Command.Env = InputEnv, map[string]string{"X": "passwd"}
			return d
		}(), warden.EINVALID, "not a field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{}).Deliver(bg, tt.dep, passwordCred(), m, "1")
			if warden.ErrorKind(err) != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %s mentioning %q", err, tt.kind, tt.want)
			}
			noSecrets(t, "error", err.Error(), m)
			if tt.name == "exit status" && !strings.Contains(err.Error(), "bad password") {
				t.Errorf("error lacks the (redacted) output: %v", err)
			}
		})
	}
}
