// Package benchenv wires Warden's monitor to an emulator loaded with a
// benchseed seed, and wraps the emulator's control API, for the programs
// under bench/.
package benchenv

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/bench/internal/benchseed"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/salesforce"
)

// Emulator is an in-process emulator listening on 127.0.0.1.
type Emulator struct {
	*emulator.Server
	URL string
	hs  *http.Server
}

// StartEmulator serves seed on a free loopback port.
func StartEmulator(seed *emulator.Seed) (*Emulator, error) {
	srv, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &Emulator{Server: srv, URL: "http://" + ln.Addr().String(), hs: &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}}
	go e.hs.Serve(ln)
	return e, nil
}

// Close stops the listener and closes open connections.
func (e *Emulator) Close() error { return e.hs.Close() }

// Client returns a Salesforce client for the emulator at base, with a
// plain &http.Client{} (http.DefaultTransport) as cmd/warden builds it.
func Client(base string) *salesforce.Client {
	return salesforce.New(salesforce.Config{LoginURL: base, HTTPClient: &http.Client{}, UserAgent: "warden-bench"})
}

// MonitorOrgs returns the monitor configuration of orgs [0, orgs) of a
// benchseed seed: each monitored through its admin's session (JWT bearer
// with key), with users integration users as targets (credential kind
// password). With liveness, each target's own credential (OAuth password
// grant) is checked on the monitor's liveness schedule.
func MonitorOrgs(c *salesforce.Client, key *rsa.PrivateKey, orgs, users int, liveness bool) []*monitor.Org {
	out := make([]*monitor.Org, 0, orgs)
	for i := 0; i < orgs; i++ {
		sess := salesforce.NewSession(c, &salesforce.JWTAuth{Client: c, Grant: salesforce.JWTGrant{ClientID: benchseed.AppKey(i),
			Username: benchseed.AdminUsername(i), Key: key}})
		o := &monitor.Org{Name: benchseed.OrgName(i), Session: sess, PasswordExpiresDays: -1}
		if liveness {
			o.Liveness = map[string]func(context.Context) error{}
		}
		for j := 0; j < users; j++ {
			u := benchseed.Username(i, j)
			o.Targets = append(o.Targets, monitor.Target{Username: u, Credential: warden.CredentialPassword, Owner: "bench",
				Dependents: []warden.AffectedApp{{Name: "app of " + u, Owner: "bench"}}})
			if liveness {
				auth := &salesforce.PasswordAuth{Client: c, ClientID: benchseed.AppKey(i), ClientSecret: benchseed.AppSecret,
					Username: u, Password: benchseed.UserPassword + benchseed.UserToken}
				o.Liveness[u] = monitor.LivenessCheck(c, auth)
			}
		}
		out = append(out, o)
	}
	return out
}

// Control calls the emulator's control API at base (path relative to
// /_emulator/) with a JSON body (nil for none) and decodes a 2xx answer
// into out when out is not nil.
func Control(ctx context.Context, base, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/_emulator/"+escapePath(path), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := controlClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("control %s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

var controlClient = &http.Client{Timeout: 30 * time.Second}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// Usage is an org's request counters in the emulator.
type Usage struct {
	APIRequests  int            `json:"apiRequests"`
	Logins       int            `json:"logins"`
	LoginsByUser map[string]int `json:"loginsByUser"`
}

// GetUsage reads an org's counters.
func GetUsage(ctx context.Context, base, org string) (Usage, error) {
	var u Usage
	err := Control(ctx, base, http.MethodGet, "orgs/"+org+"/usage", nil, &u)
	return u, err
}

// ResetUsage zeroes an org's counters.
func ResetUsage(ctx context.Context, base, org string) error {
	return Control(ctx, base, http.MethodDelete, "orgs/"+org+"/usage", nil, nil)
}

// Alerts records every alert with the time it was delivered.
type Alerts struct {
	mu   sync.Mutex
	list []Delivered
}

// Delivered is an alert and its delivery time.
type Delivered struct {
	At    time.Time
	Alert *warden.Alert
}

// Alert implements monitor.Alerter.
func (a *Alerts) Alert(_ context.Context, al *warden.Alert) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, Delivered{At: now, Alert: al})
}

// Since returns the alerts delivered from index i on, and the next index.
func (a *Alerts) Since(i int) ([]Delivered, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := append([]Delivered(nil), a.list[i:]...)
	return out, len(a.list)
}

// ProcStat is a process's CPU time and memory from /proc.
type ProcStat struct {
	CPU       time.Duration // utime + stime
	RSS, HWM  int64         // bytes
	Threads   int
	SampledAt time.Time
}

// ReadProc reads /proc/<pid>/stat and /proc/<pid>/status.
func ReadProc(pid int) (ProcStat, error) {
	st := ProcStat{SampledAt: time.Now()}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return st, err
	}
	// Fields after the command (which may hold spaces) start after ") ".
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime is field 14
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	st.CPU = time.Duration(ut+stt) * time.Second / 100 // USER_HZ is 100 on Linux
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			st.RSS = n << 10
		case "VmHWM":
			st.HWM = n << 10
		case "Threads":
			st.Threads = int(n)
		}
	}
	return st, nil
}

// LoadAvg returns the first three fields of /proc/loadavg.
func LoadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:3], " ")
}
