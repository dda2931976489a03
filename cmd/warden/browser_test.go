package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/emulator"
)

// chromium returns the path of Debian's Chromium, or "" when it is
// missing.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startDashboard starts what "warden demo" starts, in process: the
// emulator with the demo orgs and a Warden server over them sweeping every
// second, with an admin account. It returns the server's URL and the
// admin's password.
func startDashboard(t *testing.T) (base, password string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	dir := t.TempDir()
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	emuDone := make(chan error, 1)
	go func() { emuDone <- serve(ctx, eln, emu) }()
	wln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := wln.Addr().String()
	wln.Close()
	cfgPath := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(ctx, dir, cfgPath, "http://"+eln.Addr().String(), addr, time.Second, key); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }, Ready: func(name, url string) { ready <- url }}
	cfg, err := m.loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	e, err := m.openUnsynced(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	password = auth.GeneratePassword()
	if err := e.syncInventory(ctx, e.cfg); err == nil {
		_, err = auth.New(e.store, auth.Options{Argon2: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}}).CreateAccount(ctx, "admin", warden.RoleAdmin, password)
	}
	e.Close()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.serve(ctx, cfg, serveOptions{}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		<-emuDone
	})
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("serve ended before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve not ready")
	}
	return base, password
}

// TestBrowser drives headless Chromium through the dashboard of the demo:
// logging in, the overview with the demo's broken users, a user page,
// checking it now, acknowledging an alert, a phone-sized overview, and
// logging out. Screenshots go to $WARDEN_ARTIFACTS (or a temporary
// directory), named in the log. Without Chromium it skips, except with
// CI=true, where it fails (scripts/install-chromium.sh installs it).
func TestBrowser(t *testing.T) {
	browser := chromium()
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (scripts/install-chromium.sh installs it)")
		}
		t.Skip("chromium is not installed (scripts/install-chromium.sh installs it)")
	}
	if testing.Short() {
		t.Skip("the browser test is not short")
	}
	artifacts := os.Getenv("WARDEN_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	base, password := startDashboard(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1000), chromedp.Flag("disable-dev-shm-usage", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	shot := func(name string) {
		t.Helper()
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(artifacts, name)
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// atPage waits until the browser shows a page whose URL contains want.
	atPage := func(want string) {
		t.Helper()
		waitFor(t, "a page at "+want, 15*time.Second, func() bool { return strings.Contains(location(), want) })
	}

	// Anonymous: the dashboard sends the browser to the login page.
	do("open the dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("username")))
	if l := location(); !strings.Contains(l, "/login") {
		t.Errorf("anonymous dashboard at %s, want /login", l)
	}
	do("fill the login form", chromedp.SendKeys(chromedp.ID("username"), "admin"), chromedp.SendKeys(chromedp.ID("password"), password))
	shot("01-login.png")
	do("log in", chromedp.Click(chromedp.CSS(`button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("orgs")))

	// The overview shows the demo's broken users with causes and fixes
	// once the first sweeps are in.
	var problems string
	waitFor(t, "the demo's broken users on the overview", 30*time.Second, func() bool {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("problems"))); err != nil {
			return false
		}
		problems = text("#problems")
		return strings.Contains(problems, "marketing.sync@acme.demo") && strings.Contains(problems, "user_deactivated")
	})
	for _, want := range []string{"user_frozen", "password_locked", "Unfreeze"} {
		if !strings.Contains(problems, want) {
			t.Errorf("overview lacks %q:\n%s", want, problems)
		}
	}
	if h := text("header"); !strings.Contains(h, "admin (admin)") {
		t.Errorf("header %q does not name the principal", h)
	}
	shot("02-overview.png")

	// A user page, and checking the user now.
	do("user page", chromedp.Click(chromedp.CSS(`#problems a[href*="marketing.sync"]`)))
	atPage("/users/")
	do("user page", chromedp.WaitVisible(chromedp.ID("status")))
	page := text("main")
	for _, want := range []string{"user_frozen", "Marketing Connector", "Secret location", "Health history"} {
		if !strings.Contains(page, want) {
			t.Errorf("user page lacks %q", want)
		}
	}
	if title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('svg.chart title').textContent`)); err != nil || title != "Health checks per hour, last 24 hours" {
		t.Errorf("user page chart: %q %v", title, err)
	}
	shot("03-user.png")
	do("check now", chromedp.Click(chromedp.ID("check-now")))
	atPage("checked=1")

	// Acknowledge an alert of the user with a reason.
	form := `#alerts form[action$="/ack"]`
	waitFor(t, "an alert to acknowledge", 20*time.Second, func() bool {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/alerts?open=1&username=marketing.sync@acme.demo")); err != nil {
			return false
		}
		count, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+form+`').length`))
		return err == nil && count > 0
	})
	// The user may have several open alerts (health, policy, activity):
	// acknowledging the first removes its form only.
	open, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+form+`').length`))
	if err != nil {
		t.Fatal(err)
	}
	do("acknowledge", chromedp.SendKeys(chromedp.CSS(form+` input[name=reason]`), "marketing knows; unfreezing after the audit"),
		chromedp.Click(chromedp.CSS(form+` button`)))
	waitFor(t, "the acknowledgement", 15*time.Second, func() bool {
		count, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+form+`').length`))
		return err == nil && count == open-1
	})
	do("alerts", chromedp.Navigate(base+"/alerts?username=marketing.sync@acme.demo"), chromedp.WaitVisible(chromedp.ID("alerts")))
	if a := text("#alerts"); !strings.Contains(a, "acknowledged by account:admin: marketing knows") {
		t.Errorf("alerts page after acknowledging:\n%s", a)
	}
	shot("04-alerts.png")

	// Readable on a phone.
	do("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("orgs")))
	shot("05-overview-phone.png")
	do("laptop", chromedp.EmulateViewport(1280, 1000))

	// Logging out ends the session.
	do("log out", chromedp.Click(chromedp.ID("logout")))
	atPage("logged_out")
	if m := text("main"); !strings.Contains(m, "You have logged out") {
		t.Errorf("after logging out: %s", m)
	}
	do("after logout", chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.ID("username")))
	if l := location(); !strings.Contains(l, "/login") {
		t.Errorf("after logging out, /status at %s", l)
	}
}
