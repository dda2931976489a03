package policy

import (
	"context"
	"log/slog"
	"time"

	"github.com/wardenhq/warden"
)

// Scheduler runs recorded audits on a schedule, for warden serve: one at
// start, then one every Interval, until its context ends.
type Scheduler struct {
	// Auditor audits and records (its Store must be set for drift).
	Auditor *Auditor
	// Interval between audits (default 24h).
	Interval time.Duration
	// Targets returns the orgs and users to audit, read afresh from the
	// inventory before each audit.
	Targets func(ctx context.Context) ([]OrgTarget, error)
	// OnReport, when set, receives each report (to alert on drift, for
	// instance).
	OnReport func(ctx context.Context, r *Report)
	Logger   *slog.Logger
}

// RunOnce audits every target now and records the run.
func (s *Scheduler) RunOnce(ctx context.Context) (*Report, error) {
	targets, err := s.Targets(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := s.Auditor.Audit(ctx, targets, AuditOptions{Record: true})
	if err != nil {
		return rep, err
	}
	if s.OnReport != nil {
		s.OnReport(ctx, rep)
	}
	return rep, nil
}

// Run audits at once and then every Interval until ctx ends; failed
// audits are logged and retried at the next tick. It returns nil when ctx
// ends.
func (s *Scheduler) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = 24 * time.Hour
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rep, err := s.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			logger.Warn("policy audit failed", "err", warden.ErrorMessage(err))
		default:
			logger.Info("policy audit recorded", "audit", rep.AuditID, "findings", len(rep.Findings()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
