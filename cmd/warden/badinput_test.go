package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBadInputFiles: files given on the command line that are devices,
// named pipes or directories are refused at once, naming the flag and the
// path, instead of exhausting memory or blocking.
func TestBadInputFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	v := newInvEnv(t, false)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"status", "--config", "/dev/zero"}, 2, "configuration file /dev/zero: is a character device, not a regular file"},
		{[]string{"config", "check", "--config", fifo}, 2, "configuration file " + fifo + ": is a named pipe, not a regular file"},
		{[]string{"users", "--config", dir}, 2, "configuration file " + dir + ": is a directory, not a regular file"},
		{[]string{"audit", "--config", v.cfg, "--policy", "/dev/zero"}, 2, "--policy /dev/zero: is a character device, not a regular file"},
		{[]string{"audit", "--config", v.cfg, "--policy", fifo}, 2, "--policy " + fifo + ": is a named pipe, not a regular file"},
		{[]string{"emulator", "--seed", "/dev/zero", "--addr", "127.0.0.1:0"}, 2, "--seed /dev/zero: is a character device, not a regular file"},
		{[]string{"emulator", "--seed", fifo, "--addr", "127.0.0.1:0"}, 2, "--seed " + fifo + ": is a named pipe, not a regular file"},
		{[]string{"org", "add", "--config", v.cfg, "--name", "acme", "--kind", "jwt", "--client-id", "k", "--username", "u@x.io", "--key-file", fifo},
			2, "--key-file " + fifo + ": is a named pipe, not a regular file"},
		{[]string{"org", "import-sf", "--config", v.cfg, "--name", "acme", "--file", "/dev/zero"}, 2, "--file /dev/zero: is a character device, not a regular file"},
		{[]string{"provision", "--config", v.cfg, "-f", fifo}, 2, "-f " + fifo + ": is a named pipe, not a regular file"},
	} {
		done := make(chan struct{})
		var code int
		var errOut string
		go func() {
			defer close(done)
			code, _, errOut = run(t, tc.args...)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%q blocked", tc.args)
		}
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%q: exit %d %q; want %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

// TestBadKeyLeavesNothing: a missing or unusable key-encryption key fails
// before the inventory database or the secrets file is created.
func TestBadKeyLeavesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  func(path string)
		msg  string
	}{
		{"missing", func(string) {}, "warden.key does not exist"},
		{"world readable", func(p string) { os.WriteFile(p, make([]byte, 32), 0o644); os.Chmod(p, 0o644) }, "is accessible by group or others"},
		{"wrong size", func(p string) { os.WriteFile(p, []byte("short"), 0o600) }, "must hold 32 raw bytes or their base64 encoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "warden.yaml")
			tc.key(filepath.Join(dir, "warden.key"))
			text := "store:\n  driver: sqlite\n  path: warden.db\nsecretStores:\n  - name: local\n    kind: local\n    path: secrets.json\n    keyFile: warden.key\n"
			if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"inventory", "sync", "--config", cfg}, {"org", "list", "--config", cfg}} {
				code, _, errOut := run(t, args...)
				if code == 0 || !strings.Contains(errOut, "secret store local: ") || !strings.Contains(errOut, tc.msg) {
					t.Errorf("%q: %d %s", args, code, errOut)
				}
			}
			for _, f := range []string{"warden.db", "secrets.json"} {
				if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
					t.Errorf("%s was created: %v", f, err)
				}
			}
		})
	}
}
