package monitor

import (
	"context"
	"slices"
	"strings"

	"github.com/wardenhq/warden"
)

// Activity analyses the login history and setup audit trail rows that
// sweeps read (package activity implements it). The monitor calls Observe
// once per successful sweep of an org with the rows that sweep read for
// the first time, after the sweep has released the org and outside any
// lock, so Observe may do I/O; calls for one org may overlap when sweeps
// follow closely, and Observe must tolerate rows it has seen.
type Activity interface {
	Observe(ctx context.Context, s *warden.ActivitySweep)
}

// activitySweep collects what the sweep read for the first time: the new
// LoginHistory rows of its users, split into the client's and Warden's
// own credential checks (taken from each user's matched own logins), and
// the new SetupAuditTrail rows.
func (r *orgRun) activitySweep(obs map[string]*Observation) *warden.ActivitySweep {
	s := &warden.ActivitySweep{Org: r.name, Changes: r.st.freshChanges}
	own := map[string]bool{}
	for key, u := range r.users {
		for _, w := range u.live.own {
			if w.matched && w.row.ID != "" {
				own[w.row.ID] = true
			}
		}
		o := obs[key]
		if o == nil {
			continue
		}
		s.At = o.Now
		au := warden.ActivityUser{Username: u.target.Username, Credential: u.target.Credential, Owner: u.target.Owner,
			Dependents: u.target.Dependents}
		if o.Found {
			au.UserID, au.Active, au.Frozen, au.LastLogin = o.UserID, o.Active, o.Frozen, o.LastLogin
			au.RefreshTokens, au.Profile = o.RefreshTokens, o.ProfileName
		}
		s.Users = append(s.Users, au)
	}
	for _, l := range r.st.freshLogins {
		if own[l.ID] {
			s.Own = append(s.Own, l)
		} else {
			s.Logins = append(s.Logins, l)
		}
	}
	r.st.freshLogins, r.st.freshChanges = nil, nil
	slices.SortFunc(s.Users, func(a, b warden.ActivityUser) int { return strings.Compare(a.Username, b.Username) })
	return s
}
