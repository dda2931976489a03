package delivery

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden"
)

// BackupSuffix ends the name of the backup a file delivery keeps of the
// file it replaced, in the same directory.
const BackupSuffix = ".warden-backup"

// tempInfix is in the names of the temporary files a write uses
// (".NAME.warden-tmp-RANDOM" in the file's directory).
const tempInfix = ".warden-tmp-"

// defaultFileMode is the mode of a new file: it holds secrets.
const defaultFileMode = 0o600

// file renders j's template into the target file. On a delivery it keeps
// a backup of the file it replaces; on a restore it puts the backup back.
// A file that already holds the rendering is left alone, backup included,
// so a repeated delivery changes nothing.
func (d *Deliverer) file(j *job) (string, error) {
	t := j.dep.Target.File
	if t == nil {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: no file target declared", j.dep.Name)
	}
	tmpl, err := ParseTemplate(t.Format, t.Template)
	if err != nil {
		return "", warden.Prefix("delivery to "+j.dep.Name, err)
	}
	if !filepath.IsAbs(t.Path) || (t.KeyPath != "" && !filepath.IsAbs(t.KeyPath)) {
		return "", warden.Errorf(warden.EINVALID, "delivery to %s: file paths must be absolute", j.dep.Name)
	}
	if t.KeyPath != "" && j.m.PrivateKey != "" {
		if err := d.replaceFile(j, t.KeyPath, []byte(j.m.PrivateKey), defaultFileMode); err != nil {
			return "", err
		}
	}
	content, err := tmpl.Render(j.values())
	if err != nil {
		return "", warden.Prefix("delivery to "+j.dep.Name+": "+t.Path, err)
	}
	if err := d.replaceFile(j, t.Path, content, fileMode(t.Mode)); err != nil {
		return "", err
	}
	return t.Path, nil
}

func fileMode(m uint32) fs.FileMode {
	if m == 0 {
		return defaultFileMode
	}
	return fs.FileMode(m).Perm()
}

// replaceFile writes content to path for j's action. A delivery backs the
// current file up first; a restore writes the backup back when there is
// one and the file does not already hold content.
func (d *Deliverer) replaceFile(j *job, path string, content []byte, mode fs.FileMode) error {
	fail := func(what string, err error) error {
		return fileError(j, path, what, err)
	}
	removeStaleTemps(path)
	cur, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail("reading it", err)
	}
	if exists && bytes.Equal(cur, content) {
		return nil // already delivered (or restored)
	}
	backup := path + BackupSuffix
	switch j.action {
	case warden.ActionDeliver:
		if exists {
			if err := writeAtomic(backup, cur, path, mode); err != nil {
				return fail("backing it up", err)
			}
		}
	case warden.ActionRestore:
		if b, err := os.ReadFile(backup); err == nil {
			content = b
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fail("reading its backup", err)
		}
	}
	if err := writeAtomic(path, content, path, mode); err != nil {
		return fail("writing it", err)
	}
	return nil
}

// fileError describes a failed file operation without any content.
func fileError(j *job, path, what string, err error) error {
	kind := warden.EUNAVAILABLE
	if errors.Is(err, fs.ErrPermission) {
		kind = warden.EFORBIDDEN
	}
	var we *warden.Error
	if errors.As(err, &we) {
		kind = we.Kind
	}
	return &warden.Error{Kind: kind, Message: "delivery to " + j.dep.Name + ": " + path + ": " + what + ": " + j.redact(plainFSError(err)), Err: err}
}

// plainFSError is err's message without the path (the caller names it).
func plainFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Op + ": " + le.Err.Error()
	}
	return warden.ErrorMessage(err)
}

// writeAtomic replaces path with content: a temporary file in the same
// directory, given the mode and owner of like (an existing file; mode
// when like does not exist), written, synced and renamed over path, and
// the directory synced. The temporary file never outlives the call.
func writeAtomic(path string, content []byte, like string, mode fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	owner := ownerOf(like)
	if fi, err := os.Stat(like); err == nil {
		mode = fi.Mode().Perm()
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+base+tempInfix+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = setOwner(f, owner); err != nil {
		return err
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if _, err = f.Write(content); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable; failures are ignored (some file
// systems cannot sync a directory).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// removeStaleTemps removes temporary files a killed write left beside
// path.
func removeStaleTemps(path string) {
	dir, base := filepath.Split(path)
	matches, _ := filepath.Glob(filepath.Join(dir, "."+escapeGlob(base)+tempInfix+"*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// escapeGlob quotes the pattern characters of a file name.
func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
