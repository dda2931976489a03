package storetest

import (
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// deliveryTests are the tests of DeliveryService and of the delivery
// target and verification of dependents.
var deliveryTests = []test{
	{"DependentTarget", func(t *testing.T, s warden.Store) {
		addOrg(t, s, "acme")
		addUser(t, s, "acme", "billing@acme", "")
		deps := []*warden.Dependent{
			{Name: "Billing", Org: "acme", Username: "billing@acme", Delivery: warden.DeliveryFile,
				Target: warden.DeliveryTarget{File: &warden.FileTarget{Path: "/etc/billing/app.env", Format: "env",
					Template: "SF_PASSWORD={{password}}\n", KeyPath: "/etc/billing/key.pem", Mode: 0o640}},
				Verify: warden.Verification{Method: warden.VerifyHealth, URL: "https://billing.internal/health", Expect: "ok"}},
			{Name: "Hook", Org: "acme", Username: "billing@acme", Delivery: warden.DeliveryCommand,
				Target: warden.DeliveryTarget{Command: &warden.CommandTarget{Path: "/usr/local/bin/reload", Args: []string{"--app", "hook"},
					Input: "env", Env: map[string]string{"SF_PASSWORD": "password"}, Timeout: 30 * time.Second}},
				Verify: warden.Verification{Method: warden.VerifyLoginHistory, SourceIPs: []string{"198.51.100.7"}, Application: "Hook"}},
			{Name: "Plain", Org: "acme", Username: "billing@acme", Delivery: warden.DeliveryManual},
		}
		for _, d := range deps {
			must(t, s.UpsertDependent(t.Context(), d))
		}
		got, err := s.Dependents(t.Context(), warden.DependentFilter{Org: "acme"})
		must(t, err)
		diff(t, "Dependents", deps, got)
		// Replacing a dependent replaces its target.
		deps[0].Target.File.Template = "P={{password}}\n"
		deps[0].Verify = warden.Verification{}
		must(t, s.UpsertDependent(t.Context(), deps[0]))
		got, err = s.Dependents(t.Context(), warden.DependentFilter{Org: "acme"})
		must(t, err)
		diff(t, "Dependents after replace", deps, got)
		bad := &warden.Dependent{Name: "Bad", Org: "acme", Username: "billing@acme", Delivery: warden.DeliveryFile}
		wantKind(t, s.UpsertDependent(t.Context(), bad), warden.EINVALID, "path")
	}},
	{"RecordAndConfirm", func(t *testing.T, s warden.Store) {
		ctx := t.Context()
		manual := &warden.DeliveryRecord{
			DeliveryReceipt: warden.DeliveryReceipt{Dependent: "Portal", Delivery: warden.DeliveryManual, Version: "3",
				Detail: "runbook for web", Pending: true, At: at(0)},
			Org: "acme", Credential: "portal-cred", Action: warden.ActionDeliver, Runbook: "1. Read the password ...",
		}
		must(t, s.RecordDelivery(ctx, manual))
		if !manual.At.Equal(stored(at(0))) || !manual.Pending {
			t.Errorf("recorded = %+v", manual)
		}
		checkNorm(t, "At", manual.At)
		file := &warden.DeliveryRecord{
			DeliveryReceipt: warden.DeliveryReceipt{Dependent: "Billing", Delivery: warden.DeliveryFile, Version: "3", Detail: "/etc/app.env"},
			Org:             "acme", Credential: "billing-cred", Action: warden.ActionDeliver,
		}
		before := time.Now()
		must(t, s.RecordDelivery(ctx, file))
		if file.At.Before(stored(before).Add(-time.Microsecond)) || file.At.After(time.Now()) {
			t.Errorf("a zero At became %v, want the store's current time", file.At)
		}
		// Recording again keeps At; a second action is its own record.
		again := *manual
		again.At = at(time.Hour)
		again.Runbook = "1. Read the password (updated) ..."
		must(t, s.RecordDelivery(ctx, &again))
		if !again.At.Equal(manual.At) {
			t.Errorf("re-recorded At = %v, want the first %v", again.At, manual.At)
		}
		restore := *manual
		restore.Action, restore.Version, restore.At = warden.ActionRestore, "2", at(2*time.Hour)
		must(t, s.RecordDelivery(ctx, &restore))

		all, err := s.Deliveries(ctx, warden.DeliveryFilter{})
		must(t, err)
		if len(all) != 3 || all[0].Dependent != "Billing" || all[1].Action != warden.ActionRestore || all[2].Runbook != again.Runbook {
			t.Errorf("Deliveries = %+v, want Billing, the restore, then the updated manual delivery", all)
		}
		pending, err := s.Deliveries(ctx, warden.DeliveryFilter{Org: "acme", Dependent: "Portal", Pending: true})
		must(t, err)
		if len(pending) != 2 {
			t.Fatalf("%d pending, want 2", len(pending))
		}
		byVersion, err := s.Deliveries(ctx, warden.DeliveryFilter{Credential: "portal-cred", Version: "3"})
		must(t, err)
		diff(t, "Deliveries by version", []*warden.DeliveryRecord{&again}, byVersion)

		confirmed, err := s.ConfirmDeliveries(ctx, "acme", "Portal", "alice")
		must(t, err)
		if len(confirmed) != 2 || confirmed[0].Action != warden.ActionRestore {
			t.Fatalf("ConfirmDeliveries = %+v, want both, newest first", confirmed)
		}
		for _, r := range confirmed {
			if r.Pending || r.ConfirmedBy != "alice" || r.ConfirmedAt.IsZero() {
				t.Errorf("confirmed record = %+v", r)
			}
			checkNorm(t, "ConfirmedAt", r.ConfirmedAt)
		}
		if still, err := s.Deliveries(ctx, warden.DeliveryFilter{Pending: true}); err != nil || len(still) != 0 {
			t.Errorf("pending after confirmation: %v, %v", still, err)
		}
		// A confirmed record stays confirmed when the delivery repeats.
		repeat := again
		repeat.Pending = true
		must(t, s.RecordDelivery(ctx, &repeat))
		if repeat.Pending || repeat.ConfirmedBy != "alice" {
			t.Errorf("repeated delivery after confirmation = %+v, want it confirmed", repeat)
		}
		wantKind(t, func() error { _, err := s.ConfirmDeliveries(ctx, "acme", "Portal", "bob"); return err }(), warden.ENOTFOUND, "Portal")
	}},
	{"Validation", func(t *testing.T, s warden.Store) {
		ok := warden.DeliveryRecord{DeliveryReceipt: warden.DeliveryReceipt{Dependent: "D", Delivery: warden.DeliveryFile, Version: "1"},
			Org: "acme", Credential: "c", Action: warden.ActionDeliver}
		for _, tt := range []struct {
			field string
			edit  func(r *warden.DeliveryRecord)
		}{
			{"org", func(r *warden.DeliveryRecord) { r.Org = "" }},
			{"credential", func(r *warden.DeliveryRecord) { r.Credential = "" }},
			{"version", func(r *warden.DeliveryRecord) { r.Version = "" }},
			{"action", func(r *warden.DeliveryRecord) { r.Action = "redo" }},
			{"delivery", func(r *warden.DeliveryRecord) { r.Delivery = "pigeon" }},
		} {
			r := ok
			tt.edit(&r)
			wantKind(t, s.RecordDelivery(t.Context(), &r), warden.EINVALID, tt.field)
		}
		wantKind(t, s.RecordDelivery(t.Context(), nil), warden.EINVALID)
		_, err := s.ConfirmDeliveries(t.Context(), "", "D", "x")
		wantKind(t, err, warden.EINVALID)
		got, err := s.Deliveries(t.Context(), warden.DeliveryFilter{})
		must(t, err)
		if len(got) != 0 {
			t.Errorf("refused writes stored %v", got)
		}
	}},
}
