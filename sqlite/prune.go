package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/wardenhq/warden"
)

// pruneBatch is how many rows one pruning transaction deletes at most, so
// that a large prune does not hold the write lock for long.
const pruneBatch = 5000

// auditBatch is how many audit runs, with their findings, one pruning
// transaction deletes at most.
const auditBatch = 100

// Prune deletes history older than the retention allows: health results
// checked, audit runs (with their findings) recorded and rotation records
// written before now minus the matching retention. A zero retention keeps
// that history; a zero now means the store's clock. It reports how many
// rows it removed, counting each health result, finding, audit run and
// rotation record.
func (db *DB) Prune(ctx context.Context, r warden.Retention, now time.Time) (int, error) {
	const op = "sqlite.Prune"
	if r.Health < 0 || r.Findings < 0 || r.Rotations < 0 {
		return 0, wrap(op, invalid("retention must not be negative"))
	}
	if now.IsZero() {
		now = db.Now()
	}
	total := 0
	if r.Health > 0 {
		n, err := db.pruneRows(ctx, `
			DELETE FROM health_results WHERE id IN (
				SELECT id FROM health_results WHERE checked_at < ? LIMIT ?)`,
			encodeTime(now.Add(-r.Health)))
		total += n
		if err != nil {
			return total, wrap(op, err)
		}
	}
	if r.Findings > 0 {
		n, err := db.pruneAudits(ctx, encodeTime(now.Add(-r.Findings)))
		total += n
		if err != nil {
			return total, wrap(op, err)
		}
	}
	if r.Rotations > 0 {
		n, err := db.pruneRows(ctx, `
			DELETE FROM rotations WHERE id IN (
				SELECT id FROM rotations WHERE at < ? LIMIT ?)`,
			encodeTime(now.Add(-r.Rotations)))
		total += n
		if err != nil {
			return total, wrap(op, err)
		}
	}
	return total, nil
}

// pruneRows runs a batched delete, which takes the cut-off and the batch
// size, until a batch deletes fewer rows than the batch size.
func (db *DB) pruneRows(ctx context.Context, query string, cutoff int64) (int, error) {
	total := 0
	for {
		res, err := db.write.ExecContext(ctx, query, cutoff, pruneBatch)
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
func (db *DB) pruneAudits(ctx context.Context, cutoff int64) (int, error) {
	total := 0
	for {
		var findings, runs int64
		err := db.withTx(ctx, func(tx *sql.Tx) error {
			const batch = `SELECT id FROM audits WHERE at < ? ORDER BY at, seq LIMIT ?`
			res, err := tx.ExecContext(ctx, `DELETE FROM findings WHERE audit_id IN (`+batch+`)`, cutoff, auditBatch)
			if err != nil {
				return err
			}
			if findings, err = res.RowsAffected(); err != nil {
				return err
			}
			res, err = tx.ExecContext(ctx, `DELETE FROM audits WHERE id IN (`+batch+`)`, cutoff, auditBatch)
			if err != nil {
				return err
			}
			if runs, err = res.RowsAffected(); err != nil {
				return err
			}
			return nil
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
