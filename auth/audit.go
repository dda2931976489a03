package auth

import (
	"context"
	"fmt"

	"github.com/wardenhq/warden"
)

// Audit records that the principal of ctx (or "anonymous") did action to
// target from the source of ctx (WithSource; the Middleware sets it), with
// result: "ok" for a nil result, else its error kind and safe message.
// Handlers and services call it for every action; the Service records
// logins, logouts, failed logins and account and token changes itself.
// A failure to record is logged and returned.
func (s *Service) Audit(ctx context.Context, action, target string, result error) error {
	return s.audit(ctx, action, target, result)
}

func (s *Service) audit(ctx context.Context, action, target string, result error) error {
	e := &warden.AuditEntry{Actor: ActorFrom(ctx), Action: action, Target: target, From: SourceFrom(ctx), Result: "ok", At: s.now()}
	if result != nil {
		e.Result, e.Detail = warden.ErrorKind(result), warden.ErrorMessage(result)
	}
	err := s.store.AppendAudit(context.WithoutCancel(ctx), e)
	if err != nil {
		s.o.Logger.Error("auth: recording an audit entry failed", "action", action, "target", target, "err", err)
	}
	return err
}

// ActorFrom returns who ctx acts for: its principal's kind and name, or
// kind "anonymous".
func ActorFrom(ctx context.Context) warden.Actor {
	if p, ok := warden.PrincipalFrom(ctx); ok {
		return warden.Actor{Kind: p.Kind, Name: p.Name}
	}
	return warden.Actor{Kind: "anonymous"}
}

// AuditProblem is one break in the audit log's hash chain.
type AuditProblem struct {
	// Seq is the entry where the chain breaks (for a truncated tail, the
	// head's seq).
	Seq     int64  `json:"seq"`
	Problem string `json:"problem"`
}

// AuditReport is what VerifyAuditLog found.
type AuditReport struct {
	// Entries is how many entries were read; Head the store's checkpoint.
	Entries  int64              `json:"entries"`
	Head     warden.AuditHead   `json:"head"`
	Problems []AuditProblem     `json:"problems,omitempty"`
	Last     *warden.AuditEntry `json:"last,omitempty"`
}

// OK reports whether the chain is intact.
func (r *AuditReport) OK() bool { return len(r.Problems) == 0 }

// verifyPage is how many entries VerifyAuditLog reads at a time.
const verifyPage = 1000

// maxProblems bounds the problems a report lists: one tampered row
// breaks the chain once, but a rewritten log could break it everywhere.
const maxProblems = 100

// VerifyAuditLog reads the whole audit log and checks its hash chain:
// every entry's hash is recomputed from its fields and its predecessor's
// hash, sequence numbers run from 1 without a gap, and the last entry is
// the head checkpoint. It detects an entry that was changed (its hash no
// longer matches, or its successor's PrevHash no longer does), deleted
// (a gap, and a broken link), inserted, or a tail that was cut off (the
// head names a later entry). It cannot detect a log rewritten from some
// entry on together with the head, since the hashes are not keyed: keep
// a copy of the head (warden audit-log verify prints it) elsewhere and
// compare.
func VerifyAuditLog(ctx context.Context, log warden.AuditLogService) (*AuditReport, error) {
	head, err := log.AuditHead(ctx)
	if err != nil {
		return nil, err
	}
	r := &AuditReport{Head: head}
	add := func(seq int64, format string, args ...any) {
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, AuditProblem{Seq: seq, Problem: fmt.Sprintf(format, args...)})
		}
	}
	prevSeq, prevHash := int64(0), warden.AuditGenesis
	for {
		page, err := log.AuditEntries(ctx, prevSeq, verifyPage)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			r.Entries++
			if e.Seq != prevSeq+1 {
				add(e.Seq, "entries %d to %d are missing", prevSeq+1, e.Seq-1)
			}
			if e.PrevHash != prevHash {
				add(e.Seq, "its previous hash does not match the entry before it: that entry was changed or deleted, or this one inserted")
			}
			if got := e.ComputeHash(); got != e.Hash {
				add(e.Seq, "its hash does not match its fields: the entry was changed")
			}
			prevSeq, prevHash, r.Last = e.Seq, e.Hash, e
		}
		if len(page) < verifyPage {
			break
		}
	}
	switch {
	case head.Seq > prevSeq:
		add(head.Seq, "the head checkpoint names entry %d but the log ends at %d: the tail was deleted", head.Seq, prevSeq)
	case head.Seq < prevSeq:
		add(prevSeq, "the log goes on past the head checkpoint (entry %d): entries were added outside Warden", head.Seq)
	case head.Hash != prevHash:
		add(head.Seq, "the head checkpoint's hash does not match the last entry: the entry or the head was changed")
	}
	return r, nil
}
