package emulator_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

// benchSeed is one org with 100 users, all able to log in.
func benchSeed(b *testing.B) *emulator.Seed {
	s := testSeed(b)
	for i := 0; i < 96; i++ {
		s.Orgs[0].Users = append(s.Orgs[0].Users, emulator.SeedUser{Username: fmt.Sprintf("bench%03d@acme.test", i), LastName: "Bench",
			Profile: "Minimum Access - API Only Integrations", Password: "Bench-Passw0rd1", SecurityToken: "BENCHTOKEN"})
	}
	s.Orgs[0].DailyAPIRequests = 1 << 30
	return s
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
}

func drain(b *testing.B, resp *http.Response, err error) {
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Errorf("status %d", resp.StatusCode)
	}
}

func reportRate(b *testing.B, start time.Time, n int64) {
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkRESTQuery measures REST query throughput over loopback HTTP on a
// 100-user org.
func BenchmarkRESTQuery(b *testing.B) {
	e := emulatortest.Start(b, benchSeed(b))
	c := benchClient()
	form := url.Values{"grant_type": {"password"}, "client_id": {appKey}, "client_secret": {appSecret}, "username": {adminUser}, "password": {adminPass + adminToken}}
	resp, err := c.PostForm(e.URL+"/services/oauth2/token", form)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := strings.Split(strings.Split(string(body), `"access_token":"`)[1], `"`)[0]
	q := e.URL + "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, Username, IsActive, Profile.Name FROM User WHERE IsActive = true AND Profile.Name LIKE 'Minimum%' ORDER BY Username LIMIT 20")
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", q, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := c.Do(req)
			drain(b, resp, err)
			n.Add(1)
		}
	})
	reportRate(b, start, n.Load())
}

// BenchmarkPasswordGrant measures OAuth password grants, spread over 100
// users so the hourly login limit is not reached.
func BenchmarkPasswordGrant(b *testing.B) {
	e := emulatortest.Start(b, benchSeed(b))
	c := benchClient()
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			form := url.Values{"grant_type": {"password"}, "client_id": {appKey}, "client_secret": {appSecret},
				"username": {fmt.Sprintf("bench%03d@acme.test", i%96)}, "password": {"Bench-Passw0rd1BENCHTOKEN"}}
			resp, err := c.PostForm(e.URL+"/services/oauth2/token", form)
			drain(b, resp, err)
		}
	})
	reportRate(b, start, n.Load())
}

// BenchmarkRefreshGrant measures refresh-token grants.
func BenchmarkRefreshGrant(b *testing.B) {
	e := emulatortest.Start(b, benchSeed(b))
	c := benchClient()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {appKey}, "refresh_token": {seedRefresh}}.Encode()
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post(e.URL+"/services/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form))
			drain(b, resp, err)
			n.Add(1)
		}
	})
	reportRate(b, start, n.Load())
}
