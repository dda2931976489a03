//go:build !unix

package local

// lockFile does nothing on platforms without flock: there, keeping a
// second process away from the store file is the operator's job.
func lockFile(string, bool) (func() error, error) {
	return func() error { return nil }, nil
}
