package sqlstore

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/wardenhq/warden"
)

// encodeTarget returns a dependent's delivery target and verification as
// JSON objects.
func encodeTarget(d *warden.Dependent) (target, verify string, err error) {
	t, err := json.Marshal(d.Target)
	if err != nil {
		return "", "", err
	}
	v, err := json.Marshal(d.Verify)
	return string(t), string(v), err
}

// decodeTarget reads the JSON objects encodeTarget wrote into d.
func decodeTarget(d *warden.Dependent, target, verify string) error {
	if err := json.Unmarshal([]byte(target), &d.Target); err != nil {
		return err
	}
	return json.Unmarshal([]byte(verify), &d.Verify)
}

// deliveryColumns are the columns scanDelivery reads, in order.
const deliveryColumns = `org, dependent, credential, version, action, delivery, detail, runbook, pending, at, confirmed_at, confirmed_by`

// RecordDelivery creates or updates the record (Org, Dependent,
// Credential, Version, Action). An existing record keeps its At and its
// confirmation; both are written back into r.
func (s *Store) RecordDelivery(ctx context.Context, r *warden.DeliveryRecord) error {
	if err := validateDelivery(r); err != nil {
		return s.wrap("RecordDelivery", err)
	}
	at := s.orNow(r.At)
	var stored, confirmed optTimeCol
	err := s.write.QueryRowContext(ctx, s.q(`
		INSERT INTO deliveries (org, dependent, credential, version, action, delivery, detail, runbook, pending, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org, dependent, credential, version, action) DO UPDATE SET
			delivery = excluded.delivery,
			detail = excluded.detail,
			runbook = excluded.runbook,
			pending = CASE WHEN deliveries.confirmed_at IS NULL THEN excluded.pending ELSE deliveries.pending END
		RETURNING at, pending, confirmed_at, confirmed_by`),
		r.Org, r.Dependent, r.Credential, r.Version, r.Action, string(r.Delivery), r.Detail, r.Runbook, r.Pending, s.t(at),
	).Scan(&stored, &r.Pending, &confirmed, &r.ConfirmedBy)
	if err != nil {
		return s.wrap("RecordDelivery", err)
	}
	r.At = time.Time(stored)
	if !time.Time(confirmed).IsZero() {
		r.ConfirmedAt = time.Time(confirmed)
	}
	return nil
}

// Deliveries returns the matching records, newest first.
func (s *Store) Deliveries(ctx context.Context, f warden.DeliveryFilter) ([]*warden.DeliveryRecord, error) {
	w := s.where()
	for _, c := range []struct{ col, v string }{{"org", f.Org}, {"dependent", f.Dependent}, {"credential", f.Credential}, {"version", f.Version}} {
		if c.v != "" {
			w.add(c.col+" = ?", c.v)
		}
	}
	if f.Pending {
		w.add("pending = ?", true)
	}
	recs, err := queryAll(ctx, s, scanDelivery, `SELECT `+deliveryColumns+` FROM deliveries`+w.String()+` ORDER BY at DESC, id DESC`, w.args...)
	return recs, s.wrap("Deliveries", err)
}

// ConfirmDeliveries marks every pending record of the dependent confirmed
// by by, and returns them; ENOTFOUND when none is pending.
func (s *Store) ConfirmDeliveries(ctx context.Context, org, dependent, by string) ([]*warden.DeliveryRecord, error) {
	if org == "" || dependent == "" {
		return nil, s.wrap("ConfirmDeliveries", invalid("delivery confirmation: org and dependent must not be empty"))
	}
	now := s.now()
	rows, err := s.write.QueryContext(ctx, s.q(`
		UPDATE deliveries SET pending = ?, confirmed_at = ?, confirmed_by = ?
		WHERE org = ? AND dependent = ? AND pending = ?
		RETURNING `+deliveryColumns), false, s.t(now), by, org, dependent, true)
	if err != nil {
		return nil, s.wrap("ConfirmDeliveries", err)
	}
	recs, err := scanAll(rows, scanDelivery)
	if err != nil {
		return nil, s.wrap("ConfirmDeliveries", err)
	}
	if len(recs) == 0 {
		return nil, s.wrap("ConfirmDeliveries", notFound("no delivery to dependent %q in org %q waits for confirmation", dependent, org))
	}
	// RETURNING gives no order: newest first, as Deliveries.
	slices.SortStableFunc(recs, func(a, b *warden.DeliveryRecord) int { return b.At.Compare(a.At) })
	return recs, nil
}

// validateDelivery reports the first problem with r, naming the field.
func validateDelivery(r *warden.DeliveryRecord) error {
	switch {
	case r == nil:
		return invalid("delivery record: must not be nil")
	case r.Org == "" || r.Dependent == "":
		return invalid("delivery record: org and dependent must not be empty")
	case r.Credential == "":
		return invalid("delivery to %s: credential must not be empty", r.Dependent)
	case r.Version == "":
		return invalid("delivery to %s: version must not be empty", r.Dependent)
	case r.Action != warden.ActionDeliver && r.Action != warden.ActionRestore:
		return invalid("delivery to %s: action %q is not deliver or restore", r.Dependent, r.Action)
	case !r.Delivery.Valid():
		return invalid("delivery to %s: delivery %q is not a known kind", r.Dependent, r.Delivery)
	}
	return nil
}

// scanDelivery reads one record in deliveryColumns order.
func scanDelivery(sc scanner) (*warden.DeliveryRecord, error) {
	var r warden.DeliveryRecord
	var delivery string
	if err := sc.Scan(&r.Org, &r.Dependent, &r.Credential, &r.Version, &r.Action, &delivery, &r.Detail, &r.Runbook,
		&r.Pending, (*timeCol)(&r.At), (*optTimeCol)(&r.ConfirmedAt), &r.ConfirmedBy); err != nil {
		return nil, err
	}
	r.Delivery = warden.Delivery(delivery)
	return &r, nil
}
