package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/wardenhq/warden"
)

// Prune deletes history older than the retention allows: health results
// checked, audit runs (with their findings) recorded and rotation records
// written before now minus the matching retention. A zero retention keeps
// that history; a zero now means the store's clock. It reports how many
// rows it removed, counting each health result, finding, audit run and
// rotation record. All deletions commit together.
func (db *DB) Prune(ctx context.Context, r warden.Retention, now time.Time) (int, error) {
	const op = "postgres.Prune"
	if r.Health < 0 || r.Findings < 0 || r.Rotations < 0 {
		return 0, wrap(op, invalid("retention must not be negative"))
	}
	if now.IsZero() {
		now = db.Now()
	}
	steps := []struct {
		keep  time.Duration
		query string
	}{
		{r.Health, `DELETE FROM health_results WHERE checked_at < $1`},
		{r.Findings, `DELETE FROM findings f USING audits a WHERE a.id = f.audit_id AND a.at < $1`},
		{r.Findings, `DELETE FROM audits WHERE at < $1`},
		{r.Rotations, `DELETE FROM rotations WHERE at < $1`},
	}
	var total int64
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		for _, s := range steps {
			if s.keep == 0 {
				continue
			}
			res, err := tx.ExecContext(ctx, s.query, normTime(now.Add(-s.keep)))
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
		return 0, wrap(op, err)
	}
	return int(total), nil
}
