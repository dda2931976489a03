package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteOutput(t *testing.T) {
	dir := t.TempDir()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard}
	report := func(w io.Writer) error { _, err := fmt.Fprint(w, "report"); return err }
	failing := func(w io.Writer) error {
		fmt.Fprint(w, "half a rep")
		return errors.New("rendering failed")
	}
	leftovers := func() []string {
		t.Helper()
		var tmp []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				tmp = append(tmp, e.Name())
			}
		}
		return tmp
	}
	fresh := filepath.Join(dir, "new.html")
	if err := m.writeOutput(fresh, report); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("a new report: %v %v, want mode 0600", fi.Mode(), err)
	}
	shared := filepath.Join(dir, "shared.html")
	if err := os.WriteFile(shared, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.writeOutput(shared, report); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(shared); fi.Mode().Perm() != 0o644 {
		t.Errorf("an existing report's mode became %v; the user chose 0644", fi.Mode())
	}
	if err := m.writeOutput(shared, failing); err == nil || !strings.Contains(err.Error(), "rendering failed") {
		t.Errorf("failing write: %v", err)
	}
	if data, _ := os.ReadFile(shared); string(data) != "report" {
		t.Errorf("a failed write changed the report: %q", data)
	}
	if err := m.writeOutput(dir, report); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("--output DIR: %v", err)
	}
	if err := m.writeOutput(filepath.Join(dir, "missing", "r.html"), report); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("--output in a missing directory: %v", err)
	}
	if tmp := leftovers(); len(tmp) > 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}
