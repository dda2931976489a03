// Command rotation benchmarks credential rotation end to end: credentials
// across emulated orgs, each with three dependents (a JSON configuration
// file, a secret-store path and an HMAC-signed webhook) served by the
// delivery package, rotated by the rotation engine while a load generator
// keeps logging in to the emulator with every dependent's current
// credential. It rotates everything twice in the same run: once
// concurrently, once sequentially (one at a time), and prints total times
// and the failed dependent requests per credential kind.
//
//	go run ./bench/rotation -orgs 50 -per-org 20 -parallel 32
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/mailbox"
	"github.com/wardenhq/warden/mailbox/emulatormail"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/rotation"
	"github.com/wardenhq/warden/rotation/rotationtest"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/secret/vault"
	"github.com/wardenhq/warden/secret/vault/vaulttest"
	"github.com/wardenhq/warden/sqlite"
)

func main() {
	orgs := flag.Int("orgs", 50, "emulated orgs")
	perOrg := flag.Int("per-org", 20, "credentials per org (a third of each kind, the remainder client credentials)")
	parallel := flag.Int("parallel", 32, "rotations at once in the concurrent pass")
	loaders := flag.Int("load", 8, "load generator workers")
	sequential := flag.Int("sequential", 0, "credentials in the sequential pass (0: all)")
	secretKind := flag.String("secrets", "vault", "secret store: vault (an in-process Vault KV v2 contract server) or local (the encrypted file)")
	twins := flag.Bool("twins", true, "give password credentials a twin user and JWT credentials a twin connected app (zero-downtime rotation)")
	grace := flag.Duration("grace", time.Second, "how long the old credential outlives the promotion (requests already holding it finish); retirements run after it, beside the next rotations")
	flag.Parse()
	if err := run(*orgs, *perOrg, *parallel, *loaders, *sequential, *secretKind, *twins, *grace); err != nil {
		log.Fatal(err)
	}
}

// dep is one dependent and how the load generator reads its current
// credential.
type dep struct {
	d    *warden.Dependent
	c    rotationtest.Cred
	read func() (warden.Material, error)
}

// counts are the load generator's requests by credential kind.
type counts struct {
	ok, failed [3]atomic.Int64
}

func kindIndex(k warden.CredentialKind) int {
	switch k {
	case warden.CredentialPassword:
		return 0
	case warden.CredentialJWT:
		return 1
	}
	return 2
}

var kindNames = [3]string{"password", "jwt", "client_credentials"}

func run(nOrgs, perOrg, parallel, loaders, sequential int, secretKind string, twins bool, grace time.Duration) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rotation-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Orgs and the emulator. Lockout is off: the load generator's
	// failed logins during a password's change window must not lock
	// the user out of its own rotation.
	var seed emulator.Seed
	var orgs []*rotationtest.Org
	pw, jwt := perOrg/3, perOrg/3
	cc := perOrg - pw - jwt
	for i := range nOrgs {
		o, err := rotationtest.NewMixedOrg(fmt.Sprintf("org%02d", i), "local", pw, jwt, cc)
		if err != nil {
			return err
		}
		o.Seed.Settings.MaxLoginAttempts = 1 << 30
		if twins {
			if err := o.AddTwins(); err != nil {
				return err
			}
		}
		orgs = append(orgs, o)
		seed.Orgs = append(seed.Orgs, o.Seed)
	}
	emu, err := emulator.New(&seed, emulator.Options{})
	if err != nil {
		return err
	}
	es := httptest.NewServer(emu)
	defer es.Close()

	st, err := sqlite.Open(ctx, filepath.Join(dir, "warden.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	// The local store rewrites its whole file on every write, which
	// dominates at a thousand credentials; Vault is what such a
	// deployment uses.
	var ss warden.SecretStore
	switch secretKind {
	case "local":
		ls, err := local.Open(filepath.Join(dir, "secrets.json"), local.GenerateKEK())
		if err != nil {
			return err
		}
		defer ls.Close()
		ss = ls
	case "vault":
		vs := httptest.NewServer(vaulttest.New(vaulttest.Options{}))
		defer vs.Close()
		v, err := vault.New(vault.Config{Address: vs.URL, Token: vaulttest.DefaultToken})
		if err != nil {
			return err
		}
		ss = v
	default:
		return fmt.Errorf("-secrets %q is not vault or local", secretKind)
	}
	secrets := map[string]warden.SecretStore{"local": ss}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	creds := credential.NewRegistry(credential.Config{Orgs: st, Credentials: st, Secrets: secrets, HTTPClient: hc})

	// Webhook receiver: keeps the latest material per dependent.
	const signing = "bench-signing-secret"
	if _, err := ss.Put(ctx, "webhook-signing", []byte(signing), warden.StageCurrent, nil); err != nil {
		return err
	}
	var hookMu sync.Mutex
	hooks := map[string]warden.Material{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.VerifySignature(signing, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), 0); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m delivery.Message
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		hookMu.Lock()
		hooks[m.Org+"/"+m.Dependent] = m.Material
		hookMu.Unlock()
	}))
	defer hs.Close()

	var deps []*dep
	field := map[warden.CredentialKind]string{warden.CredentialPassword: "password", warden.CredentialJWT: "privateKey", warden.CredentialClientCredentials: "clientSecret"}
	dependents := func(c rotationtest.Cred) []*warden.Dependent {
		base := warden.Dependent{Org: c.Credential.Org, Username: c.User.Username, Owner: c.User.Owner, Verify: warden.Verification{Method: warden.VerifyLogin}}
		file, sec, hook := base, base, base
		file.Name, file.Delivery = c.Credential.Name+"-file", warden.DeliveryFile
		// The file names the user and app too, as a twin's dependents
		// need (a password credential has no client id).
		ident := `, "username": {{username}}, "clientId": {{clientId}}`
		if c.Credential.Kind == warden.CredentialPassword {
			ident = `, "username": {{username}}`
		}
		file.Target.File = &warden.FileTarget{Path: filepath.Join(dir, c.Credential.Name+".json"), Format: "json",
			Template: `{"secret": {{` + field[c.Credential.Kind] + `}}` + ident + `}`}
		sec.Name, sec.Delivery = c.Credential.Name+"-store", warden.DeliverySecretStore
		sec.Target.Secret = &warden.SecretTarget{Store: "local", Key: "apps/" + c.Credential.Name}
		hook.Name, hook.Delivery = c.Credential.Name+"-hook", warden.DeliveryWebhook
		hook.Target.Webhook = &warden.WebhookTarget{URL: hs.URL + "/" + c.Credential.Name, Secret: warden.SecretRef{Store: "local", Key: "webhook-signing"}}
		return []*warden.Dependent{&file, &sec, &hook}
	}
	deliverer := delivery.New(delivery.Config{Secrets: secrets, Deliveries: st, Orgs: st, Sessions: creds, HTTPClient: hc})
	var all []rotationtest.Cred
	for _, o := range orgs {
		if err := o.Install(ctx, st, ss, es.URL, dependents); err != nil {
			return err
		}
		for _, c := range o.Creds {
			all = append(all, c)
			for _, d := range dependents(c) {
				if _, err := deliverer.Deliver(ctx, d, c.Credential, c.Material, "initial"); err != nil {
					return fmt.Errorf("initial delivery to %s: %w", d.Name, err)
				}
				deps = append(deps, &dep{d: d, c: c, read: reader(d, c, ss, &hookMu, hooks)})
			}
		}
	}
	strategy := "no twins: password and jwt dependents fail between Salesforce's change and their delivery"
	if twins {
		strategy = "password credentials with a twin user, jwt with a twin connected app"
	}
	fmt.Printf("%d orgs, %d credentials (%d password, %d jwt, %d client_credentials), %d dependents; secret store %s; %s; grace %s\n",
		nOrgs, len(all), pw*nOrgs, jwt*nOrgs, cc*nOrgs, len(deps), secretKind, strategy, max(grace, 0))

	if grace <= 0 {
		grace = rotation.NoGrace
	}
	engine := rotation.New(rotation.Config{Store: st, Creds: creds, Deliverer: deliverer, HTTPClient: hc, Grace: grace,
		Lease: time.Minute, TokenWait: 30 * time.Second, PollInterval: 20 * time.Millisecond, Backoff: 50 * time.Millisecond,
		Mailbox: func(ctx context.Context, c *warden.Credential, username string) (warden.Mailbox, mailbox.ParseOptions, error) {
			mb, err := emulatormail.New(emulatormail.Options{URL: es.URL, Username: username, HTTPClient: hc})
			if err != nil {
				return nil, mailbox.ParseOptions{}, err
			}
			return mb, mb.ParseOptions(), nil
		}})

	pass := func(name string, list []rotationtest.Cred, workers int) error {
		var load counts
		stop := make(chan struct{})
		var lw sync.WaitGroup
		for w := range loaders {
			lw.Add(1)
			go func() {
				defer lw.Done()
				rnd := rand.New(rand.NewPCG(uint64(w), 7))
				for {
					select {
					case <-stop:
						return
					default:
					}
					d := deps[rnd.IntN(len(deps))]
					k := kindIndex(d.c.Credential.Kind)
					m, err := d.read()
					if err == nil {
						err = rotationtest.Login(ctx, creds, d.c.Credential, m)
					}
					if err != nil {
						load.failed[k].Add(1)
					} else {
						load.ok[k].Add(1)
					}
				}
			}()
		}
		start := time.Now()
		jobs := make(chan rotationtest.Cred)
		// Rotations waiting out the grace period go to the retirers,
		// so the workers take the next credential meanwhile.
		retire := make(chan *warden.RotationJob, len(list))
		var rw, tw sync.WaitGroup
		var states sync.Map
		count := func(name string, j *warden.RotationJob, err error) {
			state := "error"
			if j != nil {
				state = string(j.State)
			}
			if err != nil && state != string(warden.RotationRolledBack) {
				log.Printf("%s: %s: %v", name, state, warden.ErrorMessage(err))
			}
			v, _ := states.LoadOrStore(state, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		}
		for range workers {
			rw.Add(1)
			go func() {
				defer rw.Done()
				for c := range jobs {
					j, err := engine.Start(ctx, c.Credential.Name, "bench")
					if err == nil {
						j, err = engine.Run(ctx, j.ID)
					}
					if err == nil && j.State == warden.RotationRunning && j.Step == rotation.StepRetire {
						retire <- j
						continue
					}
					count(c.Credential.Name, j, err)
				}
			}()
		}
		for range workers {
			tw.Add(1)
			go func() {
				defer tw.Done()
				for j := range retire {
					time.Sleep(time.Until(j.NotBefore))
					j, err := engine.Run(ctx, j.ID)
					count(j.Credential, j, err)
				}
			}()
		}
		for _, c := range list {
			jobs <- c
		}
		close(jobs)
		rw.Wait()
		close(retire)
		tw.Wait()
		elapsed := time.Since(start)
		close(stop)
		lw.Wait()
		var outcome []string
		states.Range(func(k, v any) bool {
			outcome = append(outcome, fmt.Sprintf("%s %d", k, v.(*atomic.Int64).Load()))
			return true
		})
		fmt.Printf("\n%s: %d rotations with %d at once in %s (%.1f rotations/s): %s\n", name, len(list), workers, elapsed.Round(time.Millisecond),
			float64(len(list))/elapsed.Seconds(), strings.Join(outcome, ", "))
		fmt.Printf("  dependent requests during the pass (logins with each dependent's current credential):\n")
		for k := range 3 {
			fmt.Printf("    %-18s %7d ok %6d failed\n", kindNames[k], load.ok[k].Load(), load.failed[k].Load())
		}
		return nil
	}
	if err := pass("concurrent", all, parallel); err != nil {
		return err
	}
	seqList := all
	if sequential > 0 && sequential < len(all) {
		seqList = all[:sequential]
	}
	return pass("sequential", seqList, 1)
}

// reader returns how the load generator reads d's current credential: the
// file, the secret-store path or the last webhook.
func reader(d *warden.Dependent, c rotationtest.Cred, ss warden.SecretStore, mu *sync.Mutex, hooks map[string]warden.Material) func() (warden.Material, error) {
	switch d.Delivery {
	case warden.DeliveryFile:
		return func() (warden.Material, error) {
			raw, err := os.ReadFile(d.Target.File.Path)
			if err != nil {
				return warden.Material{}, err
			}
			var doc struct{ Secret, Username, ClientID string }
			if err := json.Unmarshal(raw, &doc); err != nil {
				return warden.Material{}, err
			}
			m := warden.Material{Username: doc.Username, ClientID: doc.ClientID}
			switch c.Credential.Kind {
			case warden.CredentialPassword:
				m.Password = doc.Secret
			case warden.CredentialJWT:
				m.PrivateKey = doc.Secret
			default:
				m.ClientSecret = doc.Secret
			}
			return m, nil
		}
	case warden.DeliverySecretStore:
		return func() (warden.Material, error) {
			return credential.Read(context.Background(), ss, warden.SecretRef{Store: "local", Key: d.Target.Secret.Key}, warden.StageCurrent)
		}
	}
	return func() (warden.Material, error) {
		mu.Lock()
		defer mu.Unlock()
		m, ok := hooks[d.Org+"/"+d.Name]
		if !ok {
			return m, fmt.Errorf("no webhook received")
		}
		return m, nil
	}
}
