//go:build unix

package delivery

import (
	"os"
	"syscall"

	"github.com/wardenhq/warden"
)

// owner is a file's owning user and group; known is false for a new file.
type owner struct {
	uid, gid int
	known    bool
}

// ownerOf returns the owner of path, if it exists.
func ownerOf(path string) owner {
	fi, err := os.Stat(path)
	if err != nil {
		return owner{}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}
	}
	return owner{uid: int(st.Uid), gid: int(st.Gid), known: true}
}

// setOwner gives f the owner o, when it is not already f's. Failing to do
// so is an EFORBIDDEN error: replacing the file would hand it to Warden's
// user, and the application might no longer read it.
func setOwner(f *os.File, o owner) error {
	if !o.known {
		return nil
	}
	cur := ownerOf(f.Name())
	if cur.known && cur.uid == o.uid && cur.gid == o.gid {
		return nil
	}
	if err := f.Chown(o.uid, o.gid); err != nil {
		return warden.Errorf(warden.EFORBIDDEN, "cannot keep the file's owner %d:%d (Warden runs as %d:%d)", o.uid, o.gid, os.Getuid(), os.Getgid())
	}
	return nil
}
