//go:build unix

package local

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an advisory lock (flock) on path, shared or exclusive,
// waiting for it, creating the file with mode 0600, and returns the
// function that releases it. The lock file is left in place: removing it
// would let two processes lock two different files of the same name.
func lockFile(path string, exclusive bool) (func() error, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f.Close, nil // closing the descriptor releases the lock
}
