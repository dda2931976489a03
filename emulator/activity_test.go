package emulator_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

func TestGenerateActivity(t *testing.T) {
	seed, _, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := emulatortest.Start(t, seed)
	var out emulator.ActivityResult
	e.Control(t, http.MethodPost, "orgs/Acme%20Corp/activity", emulator.ActivityRequest{Users: 10, Days: 7, Every: "1h", Anomalies: true}, &out)
	if len(out.Users) != 10 || len(out.Anomalies) != 5 {
		t.Fatalf("generated %d users, anomalies %v", len(out.Users), out.Anomalies)
	}
	// 8 users log in hourly for 7 days, user 2 from 06:00 to 20:00 (the
	// dormant one never), plus the
	// planted rows: one new network, 20 at night, 3,000 in an hour.
	if want := 8*7*24 + 7*14 + 1 + 20 + 3000; out.Rows != want { // user 2 logs in 14 hours a day
		t.Errorf("rows = %d, want %d", out.Rows, want)
	}
	if code, _ := e.ControlStatus(t, http.MethodPost, "orgs/Acme%20Corp/activity", emulator.ActivityRequest{Users: 1000, Days: 180, Every: "1m"}); code != http.StatusBadRequest {
		t.Errorf("more rows than an org keeps: %d, want 400", code)
	}
}
