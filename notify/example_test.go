package notify_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify"
)

// A receiver checks each delivery's signature and timestamp before
// trusting it.
func ExampleVerifySignature() {
	const secret = "shared-secret"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := notify.VerifySignature(secret, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		fmt.Println("accepted a signed delivery")
	}))
	defer receiver.Close()

	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: receiver.URL, Secret: secret})
	if err != nil {
		panic(err)
	}
	err = wh.Notify(context.Background(), &warden.Alert{Key: "acme/gis@acme.example", State: warden.StateError, Cause: warden.CauseUserFrozen})
	fmt.Println("error:", err)
	// Output:
	// accepted a signed delivery
	// error: <nil>
}

// A Dispatcher sends each alert to the routes that take it and suppresses
// repeats.
func ExampleDispatcher() {
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer chat.Close()
	slack, err := notify.NewSlack(notify.SlackConfig{Name: "billing-slack", WebhookURL: chat.URL + "/services/T/B/X"})
	if err != nil {
		panic(err)
	}
	d := notify.NewDispatcher(notify.DispatcherConfig{Routes: []notify.Route{
		{Notifier: slack, MinSeverity: warden.SeverityMedium, Owners: []string{"Billing"}},
	}})
	alert := &warden.Alert{
		Key: "acme/gis@acme.example", Org: "acme", Username: "gis@acme.example",
		State: warden.StateError, Cause: warden.CauseUserFrozen, Severity: warden.SeverityHigh,
		Dependents: []warden.AffectedApp{{Name: "Invoice Sync", Owner: "Billing"}},
	}
	for range 2 {
		for _, o := range d.Dispatch(context.Background(), alert).Outcomes {
			fmt.Println(o.Channel, o.Status)
		}
	}
	fmt.Printf("%+v\n", d.Stats()["billing-slack"])
	// Output:
	// billing-slack sent
	// billing-slack suppressed
	// {Sent:1 Failed:0 Retries:0 Suppressed:1}
}
