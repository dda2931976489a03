// Command emulatorserver runs the Salesforce emulator as its own process on
// a loopback address, loaded with a generated benchmark seed (see package
// benchseed), for load tests that must not share a process with the load
// generator or with Warden.
//
// It prints one JSON line on stdout once it is listening:
//
//	{"url":"http://127.0.0.1:8585","org":"bench-org-0000","accessToken":"00D…!AQ…","refreshToken":"5Aep861…"}
//
// accessToken is a session of org 0's admin (password grant), refreshToken
// the admin's seeded refresh token for the connected app (consumer key
// benchseed.AppKey(0)). With -pprof it also serves net/http/pprof on a second
// loopback address. It exits on SIGINT/SIGTERM or after -lifetime.
//
//	go build -o /tmp/emulatorserver ./bench/emulatorserver
//	/tmp/emulatorserver -addr 127.0.0.1:8585 -orgs 1 -users 100 -pprof 127.0.0.1:6060
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // served only on -pprof
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/wardenhq/warden/bench/internal/benchseed"
	"github.com/wardenhq/warden/emulator"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8585", "listen address (loopback only)")
	orgs := flag.Int("orgs", 1, "number of generated orgs")
	users := flag.Int("users", 100, "integration users per org")
	keyFile := flag.String("key", "", "RSA key (PKCS#1 PEM) whose certificate the connected apps trust for JWT; created when missing; empty = a throw-away key")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this loopback address")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit after this long")
	mutexFraction := flag.Int("mutex-fraction", 0, "runtime.SetMutexProfileFraction (for /debug/pprof/mutex); 0 = off")
	flag.Parse()
	runtime.SetMutexProfileFraction(*mutexFraction)
	if err := run(*addr, *orgs, *users, *keyFile, *pprofAddr, *lifetime); err != nil {
		log.Fatal(err)
	}
}

func run(addr string, orgs, users int, keyFile, pprofAddr string, lifetime time.Duration) error {
	if err := loopback(addr); err != nil {
		return err
	}
	var cert string
	var err error
	if keyFile != "" {
		_, cert, err = benchseed.LoadOrCreateKey(keyFile)
	} else {
		_, cert, err = benchseed.NewKey()
	}
	if err != nil {
		return err
	}
	start := time.Now()
	srv, err := emulator.New(benchseed.Generate(benchseed.Params{Orgs: orgs, Users: users, Cert: cert}), emulator.Options{})
	if err != nil {
		return err
	}
	log.Printf("seed of %d orgs x %d users loaded in %v", orgs, users, time.Since(start).Round(time.Millisecond))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if pprofAddr != "" {
		if err := loopback(pprofAddr); err != nil {
			return err
		}
		go func() { log.Println(http.ListenAndServe(pprofAddr, nil)) }() // DefaultServeMux has the pprof handlers
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, lifetime)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	tok, err := login(base)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(map[string]string{"url": base, "org": benchseed.OrgName(0), "accessToken": tok, "refreshToken": benchseed.RefreshToken(0)})
	fmt.Println(string(line))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	hs.Shutdown(sctx)
	return nil
}

// loopback refuses listen addresses that are not on the loopback range.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s: listen on a loopback address only", addr)
	}
	return nil
}

// login returns an access token of org 0's admin (OAuth password grant).
func login(base string) (string, error) {
	form := url.Values{"grant_type": {"password"}, "client_id": {benchseed.AppKey(0)}, "client_secret": {benchseed.AppSecret},
		"username": {benchseed.AdminUsername(0)}, "password": {benchseed.AdminPassword + benchseed.AdminToken}}
	resp, err := http.PostForm(base+"/services/oauth2/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return "", errors.New("admin login failed: " + strings.TrimSpace(string(body)))
	}
	return t.AccessToken, nil
}
