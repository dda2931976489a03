//go:build unix

package delivery

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileKeepsOwner checks that a delivery and its backup keep the
// owner of the file they replace (Warden runs as root here; elsewhere
// the test is skipped, since only root can give a file away).
func TestFileKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "app.env")
	if err := os.WriteFile(path, []byte("OLD=1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 4321, 8765); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{}).Deliver(bg, fileDependent(path, FormatEnv, "P={{password}}\n"), passwordCred(), newMaterial("n"), "1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + BackupSuffix} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 4321 || st.Gid != 8765 || fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: owner %d:%d mode %v, want 4321:8765 0640", p, st.Uid, st.Gid, fi.Mode().Perm())
		}
	}
}
