package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
)

// fake is an in-memory channel. It fails its first fails calls with err.
type fake struct {
	name  string
	fails int
	err   error
	delay time.Duration
	panic bool

	mu    sync.Mutex
	calls int
	at    []time.Time
	got   []*warden.Alert
}

func (f *fake) Name() string { return f.name }

func (f *fake) Notify(ctx context.Context, a *warden.Alert) error {
	if f.panic {
		panic("boom")
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.at = append(f.at, time.Now())
	if f.calls <= f.fails {
		return f.err
	}
	f.got = append(f.got, a)
	return nil
}

func (f *fake) received() []*warden.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*warden.Alert(nil), f.got...)
}

var errDown = &warden.Error{Kind: warden.EUNAVAILABLE, Message: "channel down"}
var errBad = &warden.Error{Kind: warden.EINVALID, Message: "bad request"}

// statuses maps channel names to their outcome status.
func statuses(r Result) map[string]Status {
	m := map[string]Status{}
	for _, o := range r.Outcomes {
		m[o.Channel] = o.Status
	}
	return m
}

// sentTo lists the channels that accepted the alert, sorted.
func sentTo(r Result) []string {
	s := r.Sent()
	slices.Sort(s)
	return s
}

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func TestDispatchRouting(t *testing.T) {
	routes := func() []Route {
		return []Route{
			{Notifier: &fake{name: "all"}},
			{Notifier: &fake{name: "high"}, MinSeverity: warden.SeverityHigh},
			{Notifier: &fake{name: "critical"}, MinSeverity: warden.SeverityCritical},
			{Notifier: &fake{name: "billing"}, Owners: []string{"billing"}},
			{Notifier: &fake{name: "platform"}, Owners: []string{"Platform", "Security"}, MinSeverity: warden.SeverityMedium},
		}
	}
	alert := func(sev warden.Severity, state warden.State, owner string, deps ...warden.AffectedApp) *warden.Alert {
		return &warden.Alert{Key: "o/u", Org: "o", Username: "u", State: state, Cause: warden.CauseUserFrozen, Severity: sev, Owner: owner, Dependents: deps}
	}
	tests := []struct {
		name  string
		alert *warden.Alert
		want  []string
	}{
		{"dependents' owners route", problemAlert(), []string{"all", "billing", "high"}},
		{"critical reaches every threshold", alert(warden.SeverityCritical, warden.StateError, "Platform"), []string{"all", "critical", "high", "platform"}},
		{"low stays below thresholds", alert(warden.SeverityLow, warden.StateDegraded, "Platform"), []string{"all"}},
		{"severity from state", alert("", warden.StateDegraded, "Security"), []string{"all", "platform"}},
		{"error state counts as high", alert("", warden.StateError, "nobody"), []string{"all", "high"}},
		{"owner match ignores case and spaces", alert(warden.SeverityMedium, warden.StateDegraded, " BILLING "), []string{"all", "billing"}},
		{"dependent owner only", alert(warden.SeverityInfo, warden.StateDegraded, "", warden.AffectedApp{Name: "X", Owner: "security"}), []string{"all"}},
		{"dependent owner above threshold", alert(warden.SeverityMedium, warden.StateDegraded, "", warden.AffectedApp{Name: "X", Owner: "security"}), []string{"all", "platform"}},
		{"no owners", alert(warden.SeverityHigh, warden.StateError, ""), []string{"all", "high"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDispatcher(DispatcherConfig{Routes: routes()})
			res := d.Dispatch(context.Background(), tt.alert)
			if got := sentTo(res); !slices.Equal(got, tt.want) {
				t.Errorf("sent to %v, want %v", got, tt.want)
			}
			if len(res.Outcomes) != 5 || res.Key != "o/u" && res.Key != "acme/gis@acme.example" {
				t.Errorf("result = %+v", res)
			}
			for _, o := range res.Outcomes {
				if o.Status == StatusSkipped && o.Reason == "" {
					t.Errorf("%s skipped without a reason", o.Channel)
				}
				if o.Status == StatusSent && o.Attempts != 1 {
					t.Errorf("%s attempts = %d", o.Channel, o.Attempts)
				}
			}
			if res.Err() != nil {
				t.Errorf("Err = %v", res.Err())
			}
		})
	}
}

func TestDispatchConfigMistakes(t *testing.T) {
	var logs lockedBuffer
	f := &fake{name: "typo"}
	d := NewDispatcher(DispatcherConfig{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Routes: []Route{{Notifier: nil}, {Notifier: f, MinSeverity: "urgent"}},
	})
	res := d.Dispatch(context.Background(), &warden.Alert{Key: "k", State: warden.StateDegraded, Severity: warden.SeverityInfo})
	if !slices.Equal(res.Sent(), []string{"typo"}) || len(res.Outcomes) != 1 {
		t.Errorf("result = %+v", res)
	}
	for _, want := range []string{"route has no notifier", "unknown minimum severity"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if r := d.Dispatch(context.Background(), nil); len(r.Outcomes) != 0 {
		t.Errorf("nil alert dispatched: %+v", r)
	}
}

func TestDispatchDedupWindow(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	type step struct {
		at     time.Duration
		change func(*warden.Alert)
		want   Status
	}
	same := func(*warden.Alert) {}
	cause := func(c warden.Cause) func(*warden.Alert) { return func(a *warden.Alert) { a.Cause = c } }
	tests := []struct {
		name   string
		window time.Duration
		steps  []step
	}{
		{"default window", 0, []step{
			{0, same, StatusSent},
			{10 * time.Minute, same, StatusSuppressed},
			{20 * time.Minute, cause(warden.CausePasswordExpired), StatusSent},
			{30 * time.Minute, cause(warden.CausePasswordExpired), StatusSuppressed},
			{31 * time.Minute, func(a *warden.Alert) {
				a.Cause, a.Severity, a.Evidence = warden.CausePasswordExpired, warden.SeverityCritical, "new words"
			}, StatusSuppressed},
			{79 * time.Minute, cause(warden.CausePasswordExpired), StatusSuppressed},
			{80 * time.Minute, cause(warden.CausePasswordExpired), StatusSent}, // an hour on: remind
			{81 * time.Minute, func(a *warden.Alert) { a.Cause, a.State = warden.CausePasswordExpired, warden.StateDegraded }, StatusSent},
			{82 * time.Minute, func(a *warden.Alert) { *a = *recoveryAlert() }, StatusSent},
			{83 * time.Minute, func(a *warden.Alert) { *a = *recoveryAlert() }, StatusSuppressed},
			{84 * time.Minute, same, StatusSent}, // flapped back
		}},
		{"short window", 5 * time.Minute, []step{
			{0, same, StatusSent},
			{4 * time.Minute, same, StatusSuppressed},
			{5 * time.Minute, same, StatusSent},
			{6 * time.Minute, same, StatusSuppressed},
		}},
		{"disabled", -1, []step{
			{0, same, StatusSent},
			{0, same, StatusSent},
			{time.Second, same, StatusSent},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: t0}
			f := &fake{name: "chat"}
			d := NewDispatcher(DispatcherConfig{Routes: []Route{{Notifier: f}}, Now: clk.Now, DedupWindow: tt.window})
			var sent, suppressed uint64
			for i, s := range tt.steps {
				clk.Set(t0.Add(s.at))
				a := problemAlert()
				s.change(a)
				res := d.Dispatch(context.Background(), a)
				if got := res.Outcomes[0].Status; got != s.want {
					t.Errorf("step %d (+%v): %s, want %s (%s)", i, s.at, got, s.want, res.Outcomes[0].Reason)
				}
				switch s.want {
				case StatusSent:
					sent++
				case StatusSuppressed:
					suppressed++
					if !strings.Contains(res.Outcomes[0].Reason, "dedup window") {
						t.Errorf("step %d reason %q", i, res.Outcomes[0].Reason)
					}
				}
			}
			if st := d.Stats()["chat"]; st.Sent != sent || st.Suppressed != suppressed || len(f.received()) != int(sent) {
				t.Errorf("stats %+v, received %d; want sent %d suppressed %d", st, len(f.received()), sent, suppressed)
			}
		})
	}
}

func TestDispatchRecoveryRouting(t *testing.T) {
	pager := &fake{name: "pager"}
	chat := &fake{name: "chat"}
	log := &fake{name: "log"}
	quiet := &fake{name: "quiet"}
	gis := &fake{name: "gis-critical"}
	d := NewDispatcher(DispatcherConfig{Routes: []Route{
		{Notifier: pager, MinSeverity: warden.SeverityHigh},
		{Notifier: chat, MinSeverity: warden.SeverityMedium, Owners: []string{"Billing"}},
		{Notifier: log},
		{Notifier: quiet, SkipRecoveries: true},
		{Notifier: gis, MinSeverity: warden.SeverityCritical, Owners: []string{"GIS"}},
	}})
	ctx := context.Background()
	steps := []struct {
		name  string
		alert *warden.Alert
		want  map[string]Status
	}{
		{"problem", problemAlert(), map[string]Status{"pager": StatusSent, "chat": StatusSent, "log": StatusSent, "quiet": StatusSent, "gis-critical": StatusSkipped}},
		// The recovery's own severity (info) reaches only "log" and
		// "quiet", yet it goes where the problem went.
		{"recovery", recoveryAlert(), map[string]Status{"pager": StatusSent, "chat": StatusSent, "log": StatusSent, "quiet": StatusSkipped, "gis-critical": StatusSkipped}},
		{"recovery repeated", recoveryAlert(), map[string]Status{"pager": StatusSuppressed, "chat": StatusSuppressed, "log": StatusSuppressed, "quiet": StatusSkipped, "gis-critical": StatusSkipped}},
		{"recovery of an unseen problem", func() *warden.Alert { a := recoveryAlert(); a.Key = "acme/other"; return a }(),
			map[string]Status{"pager": StatusSkipped, "chat": StatusSkipped, "log": StatusSent, "quiet": StatusSkipped, "gis-critical": StatusSkipped}},
	}
	for _, s := range steps {
		res := d.Dispatch(ctx, s.alert)
		if got := statuses(res); !mapsEqual(got, s.want) {
			t.Errorf("%s: %v, want %v", s.name, got, s.want)
		}
	}
	if got := pager.received(); len(got) != 2 || got[0].Resolved || !got[1].Resolved {
		t.Errorf("pager received %d alerts", len(got))
	}

	// A route whose problem delivery failed does not get the recovery.
	pager2 := &fake{name: "pager", fails: 1, err: errBad}
	log2 := &fake{name: "log"}
	d = NewDispatcher(DispatcherConfig{Routes: []Route{{Notifier: pager2, MinSeverity: warden.SeverityHigh}, {Notifier: log2}}})
	if got := statuses(d.Dispatch(ctx, problemAlert())); got["pager"] != StatusFailed || got["log"] != StatusSent {
		t.Errorf("problem: %v", got)
	}
	if got := statuses(d.Dispatch(ctx, recoveryAlert())); got["pager"] != StatusSkipped || got["log"] != StatusSent {
		t.Errorf("recovery: %v", got)
	}
}

func mapsEqual(a, b map[string]Status) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDispatchRetries runs real channels against endpoints that fail a
// number of times before answering.
func TestDispatchRetries(t *testing.T) {
	slack := func(url string) (warden.Notifier, error) {
		return NewSlack(SlackConfig{Name: "ch", WebhookURL: url + "/services/T/B/tok"})
	}
	teams := func(url string) (warden.Notifier, error) {
		return NewTeams(TeamsConfig{Name: "ch", WebhookURL: url + "/webhookb2/x"})
	}
	webhook := func(url string) (warden.Notifier, error) {
		return NewWebhook(WebhookConfig{Name: "ch", URL: url + "/hook", Secret: "s"})
	}
	pagerduty := func(url string) (warden.Notifier, error) {
		return NewPagerDuty(PagerDutyConfig{Name: "ch", RoutingKey: routingKey, URL: url + "/v2/enqueue"})
	}
	ok := reply{status: 200}
	tests := []struct {
		name     string
		channel  func(string) (warden.Notifier, error)
		script   []reply
		def      reply
		attempts int
		want     Status
		hits     int
		kind     string
	}{
		{"first try", slack, nil, ok, 3, StatusSent, 1, ""},
		{"503 twice then ok", slack, []reply{{status: 503}, {status: 503}}, ok, 3, StatusSent, 3, ""},
		{"always 503", teams, nil, reply{status: 503}, 3, StatusFailed, 3, warden.EUNAVAILABLE},
		{"429 with Retry-After", webhook, []reply{{status: 429, header: map[string]string{"Retry-After": "1"}}}, reply{status: 204}, 3, StatusSent, 2, ""},
		{"pagerduty 500 then 202", pagerduty, []reply{{status: 500}}, reply{status: 202}, 3, StatusSent, 2, ""},
		{"400 is not retried", pagerduty, nil, reply{status: 400}, 3, StatusFailed, 1, warden.EINVALID},
		{"retries disabled", slack, nil, reply{status: 500}, -1, StatusFailed, 1, warden.EUNAVAILABLE},
		{"five attempts", webhook, []reply{{status: 502}, {status: 502}, {status: 502}, {status: 502}}, ok, 5, StatusSent, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t, tt.def, tt.script...)
			n, err := tt.channel(ep.URL)
			if err != nil {
				t.Fatal(err)
			}
			d := NewDispatcher(DispatcherConfig{
				Routes: []Route{{Notifier: n}},
				Retry:  Retry{Attempts: tt.attempts, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
			})
			start := time.Now()
			res := d.Dispatch(context.Background(), problemAlert())
			o := res.Outcomes[0]
			if o.Status != tt.want || o.Attempts != tt.hits || len(ep.requests()) != tt.hits {
				t.Errorf("status %s after %d attempts, %d requests (err %v); want %s after %d", o.Status, o.Attempts, len(ep.requests()), o.Err, tt.want, tt.hits)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("Retry-After not capped by MaxDelay: took %v", time.Since(start))
			}
			if tt.kind != "" {
				assertKind(t, o.Err, tt.kind)
				assertKind(t, res.Err(), tt.kind)
			}
			st := d.Stats()["ch"]
			wantSent, wantFailed := uint64(0), uint64(0)
			if tt.want == StatusSent {
				wantSent = 1
			} else {
				wantFailed = 1
			}
			if st.Sent != wantSent || st.Failed != wantFailed || st.Retries != uint64(tt.hits-1) {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

// TestDispatchBackoff checks the schedule of retries on a fake clock.
func TestDispatchBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{name: "flaky", fails: 3, err: errDown}
		d := NewDispatcher(DispatcherConfig{
			Routes: []Route{{Notifier: f}},
			Retry:  Retry{Attempts: 4, BaseDelay: time.Second, MaxDelay: 3 * time.Second},
		})
		res := d.Dispatch(context.Background(), problemAlert())
		if res.Outcomes[0].Status != StatusSent || res.Outcomes[0].Attempts != 4 {
			t.Fatalf("outcome %+v", res.Outcomes[0])
		}
		bounds := [][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second}, {1500 * time.Millisecond, 3 * time.Second}}
		for i, b := range bounds {
			gap := f.at[i+1].Sub(f.at[i])
			if gap < b[0] || gap > b[1] {
				t.Errorf("wait before retry %d = %v, want within %v", i+1, gap, b)
			}
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// A channel's Retry-After wins over a shorter backoff, up to
		// MaxDelay.
		throttled := &warden.Error{Kind: warden.EUNAVAILABLE, Message: "slow down", Err: &StatusError{StatusCode: 429, RetryAfter: 2500 * time.Millisecond}}
		f := &fake{name: "throttled", fails: 2, err: throttled}
		d := NewDispatcher(DispatcherConfig{
			Routes: []Route{{Notifier: f}},
			Retry:  Retry{BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second},
		})
		start := time.Now()
		res := d.Dispatch(context.Background(), problemAlert())
		if res.Outcomes[0].Status != StatusSent {
			t.Fatalf("outcome %+v", res.Outcomes[0])
		}
		if got := time.Since(start); got != 4*time.Second {
			t.Errorf("took %v, want 2 × MaxDelay", got)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// Cancellation ends the wait.
		f := &fake{name: "down", fails: 100, err: errDown}
		d := NewDispatcher(DispatcherConfig{
			Routes: []Route{{Notifier: f}},
			Retry:  Retry{Attempts: 10, BaseDelay: time.Minute, MaxDelay: time.Hour},
		})
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		start := time.Now()
		res := d.Dispatch(ctx, problemAlert())
		if o := res.Outcomes[0]; o.Status != StatusFailed || o.Attempts > 3 || !errors.Is(o.Err, errDown) {
			t.Errorf("outcome %+v", o)
		}
		if got := time.Since(start); got != 90*time.Second {
			t.Errorf("returned after %v", got)
		}
	})
}

// TestDispatchConcurrent dispatches the same alert from many goroutines:
// one delivery, the rest suppressed.
func TestDispatchConcurrent(t *testing.T) {
	f := &fake{name: "chat", delay: 20 * time.Millisecond}
	d := NewDispatcher(DispatcherConfig{Routes: []Route{{Notifier: f}}})
	var wg sync.WaitGroup
	results := make([]Result, 20)
	for i := range results {
		wg.Go(func() { results[i] = d.Dispatch(context.Background(), problemAlert()) })
	}
	wg.Wait()
	counts := map[Status]int{}
	for _, r := range results {
		counts[r.Outcomes[0].Status]++
	}
	if counts[StatusSent] != 1 || counts[StatusSuppressed] != 19 || len(f.received()) != 1 {
		t.Errorf("counts %v, received %d", counts, len(f.received()))
	}
	// Different keys proceed independently.
	for i := range 10 {
		wg.Go(func() {
			a := problemAlert()
			a.Key = fmt.Sprintf("acme/u%d", i)
			d.Dispatch(context.Background(), a)
		})
	}
	wg.Wait()
	if st := d.Stats()["chat"]; st.Sent != 11 || st.Suppressed != 19 {
		t.Errorf("stats %+v", st)
	}
}

// TestDispatchFailureNotRemembered checks that a failed delivery is tried
// again at the next Dispatch instead of being suppressed.
func TestDispatchFailureNotRemembered(t *testing.T) {
	f := &fake{name: "chat", fails: 1, err: errBad}
	other := &fake{name: "other"}
	d := NewDispatcher(DispatcherConfig{Routes: []Route{{Notifier: f}, {Notifier: other}}})
	first := d.Dispatch(context.Background(), problemAlert())
	if got := statuses(first); got["chat"] != StatusFailed || got["other"] != StatusSent {
		t.Fatalf("first: %v", got)
	}
	if !errors.Is(first.Err(), errBad) {
		t.Errorf("Err = %v", first.Err())
	}
	second := d.Dispatch(context.Background(), problemAlert())
	if got := statuses(second); got["chat"] != StatusSent || got["other"] != StatusSuppressed {
		t.Errorf("second: %v", got)
	}
	if st := d.Stats(); st["chat"] != (ChannelStats{Sent: 1, Failed: 1}) || st["other"] != (ChannelStats{Sent: 1, Suppressed: 1}) {
		t.Errorf("stats %+v", st)
	}
}

func TestDispatchPanickingChannel(t *testing.T) {
	bad := &fake{name: "bad", panic: true}
	good := &fake{name: "good"}
	d := NewDispatcher(DispatcherConfig{Routes: []Route{{Notifier: bad}, {Notifier: good}}})
	res := d.Dispatch(context.Background(), problemAlert())
	if got := statuses(res); got["bad"] != StatusFailed || got["good"] != StatusSent {
		t.Fatalf("%v", got)
	}
	assertKind(t, res.Outcomes[0].Err, warden.EINTERNAL)
}

// TestDispatchSharedNames checks that routes with one name share stats.
func TestDispatchSharedNames(t *testing.T) {
	d := NewDispatcher(DispatcherConfig{Routes: []Route{{Notifier: &fake{name: "x"}}, {Notifier: &fake{name: "x"}}}})
	d.Dispatch(context.Background(), problemAlert())
	if st := d.Stats(); len(st) != 1 || st["x"].Sent != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDispatchPrunesRecoveries(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	d := NewDispatcher(DispatcherConfig{Routes: []Route{{Notifier: &fake{name: "x"}}}, Now: clk.Now})
	d.Dispatch(context.Background(), problemAlert())
	d.Dispatch(context.Background(), recoveryAlert())
	other := problemAlert()
	other.Key = "acme/still-broken"
	d.Dispatch(context.Background(), other)
	clk.Set(clk.Now().Add(3 * time.Hour))
	d.Dispatch(context.Background(), &warden.Alert{Key: "acme/new", State: warden.StateError})
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.sent["acme/gis@acme.example"]; ok {
		t.Error("old recovery kept")
	}
	if _, ok := d.sent["acme/still-broken"]; !ok {
		t.Error("open problem forgotten")
	}
}

// TestRetryDefaults checks the documented defaults.
func TestRetryDefaults(t *testing.T) {
	d := NewDispatcher(DispatcherConfig{})
	if d.retry != (Retry{Attempts: 3, BaseDelay: time.Second, MaxDelay: 30 * time.Second}) || d.window != time.Hour {
		t.Errorf("defaults: %+v, window %v", d.retry, d.window)
	}
	for n := 1; n < 10; n++ {
		if b := d.backoff(n, 0); b > 30*time.Second || b < time.Second/2 {
			t.Errorf("backoff(%d) = %v", n, b)
		}
	}
	if b := d.backoff(1, time.Hour); b != 30*time.Second {
		t.Errorf("Retry-After not capped: %v", b)
	}
}
