package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/wardenhq/warden"
)

// pruneBatch is how many rows one batched delete removes at most, so that
// a large prune does not hold the write lock for long.
const pruneBatch = 5000

// auditBatch is how many audit runs, with their findings, one batched
// pruning transaction deletes at most.
const auditBatch = 100

// Prune deletes history older than the retention allows: health results
// checked, audit runs (with their findings) recorded and rotation records
// written before now minus the matching retention. A zero retention keeps
// that history; a zero now means the store's clock. It reports how many
// rows it removed, counting each health result, finding, audit run and
// rotation record.
//
// With Dialect.BatchedPrune, Prune deletes in batches that commit one by
// one, and reports the rows it removed before an error too. Otherwise
// all deletions commit together, and an error reports none.
func (s *Store) Prune(ctx context.Context, r warden.Retention, now time.Time) (int, error) {
	if r.Health < 0 || r.Findings < 0 || r.Rotations < 0 {
		return 0, s.wrap("Prune", invalid("retention must not be negative"))
	}
	if now.IsZero() {
		now = s.clock()
	}
	prune := s.pruneTogether
	if s.d.BatchedPrune {
		prune = s.pruneBatched
	}
	n, err := prune(ctx, r, now)
	return n, s.wrap("Prune", err)
}

// pruneTogether prunes in one transaction.
func (s *Store) pruneTogether(ctx context.Context, r warden.Retention, now time.Time) (int, error) {
	steps := []struct {
		keep  time.Duration
		query string
	}{
		{r.Health, `DELETE FROM health_results WHERE checked_at < ?`},
		{r.Findings, `DELETE FROM findings WHERE audit_id IN (SELECT id FROM audits WHERE at < ?)`},
		{r.Findings, `DELETE FROM audits WHERE at < ?`},
		{r.Rotations, `DELETE FROM rotations WHERE at < ?`},
	}
	var total int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		for _, st := range steps {
			if st.keep == 0 {
				continue
			}
			res, err := tx.ExecContext(ctx, s.q(st.query), s.t(now.Add(-st.keep)))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(total), nil
}

// pruneBatched prunes in batches of at most pruneBatch rows or auditBatch
// audit runs, each committed on its own.
func (s *Store) pruneBatched(ctx context.Context, r warden.Retention, now time.Time) (int, error) {
	steps := []struct {
		keep  time.Duration
		prune func(cutoff any) (int, error)
	}{
		{r.Health, func(cutoff any) (int, error) {
			return s.pruneRows(ctx, `
				DELETE FROM health_results WHERE id IN (
					SELECT id FROM health_results WHERE checked_at < ? LIMIT ?)`, cutoff)
		}},
		{r.Findings, func(cutoff any) (int, error) { return s.pruneAudits(ctx, cutoff) }},
		{r.Rotations, func(cutoff any) (int, error) {
			return s.pruneRows(ctx, `
				DELETE FROM rotations WHERE id IN (
					SELECT id FROM rotations WHERE at < ? LIMIT ?)`, cutoff)
		}},
	}
	total := 0
	for _, st := range steps {
		if st.keep == 0 {
			continue
		}
		n, err := st.prune(s.t(now.Add(-st.keep)))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// pruneRows runs a batched delete, which takes the cut-off and the batch
// size, until a batch deletes fewer rows than the batch size.
func (s *Store) pruneRows(ctx context.Context, query string, cutoff any) (int, error) {
	query = s.q(query)
	total := 0
	for {
		res, err := s.write.ExecContext(ctx, query, cutoff, pruneBatch)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}

// pruneAudits deletes audit runs recorded before cutoff with their
// findings, a batch of runs per transaction.
func (s *Store) pruneAudits(ctx context.Context, cutoff any) (int, error) {
	const batch = `SELECT id FROM audits WHERE at < ? ORDER BY at, seq LIMIT ?`
	deleteFindings := s.q(`DELETE FROM findings WHERE audit_id IN (` + batch + `)`)
	deleteRuns := s.q(`DELETE FROM audits WHERE id IN (` + batch + `)`)
	total := 0
	for {
		var findings, runs int64
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, deleteFindings, cutoff, auditBatch)
			if err != nil {
				return err
			}
			if findings, err = res.RowsAffected(); err != nil {
				return err
			}
			res, err = tx.ExecContext(ctx, deleteRuns, cutoff, auditBatch)
			if err != nil {
				return err
			}
			runs, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += int(findings + runs)
		if runs < auditBatch {
			return total, nil
		}
	}
}
