package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
)

func init() {
	register("demo", "run the demo: the emulator with the demo orgs", runDemo)
}

const demoUsage = `demo [--emulator-addr 127.0.0.1:PORT] [--data DIR]

Starts the Salesforce emulator with the built-in demo seed: two orgs with
integration users in realistic states (healthy, over-privileged, frozen,
deactivated, password expiring, outside login hours, near the hourly login
limit, still on SOAP login, ...). The demo's JWT private key is written to
DIR/demo-jwt.key. Everything runs on loopback; nothing leaves the machine.`

func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("demo", demoUsage)
	emuAddr := fs.String("emulator-addr", "127.0.0.1:8484", "emulator listen address")
	dataDir := fs.String("data", "warden-demo", "directory for the demo's files")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return warden.Errorf(warden.EINVALID, "--data: cannot create %s: %v", *dataDir, err)
	}
	keyPath := filepath.Join(*dataDir, "demo-jwt.key")
	seed, err := loadSeed("demo", keyPath)
	if err != nil {
		return err
	}
	srv, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ln, err := net.Listen("tcp", *emuAddr)
	if err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "--emulator-addr: cannot listen on %s: %v", *emuAddr, err)
	}
	base := "http://" + ln.Addr().String()
	printEmulator(m.Stdout, base, seed, true)
	fmt.Fprintf(m.Stdout, "\nDemo JWT private key: %s (its certificate is installed in every demo connected app)\n", keyPath)
	o := seed.Orgs[0]
	fmt.Fprintf(m.Stdout, "\nLog in as the demo admin with the OAuth password flow:\n  curl -s %s/services/oauth2/token -d grant_type=password -d client_id=%s -d client_secret=%s -d username=%s -d 'password=%s'\n",
		base, o.ConnectedApps[0].ConsumerKey, "<secret>", o.Users[0].Username, "<password>")
	fmt.Fprintf(m.Stdout, "  (demo credentials: docs/emulator.md#the-demo-seed)\nStarted %s.\n", time.Now().Format(time.RFC3339))
	if m.Ready != nil {
		m.Ready("emulator", base)
	}
	return serve(ctx, ln, srv)
}
