package emulator

import (
	"maps"
	"strings"

	"github.com/wardenhq/warden/emulator/soql"
)

// txn is a snapshot of the state an all-or-none request (composite or sObject
// collections with allOrNone) may change in one org, restored when any part
// of the request fails, so that a rolled-back request leaves no trace but
// the ids it used up. Sessions and refresh tokens revoked by a rolled-back
// deactivation or password reset stay revoked (docs/emulator.md).
type txn struct {
	parent *txn
	o      *org

	users     []*user
	userVals  []user
	permSets  []*permSet
	psVals    []permSet
	assigns   []*assignment
	pslAssign []*pslAssignment
	records   map[string]dataSnapshot
	audit     int
	mail      map[string]int
	// events are the change events of the request, published on commit.
	events []pendingEvent
}

type dataSnapshot struct {
	rows, deleted []soql.Row
}

type pendingEvent struct {
	channel string
	payload map[string]any
}

// beginTxn snapshots org o. Callers hold s.mu and end it with endTxn.
func (s *Server) beginTxn(o *org) *txn {
	t := &txn{parent: s.txn, o: o, users: append([]*user(nil), o.users...), permSets: append([]*permSet(nil), o.permSets...),
		assigns: append([]*assignment(nil), o.assigns...), pslAssign: append([]*pslAssignment(nil), o.pslAssign...),
		records: make(map[string]dataSnapshot, len(o.records)), audit: len(o.audit), mail: map[string]int{}}
	for _, u := range o.users {
		v := *u
		v.extra = maps.Clone(u.extra)
		t.userVals = append(t.userVals, v)
		t.mail[strings.ToLower(u.username)] = len(s.mail[strings.ToLower(u.username)])
	}
	for _, ps := range o.permSets {
		v := *ps
		v.perms, v.extra = maps.Clone(ps.perms), maps.Clone(ps.extra)
		v.objects = make(map[string]*objectAccess, len(ps.objects))
		for k, oa := range ps.objects {
			c := *oa
			v.objects[k] = &c
		}
		t.psVals = append(t.psVals, v)
	}
	for k, do := range o.records {
		t.records[k] = dataSnapshot{rows: cloneRows(do.rows), deleted: cloneRows(do.deleted)}
	}
	s.txn = t
	return t
}

func cloneRows(rows []soql.Row) []soql.Row {
	out := make([]soql.Row, len(rows))
	for i, r := range rows {
		out[i] = maps.Clone(r)
	}
	return out
}

// endTxn commits (publishing the request's change events) or rolls back
// the state to the snapshot. Callers hold s.mu.
func (s *Server) endTxn(t *txn, commit bool) {
	s.txn = t.parent
	if commit {
		for _, e := range t.events {
			s.publish(t.o, e.channel, e.payload)
		}
		return
	}
	o := t.o
	for name, u := range s.userByName {
		if u.org == o {
			delete(s.userByName, name)
		}
	}
	o.users = t.users
	for i, u := range t.users {
		*u = t.userVals[i]
		s.userByName[strings.ToLower(u.username)] = u
	}
	o.permSets = t.permSets
	for i, ps := range t.permSets {
		*ps = t.psVals[i]
	}
	o.assigns, o.pslAssign = t.assigns, t.pslAssign
	for k, do := range o.records {
		snap, ok := t.records[k]
		if !ok {
			delete(o.records, k)
			continue
		}
		do.rows, do.deleted = snap.rows, snap.deleted
	}
	o.audit = o.audit[:t.audit]
	for name, n := range t.mail {
		s.mail[name] = s.mail[name][:n]
	}
	o.touch()
}

// publish delivers a change event now, or at the commit of the all-or-none
// request in progress.
func (s *Server) publish(o *org, channel string, payload map[string]any) {
	if s.txn != nil {
		s.txn.events = append(s.txn.events, pendingEvent{channel, payload})
		return
	}
	s.events.publish(o.id, channel, payload)
}
