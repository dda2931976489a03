package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/web"
)

func init() {
	register("serve", "run the monitor and the web interface", runServe)
}

const serveUsage = `serve [--config FILE] [--addr HOST:PORT] [--allow-remote] [--allow-remote-reads]

Runs Warden continuously: sweeps every org's integration users, checks
their credentials, records health history, sends alerts on changes and
recoveries, and serves the dashboard (/: the overview, users, orgs,
alerts, dependents, findings and legacy auth; docs/dashboard.md), the
JSON API (/api/v1, with /api/status as an alias; docs/api.md),
Prometheus metrics (/metrics), /healthz and /readyz.

Every route but /login, /healthz, /readyz and the state-bound
/oauth/callback of a re-authorization needs a login (warden user
create) or an API token (warden token create); see docs/dashboard.md. The
server refuses to listen beyond loopback without TLS (tls.certFile and
tls.keyFile) unless --allow-remote is given; even then other hosts get
only /healthz and /readyz, unless --allow-remote-reads lets every client
that can reach the server read everything without authentication.`

func runServe(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("serve", serveUsage)
	file := configFlag(fs)
	addr := fs.String("addr", "", "listen address (default server.addr from the configuration)")
	var o serveOptions
	fs.BoolVar(&o.Verbose, "v", false, "log at debug level")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "listen beyond loopback without TLS or authentication (other hosts get /healthz and /readyz only)")
	fs.BoolVar(&o.AllowRemoteReads, "allow-remote-reads", false, "let every client that can reach the server read the status, user pages, JSON API and metrics without authentication (implies --allow-remote)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	cfg, err := m.loadConfig(m.configPath(*file))
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	return m.serve(ctx, cfg, o)
}

// serveOptions are serve's flags.
type serveOptions struct {
	Verbose bool
	// AllowRemote permits a listen address beyond loopback; other hosts
	// get the probes only.
	AllowRemote bool
	// AllowRemoteReads lets every client read every route without
	// authentication; it implies AllowRemote.
	AllowRemoteReads bool
	// TLS (access control): the listener serves TLS and every route but
	// the login and the probes needs authentication, so it may listen
	// beyond loopback.
	TLS bool
}

// checkExposure refuses a listen address beyond loopback unless o allows
// it, since the server has no TLS and no authentication, and says what an
// allowed one exposes.
func checkExposure(addr string, o serveOptions, logger *slog.Logger) error {
	if loopbackAddr(addr) {
		return nil
	}
	switch {
	case o.TLS && !o.AllowRemoteReads: // access control
		logger.Info("listening beyond loopback with TLS; the dashboard and API need a login or an API token", "addr", addr)
	case o.AllowRemoteReads:
		logger.Warn("listening beyond loopback without TLS or authentication: every client that can reach the server reads "+
			"the names and health of every org and integration user, and the metrics", "addr", addr)
	case o.AllowRemote:
		logger.Warn("listening beyond loopback without TLS or authentication: other hosts get /healthz and /readyz only", "addr", addr)
	default:
		return warden.Errorf(warden.EINVALID, "server.addr %s listens beyond loopback without TLS: set tls.certFile and tls.keyFile "+
			"(see docs/dashboard.md#tls), or listen on 127.0.0.1 behind a reverse proxy with TLS, "+
			"or pass --allow-remote to answer other hosts with /healthz and /readyz only", addr)
	}
	return nil
}

// serverHosts returns the host names the web server answers to besides
// loopback ones: the public URL's host and the listen address's host, when
// it names one.
func serverHosts(s config.Server) []string {
	var hosts []string
	if u, err := url.Parse(s.PublicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	if host, _, err := net.SplitHostPort(s.Addr); err == nil && host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, host)
		}
	}
	return hosts
}

// defaultMemoryLimit is serve's soft memory limit unless GOMEMLIMIT is set.
const defaultMemoryLimit = 200 << 20

// serve runs the monitor and web server of cfg until ctx ends.
func (m *Main) serve(ctx context.Context, cfg *config.Config, o serveOptions) error {
	level := slog.LevelInfo
	if o.Verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	o.TLS = cfg.TLS.Enabled() // access control
	if err := checkExposure(cfg.Server.Addr, o, logger); err != nil {
		return err
	}
	if m.Getenv("GOMEMLIMIT") == "" {
		// A soft limit keeps the start-up burst of many orgs' first sweeps
		// from doubling the heap; GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	e, err := m.openUnsynced(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.syncInventory(ctx, e.cfg); err != nil {
		return err
	}
	reg := newRegistry()
	metrics := monitor.NewMetrics(reg)
	d, err := e.dispatcher()
	if err != nil {
		return err
	}
	// Activity analysis: the monitor hands the rules each sweep's new rows.
	acts := e.activityEngine(e.alerter(d))
	logins := newLoginLog() // dashboard login activity: the user page's chart (serveactivity.go)
	e.activity = activities{logins, acts}
	mon, err := e.monitor(ctx, e.alerter(d), metrics)
	if err != nil {
		return err
	}
	// Access control (issue 12): logins, sessions and API tokens in front
	// of every route, TLS on the listener when configured.
	access, err := e.access(ctx)
	if err != nil {
		return err
	}
	tlsConfig, err := listenerTLS(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "server.addr: cannot listen on %s: %v", cfg.Server.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	if tlsConfig != nil {
		ln, base = tls.NewListener(ln, tlsConfig), "https://"+ln.Addr().String()
	}
	e.warnNoAccounts(ctx, access)
	go e.pruneSessions(ctx, access, time.Hour)
	logger.Info("warden serving", "dashboard", base+"/", "orgs", len(cfg.Orgs), "users", len(cfg.Users))
	fmt.Fprintf(m.Stdout, "Warden dashboard: %s/\n", base)
	if m.Ready != nil {
		m.Ready("warden", base)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	monDone := make(chan error, 1)
	go func() { monDone <- mon.Run(ctx) }()
	go acts.Run(ctx) // activity alerts
	go e.prune(ctx, time.Hour)
	go m.reloadOnHangup(ctx, e, mon)
	// Credential rotation: resume interrupted rotations, retire old
	// credentials after their grace period, run schedules (serverotation.go).
	go m.runRotations(ctx, e)
	audits := e.policyScheduler(policy.Baseline(), 24*time.Hour)
	audits.OnReport = func(ctx context.Context, r *policy.Report) { e.alertNewFindings(ctx, d, r) }
	go audits.Run(ctx)
	srv := web.NewServer()
	// Dashboard: the store behind every page and the API, and the
	// monitor's check-now behind the user page's action.
	srv.Store, srv.Checker = e.store, mon
	srv.Activity = logins // dashboard login activity, from the sweeps
	if eng, err := m.rotationEngine(e, rotationOptions{}); err == nil {
		srv.Rotator = &dashboardRotator{ctx: ctx, e: e, eng: eng, logger: logger} // the user page's rotate action
	}
	srv.Schedule = dashboardSchedule{e}               // rotation schedules on the overview (serverotation.go)
	srv.Login, srv.Auditor = access.Handler(), access // dashboard: the route table's login routes, audited actions
	srv.Readiness, srv.Gatherer, srv.Logger = mon, reg, logger
	srv.RemoteReads, srv.Hosts = o.AllowRemoteReads, serverHosts(cfg.Server)
	srv.Authenticate = access.Middleware // access control
	// Re-authorization from the dashboard: the user page's action, completed
	// on this listener's /oauth/callback (servereauth.go).
	reauth := e.webReauthorizer(base, access, logger)
	srv.Reauthorizer = reauth
	// Token broker (docs/broker.md): under /broker/v1/ here, or on broker.addr.
	h, brokerDone, err := m.startBroker(ctx, e, reg, d, access.Audit, withAccess(withReauthCallback(srv, reauth), access, tlsConfig != nil))
	if err != nil {
		ln.Close()
		cancel()
		<-monDone
		return err
	}
	err = serve(ctx, ln, h)
	cancel()
	<-monDone
	if berr := brokerDone(); err == nil {
		err = berr
	}
	return err
}

// reloadOnHangup re-reads the configuration file on every SIGHUP until
// ctx ends: its declared inventory is synced into the store and the
// monitor reloads the inventory at once (it also re-reads the store on
// every sweep interval, which picks up what CLI commands add). Other
// settings (server, store, secret stores, notifications) take effect on
// restart. A configuration that does not validate is logged and ignored.
func (m *Main) reloadOnHangup(ctx context.Context, e *env, mon *monitor.Monitor) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if err := m.reload(ctx, e, mon); err != nil {
			e.logger.Warn("reload failed; the running inventory is unchanged", "config", e.cfg.Path, "err", warden.ErrorMessage(err))
		}
	}
}

// reload syncs the inventory that the configuration file declares now and
// reloads the monitor's inventory.
func (m *Main) reload(ctx context.Context, e *env, mon *monitor.Monitor) error {
	cfg, err := m.loadConfig(e.cfg.Path)
	if err != nil {
		return err
	}
	if err := e.syncInventory(ctx, cfg); err != nil {
		return err
	}
	return mon.Reload(ctx)
}

// prune deletes history older than the configured retention, now and then
// every interval, until ctx ends.
func (e *env) prune(ctx context.Context, every time.Duration) {
	r := e.cfg.Store.Retention
	ret := warden.Retention{Health: r.Health.D(), Findings: r.Findings.D(), Rotations: r.Rotations.D()}
	if ret == (warden.Retention{}) {
		return // keep everything
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := e.store.Prune(ctx, ret, time.Now()); err != nil && ctx.Err() == nil {
			e.logger.Warn("pruning history failed", "err", warden.ErrorMessage(err))
		} else if n > 0 {
			e.logger.Info("pruned history", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// alertNewFindings announces policy findings of high severity or worse that
// an audit found for the first time (drift), through the notification
// channels, to the user's owner.
func (e *env) alertNewFindings(ctx context.Context, d *notify.Dispatcher, r *policy.Report) {
	for _, o := range r.Orgs {
		for _, u := range o.Users {
			if u.Drift == nil {
				continue // the first audit of a user is a baseline, not news
			}
			owner := ""
			if iu, err := e.store.User(ctx, u.Org, u.Username); err == nil {
				owner = iu.Owner
			}
			for _, f := range u.Drift.New {
				if f.Severity.Rank() < warden.SeverityHigh.Rank() {
					continue
				}
				a := &warden.Alert{Key: "policy/" + u.Org + "/" + u.Username + "/" + f.Rule, Org: u.Org, Username: u.Username,
					State: warden.StateDegraded, Severity: f.Severity, Evidence: "policy " + f.Rule + ": " + f.Evidence + sourceSuffix(f.Source),
					Fix: f.Fix, Owner: owner, At: f.FoundAt}
				e.sendAlert(ctx, d, a) // dashboard: recorded, and suppressed once acknowledged
			}
		}
	}
}

func sourceSuffix(src string) string {
	if src == "" {
		return ""
	}
	return " (" + src + ")"
}
