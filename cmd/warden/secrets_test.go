package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/secret/local"
)

func TestRotateKEK(t *testing.T) {
	_, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, cfg, "http://127.0.0.1:9", "127.0.0.1:0", time.Second, key); err != nil {
		t.Fatal(err)
	}
	newKey := filepath.Join(dir, "new.key")
	code, out, errOut := run(t, "rotate-kek", "--config", cfg, "--store", "local", "--new-key-file", newKey)
	if code != 0 || !strings.Contains(out, "re-wrapped") {
		t.Fatalf("rotate-kek: %d %s %s", code, out, errOut)
	}
	oldKEK, _ := local.KEKFromFile(filepath.Join(dir, "warden.key"))
	if _, err := local.Open(filepath.Join(dir, "secrets.json"), oldKEK); warden.ErrorKind(err) != warden.EUNAUTHORIZED {
		t.Errorf("old key still opens the store: %v", err)
	}
	kek, _ := local.KEKFromFile(newKey)
	s, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if sec, err := s.Get(t.Context(), "monitor-acme", warden.StageCurrent); err != nil || !strings.Contains(string(sec.Value), "PRIVATE KEY") {
		t.Errorf("secret after rotation: %v", err)
	}
	if fi, _ := os.Stat(newKey); fi.Mode().Perm() != 0o600 {
		t.Errorf("new key mode %v", fi.Mode())
	}
	if code, _, errOut := run(t, "rotate-kek", "--config", cfg, "--store", "nope", "--new-key-file", newKey); code != 3 || !strings.Contains(errOut, `no secret store "nope"`) {
		t.Errorf("unknown store: %d %s", code, errOut)
	}
}
