package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

// snapshot is what an audit records about each user beside its findings
// (as the Evidence of an info finding with rule audit.snapshot): the
// resolved grants, so the next audit can tell permission changes, and a
// marker that the user was audited even when it had no findings.
type snapshot struct {
	V           int                            `json:"v"`
	Score       int                            `json:"score"`
	Grade       string                         `json:"grade"`
	Profile     string                         `json:"profile"`
	Licence     string                         `json:"licence"`
	Sources     []snapSource                   `json:"sources"`
	Permissions map[string][]string            `json:"permissions"`
	Objects     map[string]map[string][]string `json:"objects"`
}

type snapSource struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Label string `json:"label"`
}

func takeSnapshot(u *UserState, ev *Evaluation) *snapshot {
	sn := &snapshot{V: 1, Score: ev.Score, Grade: ev.Grade, Profile: u.Profile, Licence: u.Licence,
		Sources: []snapSource{}, Permissions: map[string][]string{}, Objects: map[string]map[string][]string{}}
	for _, s := range u.Sources {
		sn.Sources = append(sn.Sources, snapSource{Kind: s.Kind, Name: s.Name, Label: s.Label})
	}
	for perm, srcs := range u.PermissionGrants() {
		for _, s := range srcs {
			sn.Permissions[perm] = append(sn.Permissions[perm], s.String())
		}
		sort.Strings(sn.Permissions[perm])
	}
	for obj, byOp := range u.ObjectSources() {
		name := u.objectName(obj)
		m := map[string][]string{}
		for op, srcs := range byOp {
			for _, s := range srcs {
				m[op.String()] = append(m[op.String()], s.String())
			}
			sort.Strings(m[op.String()])
		}
		sn.Objects[name] = m
	}
	return sn
}

func (sn *snapshot) finding(org, username string, at time.Time) *warden.Finding {
	b, _ := json.Marshal(sn)
	return &warden.Finding{Org: org, Username: username, Rule: RuleSnapshot, Severity: warden.SeverityInfo,
		Evidence: string(b), FoundAt: at}
}

// Drift is what changed for a user since its previous audit.
type Drift struct {
	PreviousAudit string    `json:"previousAudit"`
	PreviousAt    time.Time `json:"previousAt"`
	PreviousScore int       `json:"previousScore"`
	// New and Resolved are findings that appeared and disappeared.
	New      []*warden.Finding `json:"new"`
	Resolved []*warden.Finding `json:"resolved"`
	// Gained and Lost are grant changes: "ModifyAllData via permission set
	// X", "Account Edit via permission set Y", "profile Z".
	Gained []string `json:"gained"`
	Lost   []string `json:"lost"`
	// Changes are setup audit trail rows since the previous audit that
	// concern the user, its profile or its permission sets: who changed
	// what, when.
	Changes []warden.SetupChange `json:"changes"`
}

// Empty reports whether nothing changed.
func (d *Drift) Empty() bool {
	return d == nil || len(d.New) == 0 && len(d.Resolved) == 0 && len(d.Gained) == 0 && len(d.Lost) == 0
}

type previousRun struct {
	auditID  string
	at       time.Time
	findings []*warden.Finding
	snap     *snapshot
}

// previous finds the latest recorded audit of a user other than current.
func previous(ctx context.Context, store warden.FindingService, org, username, current string) (*previousRun, error) {
	fs, err := store.Findings(ctx, warden.FindingFilter{Org: org, Username: username, Limit: 5000})
	if err != nil {
		return nil, err
	}
	var run *previousRun
	for _, f := range fs {
		if f.AuditID == current {
			continue
		}
		if run != nil && f.AuditID != run.auditID {
			if run.snap != nil {
				break
			}
			run = nil // an audit without a snapshot (not Warden's policy audit): skip it
		}
		if run == nil {
			run = &previousRun{auditID: f.AuditID, at: f.FoundAt}
		}
		if f.Rule == RuleSnapshot {
			var sn snapshot
			if json.Unmarshal([]byte(f.Evidence), &sn) == nil {
				run.snap, run.at = &sn, f.FoundAt
			}
			continue
		}
		run.findings = append(run.findings, f)
	}
	if run == nil || run.snap == nil {
		return nil, nil
	}
	return run, nil
}

// diff compares an audit with the previous one.
func diff(prev *previousRun, cur []*warden.Finding, sn *snapshot, changes []warden.SetupChange, username string) *Drift {
	d := &Drift{PreviousAudit: prev.auditID, PreviousAt: prev.at, PreviousScore: prev.snap.Score,
		New: []*warden.Finding{}, Resolved: []*warden.Finding{}, Gained: []string{}, Lost: []string{}, Changes: []warden.SetupChange{}}
	before := map[string]bool{}
	for _, f := range prev.findings {
		before[findingKey(f)] = true
	}
	now := map[string]bool{}
	for _, f := range cur {
		now[findingKey(f)] = true
		if !before[findingKey(f)] {
			d.New = append(d.New, f)
		}
	}
	for _, f := range prev.findings {
		if !now[findingKey(f)] {
			d.Resolved = append(d.Resolved, f)
		}
	}
	d.Gained, d.Lost = grantDiff(prev.snap, sn)
	needles := []string{strings.ToLower(username)}
	for _, snap := range []*snapshot{prev.snap, sn} {
		for _, s := range snap.Sources {
			needles = append(needles, strings.ToLower(s.Kind+" "+s.Name+":"), strings.ToLower(s.Kind+" "+s.Label+":"))
		}
	}
	for _, c := range changes {
		if c.Time.Before(prev.at) {
			continue
		}
		text := strings.ToLower(c.Display)
		for _, n := range needles {
			if strings.Contains(text, n) {
				d.Changes = append(d.Changes, c)
				break
			}
		}
	}
	return d
}

func grantDiff(a, b *snapshot) (gained, lost []string) {
	gained, lost = []string{}, []string{}
	if a.Profile != b.Profile {
		gained = append(gained, "profile "+b.Profile)
		lost = append(lost, "profile "+a.Profile)
	}
	perms := map[string]bool{}
	for p := range a.Permissions {
		perms[p] = true
	}
	for p := range b.Permissions {
		perms[p] = true
	}
	for _, p := range sortedKeys(perms) {
		for _, s := range minus(b.Permissions[p], a.Permissions[p]) {
			gained = append(gained, fmt.Sprintf("%s via %s", p, s))
		}
		for _, s := range minus(a.Permissions[p], b.Permissions[p]) {
			lost = append(lost, fmt.Sprintf("%s via %s", p, s))
		}
	}
	objs := map[string]bool{}
	for o := range a.Objects {
		objs[o] = true
	}
	for o := range b.Objects {
		objs[o] = true
	}
	for _, o := range sortedKeys(objs) {
		for _, n := range accessNames {
			op := n.name
			for _, s := range minus(b.Objects[o][op], a.Objects[o][op]) {
				gained = append(gained, fmt.Sprintf("%s %s via %s", o, op, s))
			}
			for _, s := range minus(a.Objects[o][op], b.Objects[o][op]) {
				lost = append(lost, fmt.Sprintf("%s %s via %s", o, op, s))
			}
		}
	}
	return gained, lost
}

// minus returns the elements of a not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
