package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/notify"
)

// monitor builds the monitor of every configured org.
func (e *env) monitor(ctx context.Context, alerter monitor.Alerter, metrics *monitor.Metrics) (*monitor.Monitor, error) {
	var orgs []*monitor.Org
	stored, err := e.store.Orgs(ctx) // declared in the file or added with "warden org add"
	if err != nil {
		return nil, err
	}
	for _, oc := range stored {
		if oc.MonitoringCredential == "" {
			e.logger.Warn("org has no monitoring credential; not monitored", "org", oc.Name)
			continue
		}
		sess, err := e.session(ctx, oc.MonitoringCredential)
		if err != nil {
			return nil, fmt.Errorf("org %s: monitoring credential: %w", oc.Name, err)
		}
		o := &monitor.Org{Name: oc.Name, Session: sess, DailyAPIShare: oc.DailyAPIShare, Liveness: map[string]func(context.Context) error{}}
		if o.DailyAPIShare == 0 {
			o.DailyAPIShare = e.cfg.Monitor.DailyAPIShare
		}
		users, err := e.store.Users(ctx, warden.UserFilter{Org: oc.Name})
		if err != nil {
			return nil, err
		}
		deps, err := e.store.Dependents(ctx, warden.DependentFilter{Org: oc.Name})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			t := monitor.Target{Username: u.Username, Owner: u.Owner}
			for _, d := range deps {
				if strings.EqualFold(d.Username, u.Username) {
					t.Needs = append(t.Needs, d.Objects...)
					t.Dependents = append(t.Dependents, warden.AffectedApp{Name: d.Name, Owner: d.Owner, Contact: d.Contact})
				}
			}
			if u.Credential != "" {
				c, err := e.store.Credential(ctx, u.Credential)
				if err != nil {
					return nil, fmt.Errorf("user %s: %w", u.Username, err)
				}
				t.Credential = c.Kind
				auth, err := e.authenticator(ctx, c)
				if err != nil {
					e.logger.Warn("credential cannot be checked", "user", u.Username, "credential", c.Name, "err", warden.ErrorMessage(err))
				} else {
					o.Liveness[u.Username] = monitor.LivenessCheck(sess.Client(), auth)
				}
			}
			o.Targets = append(o.Targets, t)
		}
		orgs = append(orgs, o)
	}
	mc := e.cfg.Monitor
	return monitor.New(monitor.Options{Store: e.store, Alerter: alerter, SweepInterval: mc.SweepInterval.D(),
		LivenessInterval: mc.LivenessInterval.D(), DashboardURL: e.cfg.Server.PublicURL, Logger: e.logger, Metrics: metrics}, orgs), nil
}

// dispatcher builds the alert dispatcher from the notification channels.
func (e *env) dispatcher() (*notify.Dispatcher, error) {
	var routes []notify.Route
	for _, n := range e.cfg.Notifications {
		var nt warden.Notifier
		var err error
		switch n.Kind {
		case "slack":
			nt, err = notify.NewSlack(notify.SlackConfig{Name: n.Name, WebhookURL: n.URL})
		case "teams":
			nt, err = notify.NewTeams(notify.TeamsConfig{Name: n.Name, WebhookURL: n.URL})
		case "webhook":
			nt, err = notify.NewWebhook(notify.WebhookConfig{Name: n.Name, URL: n.URL, Secret: n.Secret})
		case "pagerduty":
			nt, err = notify.NewPagerDuty(notify.PagerDutyConfig{Name: n.Name, RoutingKey: n.RoutingKey, URL: n.URL})
		case "email":
			nt, err = notify.NewEmail(notify.EmailConfig{Name: n.Name, Host: n.SMTPHost, Port: n.SMTPPort, From: n.From, To: n.To,
				Username: n.Username, Password: n.Password})
		default:
			err = warden.Errorf(warden.EINVALID, "notification %s: unknown kind %q", n.Name, n.Kind)
		}
		if err != nil {
			return nil, err
		}
		routes = append(routes, notify.Route{Notifier: nt, MinSeverity: warden.Severity(n.MinSeverity), Owners: n.Owners})
	}
	return notify.NewDispatcher(notify.DispatcherConfig{Routes: routes, Logger: e.logger}), nil
}

// alerter adapts the dispatcher to the monitor, logging failed deliveries.
func (e *env) alerter(d *notify.Dispatcher) monitor.Alerter {
	return monitor.AlertFunc(func(ctx context.Context, a *warden.Alert) {
		if err := d.Dispatch(ctx, a).Err(); err != nil {
			e.logger.Warn("alert delivery failed", "key", a.Key, "err", warden.ErrorMessage(err))
		}
	})
}

// registry is the Prometheus registry of a serve process.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return reg
}
