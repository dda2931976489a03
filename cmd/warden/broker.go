package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/broker"
	"github.com/wardenhq/warden/notify"
)

// The broker's key commands: broker key create, list and revoke.

func init() {
	register("broker", "manage the token broker's application keys (broker key create, list, revoke)", runBroker)
}

const brokerUsage = `broker key create|list|revoke [flags]

Subcommands:
  key create --user USERNAME [--user ...] --dependent APP [--expires 90d] [--ops token,proxy]
             prints a new broker key once; only its hash is stored
  key list   lists the keys with their scope, expiry and last use
  key revoke ID
             revokes a key; a running broker refuses it within 10 seconds

See docs/broker.md.`

func runBroker(ctx context.Context, m *Main, args []string) error {
	if len(args) >= 2 && args[0] == "key" {
		switch args[1] {
		case "create":
			return runBrokerKeyCreate(ctx, m, args[2:])
		case "list":
			return runBrokerKeyList(ctx, m, args[2:])
		case "revoke":
			return runBrokerKeyRevoke(ctx, m, args[2:])
		}
	}
	fs := m.flags("broker", brokerUsage)
	fs.Usage = func() { fmt.Fprintf(m.Stdout, "Usage: warden %s\n", brokerUsage) }
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(m.Stderr, "warden: unknown broker subcommand %q\nRun \"warden broker --help\" for usage.\n", strings.Join(args[:min(2, len(args))], " "))
		return errUsage
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "warden: broker needs a subcommand (key create, key list, key revoke)\nRun \"warden broker --help\" for usage.\n")
	return errUsage
}

const brokerKeyCreateUsage = `broker key create --user USERNAME [--user ...] --dependent APP [--expires 90d] [--ops token,proxy] [--name NAME] [--config FILE] [--json]

Creates a broker key that lets the application APP get sessions of, or
proxy API calls as, the given integration users, and prints it once. Only
the SHA-256 of its secret part is stored: a lost key cannot be shown again
(revoke it and create another). --expires is a duration (90d, 720h) or
"never".`

func runBrokerKeyCreate(ctx context.Context, m *Main, args []string) error {
	const cmd = "broker key create"
	fs := m.flags(cmd, brokerKeyCreateUsage)
	file := configFlag(fs)
	var users []string
	fs.Func("user", "an integration user the key may act for (repeat for more)", func(s string) error {
		users = append(users, s)
		return nil
	})
	dependent := fs.String("dependent", "", "the application that holds the key (for attribution)")
	name := fs.String("name", "", "a description of the key (default: the dependent)")
	expires := fs.String("expires", "90d", "how long the key is valid: 90d, 720h, or never")
	ops := fs.String("ops", "token,proxy", "what the key may do: token, proxy or both")
	asJSON := fs.Bool("json", false, "print the key and its record as JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if len(users) == 0 || *dependent == "" {
		return m.badFlag(cmd, "--user and --dependent are required")
	}
	life, err := parseExpiry(*expires)
	if err != nil {
		return m.badFlag(cmd, "--expires: %v", err)
	}
	var operations []warden.BrokerOperation
	for _, op := range strings.Split(*ops, ",") {
		o := warden.BrokerOperation(strings.TrimSpace(op))
		if !o.Valid() {
			return m.badFlag(cmd, "--ops: %q is not token or proxy", op)
		}
		operations = append(operations, o)
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	inv, err := e.store.Users(ctx, warden.UserFilter{})
	if err != nil {
		return err
	}
	known := false
	for _, u := range users {
		found := false
		for _, iu := range inv {
			if strings.EqualFold(iu.Username, u) {
				found = true
				deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: iu.Org, Username: iu.Username})
				if err != nil {
					return err
				}
				for _, d := range deps {
					known = known || d.Name == *dependent
				}
			}
		}
		if !found {
			return warden.Errorf(warden.ENOTFOUND, "no integration user %q in the inventory", u)
		}
	}
	if !known {
		fmt.Fprintf(m.Stderr, "warden: note: %s is not a dependent of these users in the inventory; declare it (delivery: broker) so that impact reports list it\n", *dependent)
	}
	key, k := broker.NewKey()
	k.Users, k.Operations, k.Dependent, k.Name = users, operations, *dependent, *name
	if k.Name == "" {
		k.Name = *dependent
	}
	if life > 0 {
		k.ExpiresAt = time.Now().Add(life)
	}
	if err := e.store.CreateBrokerKey(ctx, k); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, struct {
			Key string `json:"key"`
			*warden.BrokerKey
		}{key, k})
	}
	fmt.Fprintf(m.Stdout, "Broker key %s for %s (users: %s; operations: %s; expires %s).\n", k.ID, k.Dependent, strings.Join(k.Users, ", "),
		opsString(k.Operations), timeOr(k.ExpiresAt, "never"))
	fmt.Fprintf(m.Stdout, "The key is shown only now; give it to the application as its secret:\n\n  %s\n", key)
	return nil
}

// parseExpiry parses 90d, 720h or never (0).
func parseExpiry(s string) (time.Duration, error) {
	if s == "never" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (90d, 720h) or never", s)
	}
	return d, nil
}

func opsString(ops []warden.BrokerOperation) string {
	s := make([]string, len(ops))
	for i, op := range ops {
		s[i] = string(op)
	}
	return strings.Join(s, ",")
}

// timeOr formats t, or says none when it is zero.
func timeOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

const brokerKeyListUsage = `broker key list [--config FILE] [--json]

Lists every broker key (revoked ones too): its id, application, users,
operations, creation, expiry and last use (recorded at most once a minute).`

func runBrokerKeyList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("broker key list", brokerKeyListUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	keys, err := e.store.BrokerKeys(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, nonNil(keys))
	}
	if len(keys) == 0 {
		fmt.Fprintln(m.Stdout, "No broker keys. Create one with warden broker key create.")
		return nil
	}
	now := time.Now()
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ID\tDEPENDENT\tUSERS\tOPS\tSTATE\tEXPIRES\tLAST USED")
	for _, k := range keys {
		state := "active"
		switch {
		case !k.RevokedAt.IsZero():
			state = "revoked " + k.RevokedAt.Format("2006-01-02")
		case !k.Active(now):
			state = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Dependent, strings.Join(k.Users, ","), opsString(k.Operations), state,
			timeOr(k.ExpiresAt, "never"), timeOr(k.LastUsedAt, "never"))
	}
	return tw.Flush()
}

const brokerKeyRevokeUsage = `broker key revoke ID [--config FILE]

Revokes a broker key. A running broker refuses it within 10 seconds.`

func runBrokerKeyRevoke(ctx context.Context, m *Main, args []string) error {
	const cmd = "broker key revoke"
	fs := m.flags(cmd, brokerKeyRevokeUsage)
	file := configFlag(fs)
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if id == "" {
		return m.badFlag(cmd, "give the id of the key to revoke (warden broker key list shows them)")
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.store.RevokeBrokerKey(ctx, id, time.Time{}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Revoked broker key %s.\n", id)
	return nil
}

// startBroker builds the token broker of serve (docs/broker.md) on the
// shared credential registry, with its metrics on reg. With broker.addr it
// serves it on a listener of its own (TLS when configured) until ctx ends
// and returns h unchanged, with the function that waits for that listener;
// otherwise it returns h with the broker mounted under /broker/v1/, when
// serve's listener is on loopback (the broker takes keys, which must not
// cross a network in clear text).
func (m *Main) startBroker(ctx context.Context, e *env, reg prometheus.Registerer, d *notify.Dispatcher, audit func(ctx context.Context, action, target string, result error) error, h http.Handler) (http.Handler, func() error, error) {
	bc := e.cfg.Broker
	audits := newBrokerAudit(audit, e.logger) // broker requests attributed to their key in the audit log
	go audits.run(ctx)
	b := broker.New(broker.Config{Keys: e.store, Users: e.store, Sessions: e.creds, SessionLifetime: bc.SessionLifetime.D(),
		RefreshBefore: bc.RefreshBefore.D(), Rate: rate.Limit(bc.Rate), Burst: bc.Burst, MaxBody: bc.MaxBodyBytes,
		FailurePause: bc.FailurePause.D(), Transport: sharedHTTP.Transport, Registerer: reg, Logger: e.logger, OnEvent: audits.OnEvent})
	go b.RunHealth(ctx, broker.HealthOptions{Orgs: e.store, Credentials: e.store, OnReport: e.tokenHealthAlerts(d)})
	wait := func() error { return nil }
	if bc.Addr == "" {
		if !loopbackAddr(e.cfg.Server.Addr) {
			e.logger.Warn("the token broker is not served: server.addr is beyond loopback without TLS; give the broker its own listener (broker.addr, broker.tlsCert, broker.tlsKey)")
			return h, wait, nil
		}
		mux := http.NewServeMux()
		mux.Handle(broker.Prefix, b)
		mux.Handle("/", h)
		return mux, wait, nil
	}
	ln, err := net.Listen("tcp", bc.Addr)
	if err != nil {
		return nil, nil, warden.Errorf(warden.EUNAVAILABLE, "broker.addr: cannot listen on %s: %v", bc.Addr, err)
	}
	scheme := "http"
	if bc.TLS() {
		cert, err := tls.LoadX509KeyPair(e.cfg.Resolve(bc.TLSCert), e.cfg.Resolve(bc.TLSKey))
		if err != nil {
			ln.Close()
			return nil, nil, warden.Errorf(warden.EINVALID, "broker.tlsCert, broker.tlsKey: %v", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	mux := http.NewServeMux()
	mux.Handle(broker.Prefix, b)
	base := scheme + "://" + ln.Addr().String()
	e.logger.Info("token broker serving", "url", base+broker.Prefix)
	if m.Ready != nil {
		m.Ready("broker", base)
	}
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, ln, mux) }()
	return h, func() error { return <-errc }, nil
}

// tokenHealthAlerts returns the broker slow loop's report hook: a warning
// about a refresh token (approvals near Salesforce's limit of 5, expiry
// near) goes to the user's owner through the notification channels, once
// per distinct warning.
func (e *env) tokenHealthAlerts(d *notify.Dispatcher) func(broker.TokenHealth) {
	var mu sync.Mutex
	sent := map[string]string{}
	return func(h broker.TokenHealth) {
		key := "broker/refresh-token/" + h.Org + "/" + h.Username + "/" + h.App
		mu.Lock()
		seen := sent[key] == h.Warning
		sent[key] = h.Warning
		mu.Unlock()
		if h.Warning == "" || seen {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		owner := ""
		if u, err := e.store.User(ctx, h.Org, h.Username); err == nil {
			owner = u.Owner
		}
		a := &warden.Alert{Key: key, Org: h.Org, Username: h.Username, State: warden.StateDegraded, Severity: warden.SeverityMedium,
			Evidence: "broker: " + h.Warning, Fix: "Revoke the approvals of " + h.App + " the user no longer needs (Setup > Connected Apps OAuth Usage), " +
				"or re-authorize before the token expires: warden reauth " + h.Username, Owner: owner, At: time.Now()}
		if err := d.Dispatch(ctx, a).Err(); err != nil {
			e.logger.Warn("broker token-health alert delivery failed", "key", key, "err", warden.ErrorMessage(err))
		}
	}
}
