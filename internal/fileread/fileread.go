// Package fileread reads the files Warden is pointed at (the
// configuration, a policy, a seed, a private key, an authorization file):
// only regular files, and at most a given size, so that /dev/zero cannot
// exhaust memory and a named pipe cannot block the process.
package fileread

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/wardenhq/warden"
)

// Sizes of the files Warden reads: generous for what each holds, small
// enough that a wrong path fails at once.
const (
	MaxConfig = 64 << 20  // warden.yaml, with tens of thousands of users
	MaxPolicy = 16 << 20  // a policy file or an integration spec
	MaxSeed   = 256 << 20 // an emulator seed
	MaxKey    = 1 << 20   // a private key, a key-encryption key, an auth file
)

// Read returns the content of the regular file at path, of at most max
// bytes. what names the file in messages (a flag such as "--config", or
// "policy file"); the messages also name the path.
//
// The file is opened without blocking, so a named pipe or a device is
// refused instead of waited on, and its type is checked on the open file.
// A missing file gives an ENOTFOUND *warden.Error, any other problem an
// EINVALID one.
func Read(what, path string, max int64) ([]byte, error) {
	name := path
	if what != "" {
		name = what + " " + path
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		kind := warden.EINVALID
		if errors.Is(err, fs.ErrNotExist) {
			kind = warden.ENOTFOUND
		}
		return nil, &warden.Error{Kind: kind, Op: "fileread.Read", Message: fmt.Sprintf("%s: cannot read: %v", name, pathless(err)), Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: "fileread.Read", Message: fmt.Sprintf("%s: cannot read: %v", name, pathless(err)), Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: "fileread.Read", Message: fmt.Sprintf("%s: is %s, not a regular file", name, describe(fi.Mode()))}
	}
	if fi.Size() > max {
		return nil, tooLarge(name, max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: "fileread.Read", Message: fmt.Sprintf("%s: cannot read: %v", name, pathless(err)), Err: err}
	}
	if int64(len(data)) > max { // the file grew while it was read
		clear(data)
		return nil, tooLarge(name, max)
	}
	return data, nil
}

func tooLarge(name string, max int64) error {
	return &warden.Error{Kind: warden.EINVALID, Op: "fileread.Read", Message: fmt.Sprintf("%s: is larger than %s", name, size(max))}
}

// size formats a byte count in the largest whole binary unit.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// describe names a file type that is not a regular file.
func describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// pathless drops the path of an *fs.PathError, which the message names.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
