//go:build !unix

package delivery

import "os"

// owner is unused where files have no Unix owner.
type owner struct{}

func ownerOf(string) owner { return owner{} }

func setOwner(*os.File, owner) error { return nil }
