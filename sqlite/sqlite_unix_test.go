//go:build unix

package sqlite_test

import (
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenRefusesSpecialFiles(t *testing.T) {
	t.Run("fifo", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warden.db")
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Fatal(err)
		}
		refuse(t, path, "not a regular file")
	})
	t.Run("/dev/null", func(t *testing.T) {
		// Open must not even chmod it, as root could.
		refuse(t, "/dev/null", "not a regular file")
	})
}
