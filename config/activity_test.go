package config

import (
	"strings"
	"testing"
	"time"
)

func TestActivity(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		errs []string // parts of the error; none means valid
	}{
		{name: "defaults", yaml: "activity: {}\n"},
		{name: "thresholds and hours", yaml: `activity:
  failedLogins: {count: 3, window: 10m, severity: critical}
  dormant: {after: 1440h}
  hours:
    - users: [sync@acme.example]
      timeZone: Europe/Paris
      allowed: {monday: "08:00-18:00"}
`},
		{name: "bad values", yaml: `activity:
  failedLogins: {severity: urgent}
  volumeJump: {factor: 0.5}
  hourlyVolume: {share: 2}
  refreshTokens: {count: 9}
  hours:
    - users: [a@b.example]
      timeZone: Mars/Base
      allowed: {funday: "08:00-18:00", tuesday: "9-5"}
`, errs: []string{"activity.failedLogins.severity", "activity.volumeJump.factor", "activity.hourlyVolume.share", "activity.refreshTokens.count",
			"Mars/Base", "funday", "not a login window"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "warden.yaml", func(string) string { return "" })
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if h := c.Activity.Hours; len(h) > 0 {
					zone, w := h[0].Windows()
					if zone.String() != "Europe/Paris" || w[time.Monday] != [2]int{8 * 60, 18 * 60} {
						t.Errorf("Windows() = %v, %v", zone, w)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, e := range tt.errs {
				if !strings.Contains(err.Error(), e) {
					t.Errorf("error does not mention %q:\n%v", e, err)
				}
			}
		})
	}
}
