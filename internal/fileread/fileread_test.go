package fileread_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/fileread"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("orgs: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		kind, msg  string
	}{
		{"regular", small, "", ""},
		{"missing", filepath.Join(dir, "missing"), warden.ENOTFOUND, "--config " + filepath.Join(dir, "missing") + ": cannot read: no such file or directory"},
		{"directory", dir, warden.EINVALID, "--config " + dir + ": is a directory, not a regular file"},
		{"named pipe", fifo, warden.EINVALID, "--config " + fifo + ": is a named pipe, not a regular file"},
		{"device", "/dev/zero", warden.EINVALID, "--config /dev/zero: is a character device, not a regular file"},
		{"too large", big, warden.EINVALID, "--config " + big + ": is larger than 1 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				defer close(done)
				data, err = fileread.Read("--config", tt.path, 1024)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Read blocked")
			}
			if got := warden.ErrorKind(err); got != tt.kind {
				t.Fatalf("kind %q (%v), want %q", got, err, tt.kind)
			}
			if tt.kind == "" {
				if string(data) != "orgs: []\n" {
					t.Errorf("data %q", data)
				}
				return
			}
			if got := warden.ErrorMessage(err); got != tt.msg {
				t.Errorf("message %q, want %q", got, tt.msg)
			}
			if data != nil {
				t.Errorf("data returned with an error")
			}
		})
	}
	if _, err := fileread.Read("", filepath.Join(dir, "nope"), 10); !strings.HasPrefix(warden.ErrorMessage(err), filepath.Join(dir, "nope")+": ") {
		t.Errorf("without what: %q", warden.ErrorMessage(err))
	}
}
