// Package rotation rotates credentials: a durable, resumable job of
// idempotent steps per credential, recorded in the store (see
// warden.RotationJob), that tests the current credential, creates the new
// one as the secret store's pending version, applies it in Salesforce,
// tests it, delivers it to every dependent and verifies each, promotes it
// (pending becomes current, current previous) and retires the old one
// after a grace period. Nothing ever overwrites the only working copy of a
// credential: the new material is in the secret store before Salesforce
// knows it, and the old stays until the new one is promoted.
//
// A job is leased to one worker at a time; a worker that dies loses its
// lease and the next claim resumes the job at the step it had reached.
// Every step may run again after a crash, so every step is idempotent.
//
// When a step or a dependent's verification fails, the engine rolls back:
// it restores the previous credential where the kind allows it (a staged
// consumer secret is deleted, the old JWT certificate reinstalled), puts
// every delivered dependent back on it (warden.Deliverer.Restore), drops
// the pending version and alerts the owners with the failing step and
// dependent. A password Salesforce has accepted cannot be taken back: the
// job then keeps the new password (promoting it once it is proven to
// work) and fails, naming what a person must do.
package rotation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/wait"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/mailbox"
)

// Step names, in the order a rotation runs them. Not every kind runs
// every step (see Steps).
const (
	StepTestCurrent  = "test_current"
	StepCreate       = "create_pending"
	StepApply        = "apply"
	StepCollectToken = "collect_token"
	StepTestNew      = "test_new"
	StepDeliver      = "deliver"
	StepVerify       = "verify"
	StepPromote      = "promote"
	StepRetire       = "retire"
	// StepRollback undoes a failed rotation; it is where a job that was
	// rolling back when it crashed resumes.
	StepRollback = "rollback"
)

// Steps returns the steps a credential of kind k rotates through, or an
// EINVALID error for a kind Warden does not rotate.
func Steps(k warden.CredentialKind) ([]string, error) {
	switch k {
	case warden.CredentialPassword:
		return []string{StepTestCurrent, StepCreate, StepApply, StepCollectToken, StepTestNew, StepDeliver, StepVerify, StepPromote, StepRetire}, nil
	case warden.CredentialJWT, warden.CredentialClientCredentials:
		return []string{StepTestCurrent, StepCreate, StepApply, StepTestNew, StepDeliver, StepVerify, StepPromote, StepRetire}, nil
	case warden.CredentialRefreshToken:
		return nil, warden.Errorf(warden.EINVALID, "a refresh token is renewed by re-authorizing (warden creds login), not rotated")
	}
	return nil, warden.Errorf(warden.EINVALID, "credential kind %q cannot be rotated", k)
}

// MailboxFunc returns the mailbox where the Salesforce e-mails of
// username, the user of password credential c, arrive, with the parser
// options for it. username is c.Username, or c.Twin when the twin is the
// user being rotated.
type MailboxFunc func(ctx context.Context, c *warden.Credential, username string) (warden.Mailbox, mailbox.ParseOptions, error)

// Config configures an Engine.
type Config struct {
	// Store holds the inventory, the jobs and their records.
	Store warden.Store
	// Creds reads and writes secret material and builds sessions.
	Creds *credential.Registry
	// Deliverer hands new material to dependents and verifies them.
	Deliverer warden.Deliverer
	// Mailbox finds a password credential's mailbox (nil: tokens can only
	// be found unnecessary, by a login without one).
	Mailbox MailboxFunc
	// MailboxAccount returns the mailbox account of a password
	// credential's user, as a password changer, and where its password is
	// kept (StartMailbox; nil: mailbox accounts are not rotated).
	MailboxAccount func(ctx context.Context, c *warden.Credential) (warden.PasswordChanger, warden.SecretRef, error)
	// Notify alerts owners (usually notify.Dispatcher.Dispatch); nil
	// tells nobody.
	Notify func(ctx context.Context, a *warden.Alert)
	// HTTPClient makes the Metadata API calls (default: a new client).
	HTTPClient *http.Client
	// Owner names this worker in leases (default: host, pid and a random
	// suffix).
	Owner string
	// Lease is how long a claim lasts without renewal (default 2 minutes);
	// a crashed worker's jobs resume once it passes.
	Lease time.Duration
	// Grace is how long the old credential is kept after promotion before
	// it is retired (default 24 hours).
	Grace time.Duration
	// TokenWait bounds the wait for a security token e-mail (default 10
	// minutes); PollInterval is the mailbox poll (default 5 seconds).
	TokenWait    time.Duration
	PollInterval time.Duration
	// Retries is how often a step failing with EUNAVAILABLE is tried
	// again before the rotation rolls back (default 3), with Backoff
	// between tries (default 2 seconds, doubling).
	Retries int
	Backoff time.Duration
	// OnStep, when set, is called after each step with its outcome.
	OnStep func(j *warden.RotationJob, step string, err error)
	// Logger receives what the engine does (default: discard). Secrets
	// are never logged.
	Logger *slog.Logger
}

// Engine runs rotation jobs. It is safe for concurrent use; each job runs
// in the goroutine that calls Run.
type Engine struct {
	cfg Config
	// void is the key of the certificates that retire a twin app: made
	// once per engine in memory and never stored, so nobody can sign
	// with it (an RSA key costs tens of milliseconds to make).
	void func() (string, error)
}

// New returns an engine for cfg.
func New(cfg Config) *Engine {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randHex(3))
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Grace < 0 {
		cfg.Grace = 0
	} else if cfg.Grace == 0 {
		cfg.Grace = 24 * time.Hour
	}
	if cfg.TokenWait <= 0 {
		cfg.TokenWait = 10 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{cfg: cfg, void: sync.OnceValues(NewKey)}
}

// NoGrace is a Config.Grace that retires the old credential at once.
const NoGrace = -1 * time.Nanosecond

// Owner is the name this engine claims jobs with.
func (e *Engine) Owner() string { return e.cfg.Owner }

// state is a job's Data: what the steps share. It never holds secrets.
type state struct {
	UserID string `json:"userId,omitempty"`
	// OldVersion is the current secret version when the rotation began;
	// PendingVersion the version the rotation wrote.
	OldVersion     string `json:"oldVersion,omitempty"`
	PendingVersion string `json:"pendingVersion,omitempty"`
	// Applying is set before Salesforce is asked to change; Applied once
	// it did.
	Applying bool `json:"applying,omitempty"`
	Applied  bool `json:"applied,omitempty"`
	// MailSince is when the password was applied: the token e-mail is
	// newer.
	MailSince time.Time `json:"mailSince,omitzero"`
	// TokenProbed and NoToken: a login without a token was tried, and it
	// worked (a trusted IP range).
	TokenProbed bool `json:"tokenProbed,omitempty"`
	NoToken     bool `json:"noToken,omitempty"`
	// AppID, AppName and StagedID locate the connected app and its staged
	// consumer secret.
	AppID    string `json:"appId,omitempty"`
	AppName  string `json:"appName,omitempty"`
	StagedID string `json:"stagedId,omitempty"`
	// Delivered and Verified name the dependents done so far; Restored
	// those put back in a rollback.
	Delivered []string `json:"delivered,omitempty"`
	Verified  []string `json:"verified,omitempty"`
	Restored  []string `json:"restored,omitempty"`
	// FailedStep and FailedDependent say what made the rotation roll back.
	FailedStep      string `json:"failedStep,omitempty"`
	FailedDependent string `json:"failedDependent,omitempty"`
	// Promoted is set once the pending version became current.
	Promoted bool `json:"promoted,omitempty"`
	// Mailbox marks a rotation of the user's mailbox account, whose
	// password is kept at Account, rather than of the credential.
	Mailbox bool             `json:"mailbox,omitempty"`
	Account warden.SecretRef `json:"account,omitzero"`
	// Twin marks a rotation of a twin credential: the new material is
	// for the idle twin, TwinUsername (password) or TwinClientID (JWT),
	// and the active one is left alone until retire.
	Twin         bool   `json:"twin,omitempty"`
	TwinUsername string `json:"twinUsername,omitempty"`
	TwinClientID string `json:"twinClientId,omitempty"`
}

// job is a claimed job with its decoded state. The steps change j and st
// in the running goroutine; saves are under mu, which also guards saved,
// the copy last written, which the lease heartbeat writes again to renew
// the lease without racing the steps.
type job struct {
	mu    sync.Mutex
	j     *warden.RotationJob
	saved *warden.RotationJob
	// released is set once the job waits with its lease let go: the
	// heartbeat must not take it again.
	released bool
	st       state
	cred     *warden.Credential
	org      *warden.Org
	user     *warden.IntegrationUser
	deps     []*warden.Dependent
}

// Start creates a rotation job for the named credential, triggered by
// trigger, without running it. A credential already being rotated is
// ECONFLICT (naming the running job).
func (e *Engine) Start(ctx context.Context, credName, trigger string) (*warden.RotationJob, error) {
	c, err := e.cfg.Store.Credential(ctx, credName)
	if err != nil {
		return nil, err
	}
	steps, err := Steps(c.Kind)
	if err != nil {
		return nil, warden.Prefix("credential "+c.Name, err)
	}
	j := &warden.RotationJob{ID: "rot-" + time.Now().UTC().Format("20060102-150405") + "-" + randHex(3), Credential: c.Name, Org: c.Org,
		Kind: c.Kind, Step: steps[0], Trigger: trigger}
	if err := e.cfg.Store.CreateRotationJob(ctx, j); err != nil {
		return nil, err
	}
	e.record(ctx, j, "started", "", "triggered by "+trigger)
	return j, nil
}

// Active returns the running job of a credential, or nil.
func (e *Engine) Active(ctx context.Context, credName string) (*warden.RotationJob, error) {
	jobs, err := e.cfg.Store.RotationJobs(ctx, warden.RotationJobFilter{Credential: credName, Active: true}, 1)
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	return jobs[0], nil
}

// Run claims the job and runs its steps until it completes, rolls back,
// fails, or waits for its grace period (NotBefore in the future; it is
// then left running for a later Run). When another worker holds the
// lease, Run waits for it to expire (a crashed worker) or returns
// ECONFLICT when the holder keeps renewing it past ctx.
func (e *Engine) Run(ctx context.Context, id string) (*warden.RotationJob, error) {
	var raw *warden.RotationJob
	for {
		var err error
		raw, err = e.cfg.Store.ClaimRotationJob(ctx, id, e.cfg.Owner, e.cfg.Lease)
		if err == nil {
			break
		}
		if warden.ErrorKind(err) == warden.EINVALID {
			if done, gerr := e.cfg.Store.RotationJob(ctx, id); gerr == nil && done.State.Done() {
				return done, nil // finished by another worker meanwhile
			}
		}
		if warden.ErrorKind(err) != warden.ECONFLICT {
			return nil, err
		}
		current, gerr := e.cfg.Store.RotationJob(ctx, id)
		if gerr != nil {
			return nil, gerr
		}
		if err := wait.Sleep(ctx, max(time.Until(current.LeaseUntil)+50*time.Millisecond, 50*time.Millisecond)); err != nil {
			return current, err
		}
	}
	snapshot := *raw
	jb := &job{j: raw, saved: &snapshot}
	if len(raw.Data) > 0 {
		if err := json.Unmarshal(raw.Data, &jb.st); err != nil {
			return raw, warden.Errorf(warden.EINTERNAL, "rotation %s: unreadable state: %v", id, err)
		}
	}
	if raw.Attempt > 1 {
		e.record(ctx, raw, "resumed", "", fmt.Sprintf("attempt %d by %s, at step %s", raw.Attempt, e.cfg.Owner, raw.Step))
	}
	hbCtx, stop := context.WithCancel(ctx)
	defer stop()
	go e.heartbeat(hbCtx, jb)
	err := e.run(ctx, jb)
	stop()
	jb.mu.Lock()
	defer jb.mu.Unlock()
	out := *jb.j
	return &out, err
}

// heartbeat renews the job's lease while a step runs.
func (e *Engine) heartbeat(ctx context.Context, jb *job) {
	t := time.NewTicker(e.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			jb.mu.Lock()
			if !jb.saved.State.Done() && !jb.released {
				cp := *jb.saved
				if err := e.cfg.Store.SaveRotationJob(ctx, &cp, e.cfg.Lease); err != nil && ctx.Err() == nil {
					e.cfg.Logger.Warn("rotation lease renewal failed", "rotation", cp.ID, "err", err)
				} else if err == nil {
					jb.saved = &cp
				}
			}
			jb.mu.Unlock()
		}
	}
}

// save writes the job's progress (and renews its lease).
func (e *Engine) save(ctx context.Context, jb *job) error {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	data, err := json.Marshal(jb.st)
	if err != nil {
		return err
	}
	jb.j.Data = data
	err = e.cfg.Store.SaveRotationJob(ctx, jb.j, e.cfg.Lease)
	if errIs(err, warden.ECONFLICT) {
		// The lease ran out (a stalled process, a busy machine). If no
		// other worker claimed the job meanwhile (the attempt count moved
		// by exactly our claim), the progress in memory is the latest:
		// claim again and save; otherwise stop and leave it to them.
		if re, cerr := e.cfg.Store.ClaimRotationJob(ctx, jb.j.ID, e.cfg.Owner, e.cfg.Lease); cerr == nil {
			if re.Attempt == jb.j.Attempt+1 {
				jb.j.Attempt, jb.j.LeaseUntil = re.Attempt, re.LeaseUntil
				err = e.cfg.Store.SaveRotationJob(ctx, jb.j, e.cfg.Lease)
			}
		}
	}
	if err != nil {
		return err
	}
	cp := *jb.j
	jb.saved = &cp
	return nil
}

// run loads the job's inventory and runs its steps.
func (e *Engine) run(ctx context.Context, jb *job) error {
	if err := e.load(ctx, jb); err != nil {
		return e.fail(ctx, jb, jb.j.Step, "", err)
	}
	steps, err := Steps(jb.j.Kind)
	if jb.st.Mailbox {
		steps = MailboxSteps
	}
	if err != nil {
		return e.fail(ctx, jb, jb.j.Step, "", err)
	}
	for !jb.j.State.Done() {
		step := jb.j.Step
		if step == StepRollback {
			return e.rollback(ctx, jb, nil)
		}
		waiting := !jb.j.NotBefore.IsZero() && time.Now().Before(jb.j.NotBefore)
		if waiting && !(step == StepRetire && e.cfg.Grace == 0) {
			return e.release(ctx, jb) // waiting for the grace period (NoGrace retires at once)
		}
		var dep string
		err := e.retry(ctx, jb, step, func() error {
			var err error
			dep, err = e.step(ctx, jb, step)
			return err
		})
		if errors.Is(err, errWaiting) {
			return e.release(ctx, jb) // NotBefore is set: a later Run goes on
		}
		if e.cfg.OnStep != nil {
			e.cfg.OnStep(jb.j, step, err)
		}
		if err != nil {
			if warden.ErrorKind(err) == warden.ECONFLICT && strings.Contains(err.Error(), "lease") {
				return err // another worker took over: it continues
			}
			if ctx.Err() != nil {
				return ctx.Err() // stopped, not failed: resumed later
			}
			return e.rollback(ctx, jb, &failure{step: step, dependent: dep, err: err})
		}
		i := slices.Index(steps, step)
		if i < 0 {
			return e.fail(ctx, jb, step, "", warden.Errorf(warden.EINTERNAL, "rotation %s: unknown step %q", jb.j.ID, step))
		}
		if i == len(steps)-1 {
			jb.j.Step, jb.j.State = "", warden.RotationCompleted
			if err := e.save(ctx, jb); err != nil {
				return err
			}
			e.record(ctx, jb.j, "completed", jb.st.PendingVersion, e.summary(jb))
			e.notify(ctx, jb, nil)
			return nil
		}
		jb.j.Step = steps[i+1]
		if jb.j.Step == StepRetire && e.cfg.Grace > 0 {
			jb.j.NotBefore = time.Now().Add(e.cfg.Grace)
		}
		if err := e.save(ctx, jb); err != nil {
			return err
		}
	}
	return nil
}

// release lets the lease of a waiting job lapse at once, so that the next
// Run (warden serve, or warden rotate --now) need not wait for it.
func (e *Engine) release(ctx context.Context, jb *job) error {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if err := e.cfg.Store.SaveRotationJob(ctx, jb.j, time.Nanosecond); err != nil {
		return err
	}
	cp := *jb.j
	jb.saved, jb.released = &cp, true
	return nil
}

// retry runs fn, trying again while it fails with EUNAVAILABLE.
func (e *Engine) retry(ctx context.Context, jb *job, step string, fn func() error) error {
	delay := e.cfg.Backoff
	for try := 0; ; try++ {
		err := fn()
		if err == nil || warden.ErrorKind(err) != warden.EUNAVAILABLE || try >= e.cfg.Retries || ctx.Err() != nil {
			return err
		}
		e.record(ctx, jb.j, step, "", fmt.Sprintf("retry %d after: %s", try+1, warden.ErrorMessage(err)))
		if err := wait.Sleep(ctx, delay); err != nil {
			return err
		}
		delay *= 2
	}
}

// load reads the job's credential, org, user and dependents.
func (e *Engine) load(ctx context.Context, jb *job) error {
	s := e.cfg.Store
	var err error
	if jb.cred, err = s.Credential(ctx, jb.j.Credential); err != nil {
		return err
	}
	if jb.org, err = s.Org(ctx, jb.cred.Org); err != nil {
		return err
	}
	jb.user, jb.deps, err = Dependents(ctx, s, jb.cred)
	return err
}

// Dependents returns the integration user of credential c (nil when the
// inventory has none) and the dependents a rotation of c delivers to:
// those of every user that names c or that c logs in as, its twin user
// included. A user that names c comes first as the user.
func Dependents(ctx context.Context, s warden.Store, c *warden.Credential) (*warden.IntegrationUser, []*warden.Dependent, error) {
	users, err := s.Users(ctx, warden.UserFilter{Org: c.Org})
	if err != nil {
		return nil, nil, err
	}
	var user *warden.IntegrationUser
	var deps []*warden.Dependent
	for _, u := range users {
		if u.Credential != c.Name && !strings.EqualFold(u.Username, c.Username) &&
			(c.TwinUsername == "" || !strings.EqualFold(u.Username, c.TwinUsername)) {
			continue
		}
		if user == nil || (u.Credential == c.Name && user.Credential != c.Name) {
			user = u
		}
		ud, err := s.Dependents(ctx, warden.DependentFilter{Org: u.Org, Username: u.Username})
		if err != nil {
			return nil, nil, err
		}
		for _, d := range ud {
			if !slices.ContainsFunc(deps, func(o *warden.Dependent) bool { return o.Name == d.Name }) {
				deps = append(deps, d)
			}
		}
	}
	return user, deps, nil
}

// failure is what made a rotation roll back.
type failure struct {
	step, dependent string
	err             error
}

// fail ends a job as failed without a rollback (nothing was changed, or
// nothing can be undone), alerting the owners.
func (e *Engine) fail(ctx context.Context, jb *job, step, dep string, cause error) error {
	jb.st.FailedStep, jb.st.FailedDependent = step, dep
	jb.j.State, jb.j.Error = warden.RotationFailed, describe(step, dep, cause)
	if err := e.save(ctx, jb); err != nil {
		return err
	}
	e.record(ctx, jb.j, "failed", jb.st.PendingVersion, jb.j.Error)
	e.notify(ctx, jb, cause)
	return cause
}

// describe says what failed, naming the step and dependent.
func describe(step, dep string, err error) string {
	msg := "step " + step
	if dep != "" {
		msg += ", dependent " + dep
	}
	return msg + ": " + warden.ErrorMessage(err)
}

// summary describes a completed rotation.
func (e *Engine) summary(jb *job) string {
	if jb.st.Mailbox {
		return "the mailbox account of " + jb.cred.Username + " has a new password, current in " + jb.st.Account.Store + "/" + jb.st.Account.Key
	}
	msg := fmt.Sprintf("path %s; %d dependent(s) delivered and verified", jb.j.Path, len(jb.st.Verified))
	if jb.j.Kind == warden.CredentialPassword {
		if jb.st.NoToken {
			msg += "; no security token needed (trusted IP range)"
		} else {
			msg += "; security token collected from the mailbox"
		}
	}
	return msg
}

// record appends one step record; a failure to record is logged, never
// fatal (the job row is the state).
func (e *Engine) record(ctx context.Context, j *warden.RotationJob, step, version, detail string) {
	r := &warden.RotationRecord{RotationID: j.ID, Credential: j.Credential, Step: step, SecretVersion: version, Detail: detail}
	if err := e.cfg.Store.AppendRotation(ctx, r); err != nil {
		e.cfg.Logger.Warn("rotation record not written", "rotation", j.ID, "step", step, "err", err)
	}
	e.cfg.Logger.Info("rotation step", "rotation", j.ID, "credential", j.Credential, "step", step, "detail", detail)
}

// notify tells the owners how a rotation ended: cause nil for success.
func (e *Engine) notify(ctx context.Context, jb *job, cause error) {
	if e.cfg.Notify == nil {
		return
	}
	a := &warden.Alert{Key: "rotation/" + jb.j.Credential, Org: jb.j.Org, At: time.Now().UTC()}
	if jb.user != nil {
		a.Username, a.Owner = jb.user.Username, jb.user.Owner
	}
	for _, d := range jb.deps {
		a.Dependents = append(a.Dependents, warden.AffectedApp{Name: d.Name, Owner: d.Owner, Contact: d.Contact})
	}
	switch {
	case cause == nil:
		a.State, a.Previous, a.Severity, a.Resolved = warden.StateOK, warden.StateOK, warden.SeverityInfo, true
		a.Evidence = fmt.Sprintf("rotation %s of credential %s completed: %s", jb.j.ID, jb.j.Credential, e.summary(jb))
	default:
		a.State, a.Previous, a.Severity = warden.StateError, warden.StateOK, warden.SeverityHigh
		a.Evidence = fmt.Sprintf("rotation %s of credential %s %s at %s", jb.j.ID, jb.j.Credential, strings.ReplaceAll(string(jb.j.State), "_", " "), jb.j.Error)
		a.Fix = "See docs/runbooks.md, \"When a rotation is rolled back\": warden rotation show " + jb.j.ID
	}
	e.cfg.Notify(ctx, a)
}

// Resume runs every running job whose lease is free and whose grace
// period is over, one after the other, and reports how many it ran.
// warden serve calls it periodically; it also finishes jobs a crashed
// process left behind.
func (e *Engine) Resume(ctx context.Context) (int, error) {
	jobs, err := e.cfg.Store.RotationJobs(ctx, warden.RotationJobFilter{Active: true}, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	now := time.Now()
	for _, j := range jobs {
		if (j.LeaseOwner != "" && j.LeaseUntil.After(now)) || j.NotBefore.After(now) {
			continue
		}
		if _, err := e.Run(ctx, j.ID); err != nil && ctx.Err() != nil {
			return n, ctx.Err()
		}
		n++
	}
	return n, nil
}

// jsonState encodes a job's state.
func jsonState(st state) ([]byte, error) { return json.Marshal(st) }

// randHex returns n random bytes in hex.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errIs reports whether err has kind.
func errIs(err error, kind string) bool { return err != nil && warden.ErrorKind(err) == kind }
