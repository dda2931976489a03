package main

import (
	"context"
	"fmt"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/local"
)

func init() {
	register("rotate-kek", "re-wrap a local secret store under a new key-encryption key", runRotateKEK)
}

const rotateKEKUsage = `rotate-kek [--config FILE] --store NAME --new-key-file PATH

Rotates the key-encryption key (KEK) of a local secret store: every
secret's data key is re-wrapped under the key in PATH, in one atomic
rewrite of the store file; values are not re-encrypted and never leave
the process. PATH is created (mode 0600) when it does not exist. Afterwards
only the new key opens the store: point the store's keyFile (or keyEnv) in
the configuration at it, and keep the old key until you have checked.`

func runRotateKEK(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("rotate-kek", rotateKEKUsage)
	file := configFlag(fs)
	name := fs.String("store", "", "name of a local secret store in the configuration")
	newKey := fs.String("new-key-file", "", "file holding the new key-encryption key (created when missing)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if *name == "" || *newKey == "" {
		fmt.Fprintln(m.Stderr, "warden: rotate-kek needs --store and --new-key-file")
		return errUsage
	}
	cfg, err := m.loadConfig(m.configPath(*file))
	if err != nil {
		return err
	}
	for _, sc := range cfg.SecretStores {
		if sc.Name != *name {
			continue
		}
		if sc.Kind != "local" {
			return warden.Errorf(warden.EINVALID, "--store %s: only local stores have a key-encryption key (this one is %s)", sc.Name, sc.Kind)
		}
		kek, err := local.KEKFromFile(*newKey)
		if warden.ErrorKind(err) == warden.ENOTFOUND {
			kek, err = local.GenerateKEKFile(*newKey)
		}
		if err != nil {
			return err
		}
		s, _, err := m.openSecretStore(sc, cfg)
		if err != nil {
			return err
		}
		ls := s.(*local.Store)
		defer ls.Close()
		if err := ls.RotateKEK(ctx, kek); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "secret store %s re-wrapped under the key in %s (fingerprint %s); update its keyFile/keyEnv in the configuration\n", sc.Name, *newKey, kek.Fingerprint())
		return nil
	}
	return warden.Errorf(warden.ENOTFOUND, "--store: no secret store %q in the configuration", *name)
}
