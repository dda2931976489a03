package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
)

func init() {
	register("emulator", "run the Salesforce emulator", runEmulator)
}

const emulatorUsage = `emulator [--addr 127.0.0.1:PORT] [--seed FILE|demo] [--no-control | --allow-remote-control]

Runs the bundled Salesforce emulator: OAuth 2.0 and SOAP login, the REST
data API with SOQL, the objects that describe integration users, and the
control API under /_emulator/. Its base URL is both the login URL and the
instance URL of every seeded org. The control API is only served on a
loopback --addr unless --allow-remote-control is given. See docs/emulator.md.`

func runEmulator(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("emulator", emulatorUsage)
	addr := fs.String("addr", "127.0.0.1:8484", "listen address (loopback by default)")
	seedArg := fs.String("seed", "demo", `seed file (YAML or JSON), or "demo" for the built-in demo`)
	keyOut := fs.String("demo-key", "", "with --seed demo: write the demo connected apps' JWT private key (PEM) to this file")
	noControl := fs.Bool("no-control", false, "disable the /_emulator/ control API")
	allowRemote := fs.Bool("allow-remote-control", false, "serve the control API (which can freeze users and read mailboxes) on a non-loopback --addr")
	verbose := fs.Bool("v", false, "log every request")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if !*noControl {
		if err := checkControlAddr(*addr, *allowRemote, m.Stderr); err != nil {
			return err
		}
	}
	seed, err := loadSeed(*seedArg, *keyOut)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := emulator.New(seed, emulator.Options{DisableControl: *noControl, Logger: logger})
	if err != nil {
		return &warden.Error{Kind: warden.EINVALID, Message: err.Error()}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "emulator: cannot listen on %s: %v", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	printEmulator(m.Stdout, base, seed, !*noControl)
	if m.Ready != nil {
		m.Ready("emulator", base)
	}
	return serve(ctx, ln, srv)
}

// checkControlAddr refuses to serve the emulator's control API on an
// address beyond loopback unless allowRemote is set, and then warns: anyone
// who can reach it can freeze users, reset passwords and read mailboxes.
func checkControlAddr(addr string, allowRemote bool, stderr io.Writer) error {
	if loopbackAddr(addr) {
		return nil
	}
	if !allowRemote {
		return warden.Errorf(warden.EINVALID, "--addr %s is not a loopback address: the control API under /_emulator/ can freeze users, reset passwords and read mailboxes, so it is only served on loopback; use --no-control, or --allow-remote-control to expose it anyway", addr)
	}
	fmt.Fprintf(stderr, "warning: the emulator's control API is reachable beyond loopback on %s (--allow-remote-control): anyone who can connect can freeze users, reset passwords and read mailboxes\n", addr)
	return nil
}

// loadSeed reads a seed file or builds the demo seed (writing its JWT key
// to keyOut when given).
func loadSeed(arg, keyOut string) (*emulator.Seed, error) {
	if arg != "demo" {
		if keyOut != "" {
			return nil, warden.Errorf(warden.EINVALID, "--demo-key: only valid with --seed demo")
		}
		seed, err := emulator.LoadSeedFile(arg)
		if err != nil {
			return nil, &warden.Error{Kind: warden.EINVALID, Message: err.Error(), Err: err}
		}
		return seed, nil
	}
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		return nil, fmt.Errorf("demo seed: %w", err)
	}
	if keyOut != "" {
		if err := writeKey(keyOut, key); err != nil {
			return nil, err
		}
	}
	return seed, nil
}

// serve runs an HTTP server on ln until ctx is done, then shuts it down.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func printEmulator(w io.Writer, base string, seed *emulator.Seed, control bool) {
	fmt.Fprintf(w, "Salesforce emulator listening on %s\n", base)
	fmt.Fprintf(w, "  login URL and instance URL: %s\n", base)
	if control {
		fmt.Fprintf(w, "  control API:                %s/_emulator/orgs\n", base)
	}
	for _, o := range seed.Orgs {
		fmt.Fprintf(w, "\nOrg %s (%s), %d users\n", o.Name, o.ID, len(o.Users))
		for _, a := range o.ConnectedApps {
			fmt.Fprintf(w, "  connected app %-24s consumer key %s\n", a.Name, a.ConsumerKey)
		}
		users := append([]emulator.SeedUser(nil), o.Users...)
		sort.Slice(users, func(i, j int) bool { return users[i].Username < users[j].Username })
		for _, u := range users {
			fmt.Fprintf(w, "  user %-34s profile %s\n", u.Username, u.Profile)
		}
	}
	fmt.Fprintf(w, "\nTry:\n  curl -s %s/services/data/ | head\n  curl -s %s/_emulator/orgs\n", base, base)
	fmt.Fprintf(w, "Press Ctrl-C to stop.\n")
}

// writeKey writes an RSA private key as PEM, readable only by its owner,
// replacing the file atomically.
func writeKey(path string, key *rsa.PrivateKey) error {
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	tmp, err := os.CreateTemp(filepath.Dir(path), ".warden-key-*")
	if err != nil {
		return warden.Errorf(warden.EINVALID, "--demo-key: cannot write %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(b)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return warden.Errorf(warden.EINVALID, "--demo-key: cannot write %s: %v", path, err)
	}
	return nil
}
