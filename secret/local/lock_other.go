//go:build !unix

package local

import "errors"

// errLocked means another process holds the lock.
var errLocked = errors.New("locked by another process")

// lockFile does nothing on platforms without flock: there, keeping a
// second process away from the store file is the operator's job.
func lockFile(string) (func() error, error) {
	return func() error { return nil }, nil
}
