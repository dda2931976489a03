// Package wait holds the one context-aware sleep the packages share.
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends; it returns ctx's error then. A d of
// zero or less returns at once (with ctx's error, if any).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
