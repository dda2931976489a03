package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/salesforce"
)

// monitor builds the monitor of every org in the store (declared in the
// file or added with "warden org add"); the monitor re-reads the store
// every sweep interval and on Reload.
func (e *env) monitor(ctx context.Context, alerter monitor.Alerter, metrics *monitor.Metrics) (*monitor.Monitor, error) {
	inv := &monitor.Inventory{Orgs: e.store, Users: e.store, Dependents: e.store, Credentials: e.store,
		DailyAPIShare: e.cfg.Monitor.DailyAPIShare, Logger: e.logger,
		Session: func(ctx context.Context, o *warden.Org, c *warden.Credential) (*salesforce.Session, error) {
			return e.session(ctx, c.Name)
		},
		Authenticator: e.authenticator,
	}
	orgs, err := inv.Load(ctx)
	if err != nil {
		return nil, err
	}
	mc := e.cfg.Monitor
	return monitor.New(monitor.Options{Store: e.store, Statuses: e.store, Load: inv.Load, Alerter: alerter,
		SweepInterval: mc.SweepInterval.D(), LivenessInterval: mc.LivenessInterval.D(), DashboardURL: e.cfg.Server.PublicURL,
		Logger: e.logger, Metrics: metrics, Activity: e.activity}, orgs), nil
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
