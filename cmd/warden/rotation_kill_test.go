package main

import (
	"bufio"
	"context"
	cryptorand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/delivery"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/rotation"
	"github.com/wardenhq/warden/rotation/rotationtest"
	"github.com/wardenhq/warden/secret/local"
	"github.com/wardenhq/warden/sqlite"
)

// killTrialsEnv sets the number of kill trials (default 200).
const killTrialsEnv = "WARDEN_KILL_TRIALS"

// TestRotationSurvivesSIGKILL kills "warden rotate" with SIGKILL at every
// step boundary and at random instants, for every credential kind, then
// runs it again: every rotation must complete or roll back, the secret
// store must hold a credential that logs in to the emulator, and every
// dependent (a JSON file and a secret-store path) must hold one that
// does too. Lanes of one org each (own database, secret store and
// configuration) run in parallel.
func TestRotationSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs hundreds of processes")
	}
	trials := 200
	if v := os.Getenv(killTrialsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number", killTrialsEnv, v)
		}
		trials = n
	}
	bin := buildWarden(t)
	// The last lane's password and JWT credentials have twins.
	const laneCount = 4
	var orgs []*rotationtest.Org
	var seed emulator.Seed
	for i := range laneCount {
		o, err := rotationtest.NewOrg(fmt.Sprintf("lane%d", i), "local", 1)
		if err != nil {
			t.Fatal(err)
		}
		if i == laneCount-1 {
			if err := o.AddTwins(); err != nil {
				t.Fatal(err)
			}
		}
		orgs = append(orgs, o)
		seed.Orgs = append(seed.Orgs, o.Seed)
	}
	emu := emulatortest.Start(t, &seed)
	lanes := make([]*killLane, laneCount)
	for i, o := range orgs {
		lanes[i] = newKillLane(t, bin, emu.URL, o)
	}
	var total killCounts
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i, l := range lanes {
		n := trials / laneCount
		if i < trials%laneCount {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := l.run(t, n, int64(i))
			mu.Lock()
			total.add(c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("kill test: %d trials in %s: %d killed at a step boundary, %d at a random instant, %d finished before the kill; "+
		"after restart %d completed, %d rolled back, %d resumed a rotation; by kind %v; %d problems",
		total.trials, time.Since(start).Round(time.Millisecond), total.boundary, total.random, total.unkilled,
		total.completed, total.rolledBack, total.resumed, total.kinds, total.problems)
	fmt.Printf("rotation kill test: trials=%d boundary=%d random=%d unkilled=%d completed=%d rolled_back=%d resumed=%d problems=%d\n",
		total.trials, total.boundary, total.random, total.unkilled, total.completed, total.rolledBack, total.resumed, total.problems)
}

// killCounts are a lane's outcomes.
type killCounts struct {
	trials, boundary, random, unkilled       int
	completed, rolledBack, resumed, problems int
	kinds                                    map[string]int // by kind, "(twin)" marking twins
}

func (c *killCounts) add(o killCounts) {
	c.trials += o.trials
	c.boundary += o.boundary
	c.random += o.random
	c.unkilled += o.unkilled
	c.completed += o.completed
	c.rolledBack += o.rolledBack
	c.resumed += o.resumed
	c.problems += o.problems
	if c.kinds == nil {
		c.kinds = map[string]int{}
	}
	for k, n := range o.kinds {
		c.kinds[k] += n
	}
}

// killLane is one org with its own Warden configuration, database and
// secret store.
type killLane struct {
	bin, dir, config, kek, url string
	org                        *rotationtest.Org
}

// newKillLane writes the lane's configuration and inventory, and gives
// each dependent its initial credential.
func newKillLane(t *testing.T, bin, url string, o *rotationtest.Org) *killLane {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	raw := make([]byte, local.KEKSize)
	cryptorand.Read(raw)
	l := &killLane{bin: bin, dir: dir, config: filepath.Join(dir, "warden.yaml"), kek: base64.StdEncoding.EncodeToString(raw), url: url, org: o}
	var mailboxes strings.Builder
	for _, c := range o.Creds {
		if c.Credential.Kind == warden.CredentialPassword {
			fmt.Fprintf(&mailboxes, "    - credential: %s\n", c.Credential.Name)
			if c.Credential.TwinUsername != "" {
				fmt.Fprintf(&mailboxes, "    - {credential: %s, username: %s}\n", c.Credential.Name, c.Credential.TwinUsername)
			}
		}
	}
	cfg := "store:\n  path: warden.db\nsecretStores:\n  - name: local\n    kind: local\n    path: secrets.json\n    keyEnv: WARDEN_TEST_KEK\n" +
		"rotation:\n  tokenWait: 20s\n  pollInterval: 25ms\n  mailboxes:\n" + mailboxes.String()
	if err := os.WriteFile(l.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	st, ss, creds := l.open(t)
	defer st.Close()
	defer ss.Close()
	if err := o.Install(ctx, st, ss, url, l.dependents); err != nil {
		t.Fatal(err)
	}
	d := delivery.New(delivery.Config{Secrets: map[string]warden.SecretStore{"local": ss}, Deliveries: st, Orgs: st, Sessions: creds})
	for _, c := range o.Creds {
		for _, dep := range l.dependents(c) {
			if _, err := d.Deliver(ctx, dep, c.Credential, c.Material, "initial"); err != nil {
				t.Fatalf("initial delivery to %s: %v", dep.Name, err)
			}
		}
	}
	return l
}

// dependents are two per credential: a JSON configuration file (naming
// the user and app too, as a twin's dependents must) and a secret-store
// path, both verified by a test login.
func (l *killLane) dependents(c rotationtest.Cred) []*warden.Dependent {
	field := map[warden.CredentialKind]string{warden.CredentialPassword: "password", warden.CredentialJWT: "privateKey", warden.CredentialClientCredentials: "clientSecret"}[c.Credential.Kind]
	base := warden.Dependent{Org: c.Credential.Org, Username: c.User.Username, Owner: c.User.Owner, Verify: warden.Verification{Method: warden.VerifyLogin}}
	file, store := base, base
	file.Name, file.Delivery = c.Credential.Name+"-file", warden.DeliveryFile
	ident := `, "username": {{username}}, "clientId": {{clientId}}`
	if c.Credential.Kind == warden.CredentialPassword {
		ident = `, "username": {{username}}`
	}
	file.Target.File = &warden.FileTarget{Path: filepath.Join(l.dir, c.Credential.Name+".json"), Format: "json", Template: `{"secret": {{` + field + `}}` + ident + "}\n"}
	store.Name, store.Delivery = c.Credential.Name+"-store", warden.DeliverySecretStore
	store.Target.Secret = &warden.SecretTarget{Store: "local", Key: "apps/" + c.Credential.Name}
	return []*warden.Dependent{&file, &store}
}

// open opens the lane's store and secret store, and a registry over them.
func (l *killLane) open(t *testing.T) (warden.Store, *local.Store, *credential.Registry) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(l.dir, "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(l.kek)
	kek, err := local.NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(l.dir, "secrets.json"), kek)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st, ss, credential.NewRegistry(credential.Config{Orgs: st, Credentials: st, Secrets: map[string]warden.SecretStore{"local": ss}})
}

// run runs n trials on the lane, cycling through its credentials and kill
// points.
func (l *killLane) run(t *testing.T, n int, seed int64) killCounts {
	rnd := rand.New(rand.NewPCG(uint64(seed), 42))
	c := killCounts{kinds: map[string]int{}}
	took := 300 * time.Millisecond // how long a whole run takes, measured below
	for i := range n {
		cred := l.org.Creds[i%len(l.org.Creds)]
		c.trials++
		kind := string(cred.Credential.Kind)
		if cred.Credential.HasTwin() {
			kind += " (twin)"
		}
		c.kinds[kind]++
		// Alternate: kill after the k-th step line (k cycling through
		// every boundary of the kind, 0 = as soon as the process
		// starts), or at a random instant of a run.
		boundary, delay := -1, time.Duration(0)
		steps, _ := rotation.Steps(cred.Credential.Kind)
		if i%2 == 0 {
			boundary = (i / 2 / len(l.org.Creds)) % (len(steps) + 1)
		} else {
			delay = time.Duration(rnd.Int64N(int64(took))) + time.Millisecond
		}
		killed, err := l.rotate(t, cred.Credential.Name, boundary, delay)
		if err != nil {
			t.Errorf("trial %d (%s): %v", i, cred.Credential.Name, err)
			c.problems++
			continue
		}
		switch {
		case !killed:
			c.unkilled++
		case boundary >= 0:
			c.boundary++
		default:
			c.random++
		}
		began := time.Now()
		if _, err := l.rotate(t, cred.Credential.Name, -1, 0); err != nil {
			t.Errorf("trial %d (%s): restart: %v", i, cred.Credential.Name, err)
			c.problems++
			continue
		}
		if d := time.Since(began); !killed || boundary < 0 {
			took = (took + d) / 2
		}
		j, resumed, err := l.check(t, cred)
		if err != nil {
			t.Errorf("trial %d (%s, kill at step %d / after %s): %v", i, cred.Credential.Name, boundary, delay, err)
			c.problems++
			continue
		}
		if resumed {
			c.resumed++
		}
		if j.State == warden.RotationCompleted {
			c.completed++
		} else {
			c.rolledBack++
			t.Logf("trial %d (%s, kill at step %d / after %s): rolled back: %s", i, cred.Credential.Name, boundary, delay, j.Error)
		}
	}
	return c
}

// rotate runs warden rotate --now on cred. With boundary >= 0 it kills
// the process with SIGKILL after that many step lines; with delay > 0
// after that long; otherwise it waits for it to finish. It reports
// whether the process was killed.
func (l *killLane) rotate(t *testing.T, cred string, boundary int, delay time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.bin, "rotate", cred, "--now", "--config", l.config)
	cmd.Env = append(os.Environ(), "WARDEN_TEST_KEK="+l.kek, "WARDEN_ROTATION_LEASE=1s", "WARDEN_CONFIG=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return false, err
	}
	var killed atomic.Bool // set by the timer's goroutine too
	kill := func() {
		if killed.CompareAndSwap(false, true) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	if boundary == 0 {
		kill()
	}
	var timer *time.Timer
	if delay > 0 {
		timer = time.AfterFunc(delay, kill)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	steps := 0
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if strings.Contains(line, "  step ") {
			steps++
			if boundary > 0 && steps == boundary {
				kill()
			}
		}
	}
	if timer != nil && !timer.Stop() {
		killed.Store(true) // the timer fired (or is firing)
	}
	err = cmd.Wait()
	if killed.Load() {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return true, nil
		}
		// it finished before the signal
	}
	if err != nil && !strings.Contains(strings.Join(lines, "\n"), "rolled back") {
		return false, fmt.Errorf("warden rotate: %v\nstdout:\n%s\nstderr:\n%s", err, strings.Join(lines, "\n"), stderr.String())
	}
	return false, nil // not killed, or it finished before the signal
}

// check proves the lane's state after a trial: no rotation of cred is
// still running, the latest ended completed or rolled back, and the
// secret store and every dependent hold a credential that logs in.
func (l *killLane) check(t *testing.T, c rotationtest.Cred) (*warden.RotationJob, bool, error) {
	ctx := t.Context()
	st, ss, creds := l.open(t)
	defer st.Close()
	defer ss.Close()
	jobs, err := st.RotationJobs(ctx, warden.RotationJobFilter{Credential: c.Credential.Name}, 2)
	if err != nil {
		return nil, false, err
	}
	if len(jobs) == 0 {
		return nil, false, fmt.Errorf("no rotation recorded")
	}
	resumed := false
	for _, j := range jobs {
		if j.State == warden.RotationRunning {
			return nil, false, fmt.Errorf("rotation %s is still running at step %s", j.ID, j.Step)
		}
		resumed = resumed || j.Attempt > 1
	}
	j := jobs[0]
	if j.State != warden.RotationCompleted && j.State != warden.RotationRolledBack {
		return nil, false, fmt.Errorf("rotation %s ended %s: %s", j.ID, j.State, j.Error)
	}
	m, err := creds.Material(ctx, c.Credential)
	if err != nil {
		return nil, false, err
	}
	if err := rotationtest.Login(ctx, creds, c.Credential, m); err != nil {
		return nil, false, fmt.Errorf("the secret store's current version does not log in: %v", err)
	}
	for _, d := range l.dependents(c) {
		var held warden.Material
		switch d.Delivery {
		case warden.DeliveryFile:
			raw, err := os.ReadFile(d.Target.File.Path)
			if err != nil {
				return nil, false, err
			}
			var doc struct{ Secret, Username, ClientID string }
			if err := json.Unmarshal(raw, &doc); err != nil {
				return nil, false, fmt.Errorf("%s: %v", d.Name, err)
			}
			held = m
			held.Username, held.ClientID = doc.Username, doc.ClientID
			switch c.Credential.Kind {
			case warden.CredentialPassword:
				held.Password = doc.Secret
			case warden.CredentialJWT:
				held.PrivateKey = doc.Secret
			default:
				held.ClientSecret = doc.Secret
			}
		default:
			held, err = credential.Read(ctx, ss, warden.SecretRef{Store: "local", Key: d.Target.Secret.Key}, warden.StageCurrent)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %v", d.Name, err)
			}
		}
		if err := rotationtest.Login(ctx, creds, c.Credential, held); err != nil {
			return nil, false, fmt.Errorf("dependent %s holds a credential that does not log in (rotation %s %s): %v", d.Name, j.ID, j.State, err)
		}
	}
	return j, resumed, nil
}

// buildWarden builds the warden binary for the test.
func buildWarden(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "warden")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
