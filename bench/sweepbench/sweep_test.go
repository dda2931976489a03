package sweepbench

import (
	"context"
	"encoding/json"
	"fmt"

	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/bench/internal/benchenv"
	"github.com/wardenhq/warden/bench/internal/benchseed"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/sqlite"
)

// BenchmarkSweepOrg measures one steady-state sweep of an org (after the
// first, which also learns user ids) against the in-process emulator over
// loopback HTTP. The emulator's own work is included in the time.
func BenchmarkSweepOrg(b *testing.B) {
	for _, users := range []int{10, 20} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			key, cert, err := benchseed.NewKey()
			if err != nil {
				b.Fatal(err)
			}
			emu, err := benchenv.StartEmulator(benchseed.Generate(benchseed.Params{Orgs: 1, Users: users, Cert: cert}))
			if err != nil {
				b.Fatal(err)
			}
			defer emu.Close()
			dir := b.TempDir()
			store, err := sqlite.Open(context.Background(), filepath.Join(dir, "warden.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			mon := monitor.New(monitor.Options{Store: store, NoPush: true}, benchenv.MonitorOrgs(benchenv.Client(emu.URL), key, 1, users, false))
			ctx := context.Background()
			org := benchseed.OrgName(0)
			if err := mon.SweepOrg(ctx, org); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := mon.SweepOrg(ctx, org); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// grantRow is a PermissionSetAssignment row as a sweep reads it.
const grantRow = `{"attributes":{"type":"PermissionSetAssignment","url":"/services/data/v62.0/sobjects/PermissionSetAssignment/0PaE6tY0000000BICQ"},
"AssigneeId":"005E6tY0000000BICQ","PermissionSetId":"0PSE6tY00000005ICA",
"PermissionSet":{"attributes":{"type":"PermissionSet","url":"/services/data/v62.0/sobjects/PermissionSet/0PSE6tY00000005ICA"},
"Name":"Integration_API","Label":"Integration API","IsOwnedByProfile":false,"Profile":null,
"PermissionsApiEnabled":true,"PermissionsPasswordNeverExpires":false,"PermissionsViewAllData":false,"PermissionsModifyAllData":false}}`

// BenchmarkRecordNestedBool measures a relationship-path accessor
// (Record.Bool("PermissionSet.PermissionsApiEnabled")), which re-decodes
// the nested object on every call, against the top-level accessor.
func BenchmarkRecordNestedBool(b *testing.B) {
	var r salesforce.Record
	if err := json.Unmarshal([]byte(grantRow), &r); err != nil {
		b.Fatal(err)
	}
	b.Run("nested", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !r.Bool("PermissionSet.PermissionsApiEnabled") {
				b.Fatal("false")
			}
		}
	})
	b.Run("top-level", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r.String("AssigneeId") == "" {
				b.Fatal("empty")
			}
		}
	})
	b.Run("decode-once-then-10-fields", func(b *testing.B) {
		// What a caller reading 10 fields of the nested object pays when
		// it decodes the object once.
		b.ReportAllocs()
		for b.Loop() {
			ps := salesforce.Record{}
			if err := json.Unmarshal(r.Raw("PermissionSet"), &ps); err != nil {
				b.Fatal(err)
			}
			for range 10 {
				ps.Bool("PermissionsApiEnabled")
			}
		}
	})
	b.Run("nested-10-fields", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range 10 {
				r.Bool("PermissionSet.PermissionsApiEnabled")
			}
		}
	})
}
